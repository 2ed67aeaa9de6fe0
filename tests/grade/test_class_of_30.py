"""An instructor's day after the deadline, through the CLI: a class of 30 mixed submissions (correct,
typical mistakes, stubs, hostile, a notebook, zips, a damaged zip) graded, reported, checked for
similarity and exported; every gradebook row matches its results.json."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gradekit.course import load_course
from gradekit.layout import KitPaths
from gradekit.validate import build_mutant, read_mutant

ROOT = Path(__file__).resolve().parents[2]
BLOG = ROOT / "samples" / "blog_solution"
HOSTILE = ["lie_always_equal", "lie_eq_subclass", "memory_numpy", "os_exit_in_conv2d", "monkeypatch_numpy",
           "sys_exit_at_import"]
COURSE = load_course(ROOT / "course.yaml")
PARTS = list(COURSE.assignment("part-4.2").parts)
MUTANTS = [read_mutant(p) for p in sorted((ROOT / "graders" / "mutants").glob("*.py"))]
MUTANTS = [m for m in MUTANTS if m.breaks in PARTS]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def as_notebook(folder: Path, target: Path) -> None:
    """One notebook holding all of a folder's code, a cell per file, as a student might hand it in."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(p.read_text()) for p in sorted(folder.glob("*.py"))
                if p.name != "conv_exercises.py"] + [nbformat.v4.new_code_cell((folder / "conv_exercises.py").read_text())]
    nbformat.write(nb, target)


def make_class(folder: Path) -> dict[str, str]:
    """30 submissions; returns what each one is."""
    kinds: dict[str, str] = {}
    folder.mkdir()
    for i in range(8):
        shutil.copytree(BLOG, folder / f"correct{i}")
        kinds[f"correct{i}"] = "correct"
    shutil.make_archive(str(folder / "correct_zip"), "zip", BLOG)
    as_notebook(BLOG, folder / "correct_notebook.ipynb")
    kinds.update(correct_zip="correct", correct_notebook="correct")
    for spec in MUTANTS:
        build_mutant(KitPaths(ROOT), spec, folder / f"mutant_{spec.name}")
        kinds[f"mutant_{spec.name}"] = "mutant"
    for i in range(2):
        shutil.copytree(ROOT / "samples" / "typical_student", folder / f"typical{i}")
        kinds[f"typical{i}"] = "typical"
    for name in HOSTILE:
        shutil.copytree(BLOG, folder / f"hostile_{name}")
        shutil.copyfile(ROOT / "tests" / "sandbox" / "hostile" / f"{name}.py", folder / f"hostile_{name}" / "neural_network.py")
        kinds[f"hostile_{name}"] = "hostile"
    (folder / "damaged.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    kinds["damaged"] = "broken"
    for i in range(30 - len(kinds)):
        shutil.copytree(ROOT / "exercises", folder / f"stub{i}", ignore=shutil.ignore_patterns("*.npz", "*.md"))
        kinds[f"stub{i}"] = "stub"
    assert len(kinds) == 30
    return kinds


def gradebook(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> tuple[Path, Path, dict[str, str], subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("day")
    kinds = make_class(base / "submissions")
    proc = cli("grade", str(base / "submissions"), "--out", str(base / "graded"), "-j", "2", "--seed", "11")
    return base / "submissions", base / "graded", kinds, proc


def test_every_row_matches_its_results(day):
    _, graded, kinds, proc = day
    assert proc.returncode == 0, proc.stderr
    book = gradebook(graded / "gradebook.csv")
    assert sorted(book) == sorted(kinds)
    for student, row in book.items():
        results = json.loads((graded / student / "results.json").read_text())
        assert float(row["score"]) == pytest.approx(results["score"])
        for part in PARTS:
            earned = sum(t["score"] for t in results["tests"] if t["name"].split(":")[0] == part)
            assert float(row[part]) == pytest.approx(earned, abs=1e-3), (student, part)


def test_each_kind_earns_what_it_should(day):
    _, graded, kinds, _ = day
    book = gradebook(graded / "gradebook.csv")
    for student, kind in kinds.items():
        score = float(book[student]["score"])
        if kind == "correct":
            assert score == 100, student
        elif kind in ("stub", "broken"):
            assert score == 0, student
        elif kind == "hostile":
            assert float(book[student]["conv2d"]) == 0, student  # every attack sits in conv2d's module
    for spec in MUTANTS:
        row = book[f"mutant_{spec.name}"]
        assert float(row[spec.breaks]) < COURSE.assignment("part-4.2").parts[spec.breaks].points, spec.name
        results = json.loads((graded / f"mutant_{spec.name}" / "results.json").read_text())
        hints = " ".join(t["output"] for t in results["tests"] if t["name"].startswith(spec.breaks))
        assert spec.hint in hints, spec.name


def test_second_run_grades_nothing(day):
    folder, graded, _, _ = day
    before = (graded / "gradebook.csv").read_bytes()
    again = cli("grade", str(folder), "--out", str(graded), "-j", "2", "--seed", "11")
    assert again.returncode == 0 and "Grading 0 submission(s): all up to date" in again.stdout
    assert (graded / "gradebook.csv").read_bytes() == before


def test_report_via_cli(day):
    _, graded, kinds, _ = day
    proc = cli("report", str(graded))
    assert proc.returncode == 0, proc.stderr
    page = (graded / "report.html").read_text(encoding="utf-8")
    assert all(student in page for student in kinds)
    assert len(list((graded / "report").glob("*.png"))) >= 3
    assert "kernel not flipped" in page  # the cross-correlation mutant's hint is among the frequent mistakes


def test_similar_via_cli_flags_copies_and_accepts_the_blog_as_given(day, tmp_path):
    folder, _, _, _ = day
    proc = cli("similar", str(folder), "--out", str(tmp_path / "plain"))
    assert proc.returncode == 0, proc.stderr
    assert "correct0  correct1" in proc.stdout
    given = [arg for p in sorted(BLOG.glob("*.py")) for arg in ("--exclude", str(p))]
    proc = cli("similar", str(folder), "--out", str(tmp_path / "given"), *given)
    assert proc.returncode == 0, proc.stderr
    assert "correct0  correct1" not in proc.stdout  # code everyone was given is not evidence


def test_canvas_export_via_cli(day, tmp_path):
    _, graded, kinds, _ = day
    proc = cli("export", "canvas", str(graded / "gradebook.csv"), "-o", str(tmp_path / "canvas.csv"))
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "canvas.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    title = COURSE.assignment("part-4.2").title
    assert rows[0]["Student"] == "Points Possible" and float(rows[0][title]) == 100
    assert {r["SIS Login ID"] for r in rows[1:]} == set(kinds)


def test_gradescope_export_via_cli(tmp_path):
    proc = cli("export", "gradescope", "part-4.2", "-o", str(tmp_path / "autograder.zip"))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert {"setup.sh", "run_autograder", "cli.py", "course.yaml"} <= set(archive.namelist())


@pytest.mark.parametrize("args, says", [
    (("report", "no-such-folder"), "no-such-folder"),
    (("similar", "no-such-folder", "--out", "{tmp}/x"), "no-such-folder"),
    (("export", "gradescope", "part-9", "-o", "{tmp}/x.zip"), "part-9"),
    (("export", "canvas", "no-such.csv", "-o", "{tmp}/x.csv"), "no-such.csv"),
])
def test_bad_arguments_get_one_line(args, says, tmp_path):
    proc = cli(*(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert says in proc.stderr and "Fix:" in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing written
