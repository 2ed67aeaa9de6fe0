"""`similar` on a labelled class, through the CLI: only the real copies are flagged; untouched handouts
(the assignment's or the course's exercises/) and an empty submission are reported as such, never as
a match; --assignment chooses the handout set aside, and an unknown one is one clear error."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from gradekit.course import open_course
from gradekit.release.handout import handout_work
from similarity_set import build

ROOT = Path(__file__).resolve().parents[1]
NOT_COMPARED = {"untouched-1": "untouched handout", "untouched-2": "untouched handout", "stubs": "untouched handout",
                "empty": "empty"}


def similar(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "similar", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> tuple[Path, dict[tuple[str, str], bool]]:
    folder = tmp_path_factory.mktemp("labelled") / "class"
    return folder, build(folder)


@pytest.fixture(scope="module")
def run(labelled, tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict[str, str]], str]:
    """`similar CLASS --out OUT` with the defaults: its output, its CSV's rows, its page."""
    out = tmp_path_factory.mktemp("similar")
    proc = similar(str(labelled[0]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out / "similarity.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return proc, rows, (out / "similarity.html").read_text(encoding="utf-8")


def test_similar_flags_only_the_real_copies(labelled, run) -> None:
    _, labels = labelled
    proc, rows, _ = run
    flagged = {(r["student_a"], r["student_b"]) for r in rows if r["student_b"]}
    assert flagged == {pair for pair, copy in labels.items() if copy}
    assert all(f"{a}  {b}" in proc.stdout for a, b in flagged)


def test_similar_reports_untouched_and_empty_submissions_as_such(run) -> None:
    proc, rows, page = run
    assert {r["student_a"]: r["note"] for r in rows if not r["student_b"]} == NOT_COMPARED
    paired = {r[side] for r in rows if r["student_b"] for side in ("student_a", "student_b")}
    assert paired.isdisjoint(NOT_COMPARED)
    assert "Not compared, untouched handout: stubs, untouched-1, untouched-2" in proc.stdout
    assert "Not compared, empty: empty" in proc.stdout
    assert "<td>untouched-1</td><td>untouched handout</td>" in page and "<td>empty</td><td>empty</td>" in page


def test_similar_sets_aside_the_chosen_assignments_handout(labelled, tmp_path) -> None:
    """Part 4.2's handout is not the library's: set against the library's, it is the blog's code, not untouched."""
    folder, labels = labelled
    proc = similar(str(folder), "--out", str(tmp_path), "-a", "library")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "similarity.html").read_text(encoding="utf-8")
    assert "library&#39;s exercises/neural_network.py" in page and "part-4.2&#39;s" not in page
    assert "Not compared, untouched handout: stubs\n" in proc.stdout
    assert "Not compared, little own code: untouched-1, untouched-2\n" in proc.stdout


def test_similar_knows_the_untouched_notebook_handout(tmp_path) -> None:
    paths, course = open_course(ROOT / "course.yaml")
    notebook = handout_work(paths, course, "part-4.2", notebook=True)[Path("exercises") / "part-4.2.ipynb"]
    (tmp_path / "class").mkdir()
    for student in ("nia", "noa"):
        (tmp_path / "class" / f"{student}.ipynb").write_bytes(notebook)
    proc = similar(str(tmp_path / "class"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "0 pair(s)" in proc.stdout and "Not compared, untouched handout: nia, noa\n" in proc.stdout


@pytest.mark.parametrize("args, says", [
    (("-a", "part-9"), ["no assignment 'part-9'", "use one of: part-4.2, library"]),
    (("--exclude", "no-such-listing.py"), ["no-such-listing.py", "file to exclude not found", "Fix:"]),
])
def test_similar_bad_option_is_one_clear_error(labelled, tmp_path, args, says) -> None:
    proc = similar(str(labelled[0]), "--out", str(tmp_path / "out"), *args)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and len(errors) == 1, proc.stderr
    assert all(needle in errors[0] for needle in says), errors[0]
    assert not (tmp_path / "out").exists()
