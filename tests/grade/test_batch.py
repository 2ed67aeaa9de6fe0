"""Grading a class: gradebook rows match results, resumable runs, kill-and-restart, late policy."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gradekit.course import load_course
from gradekit.grade import batch
from gradekit.grade.batch import grade_class
from gradekit.grade.late import lateness, parse_time
from gradekit.layout import KitPaths
from gradekit.sandbox.zygote import Zygote

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "blog_solution"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def make_class(folder: Path) -> Path:
    """Correct, stub, zipped, broken-zip, syntax-error and hanging submissions."""
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "alice")
    shutil.copytree(ROOT / "exercises", folder / "bob", ignore=shutil.ignore_patterns("*.npz", "README.md"))
    shutil.make_archive(str(folder / "carol"), "zip", SAMPLE)
    (folder / "dave.zip").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copytree(SAMPLE, folder / "erin")
    (folder / "erin" / "neural_network.py").write_text("def conv2d(image, kernel, stride=1):\n    return (\n")
    shutil.copytree(SAMPLE, folder / "frank")
    with open(folder / "frank" / "conv_exercises.py", "a") as fh:
        fh.write("\n\ndef exercise_2():\n    while True:\n        pass\n")
    return folder


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("class")
    folder, out = make_class(base / "submissions"), base / "out"
    proc = cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "5")
    return folder, out, proc


def test_every_row_matches_its_results(graded):
    folder, out, proc = graded
    assert proc.returncode == 0, proc.stderr
    book = gradebook(out)
    assert sorted(book) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    course = load_course(ROOT / "course.yaml")
    parts = list(course.assignment(None).parts)
    assert list(next(iter(book.values()))) == ["student", "lms_id", "status", "score", "max_score", *parts, "late_penalty",
                                                "time_source", "submission_sha256"]
    for student, row in book.items():
        results = json.loads((out / student / "results.json").read_text())
        assert float(row["score"]) == pytest.approx(results["score"])
        assert row["submission_sha256"] == results["extra_data"]["entry_sha256"]


def test_each_submission_gets_what_it_earned(graded):
    _, out, _ = graded
    book = gradebook(out)
    assert float(book["alice"]["conv2d"]) == 40 and float(book["carol"]["conv2d"]) == 40
    assert float(book["bob"]["score"]) == 0  # the handout's stubs
    assert float(book["dave"]["score"]) == 0
    assert "zip" in json.loads((out / "dave" / "results.json").read_text())["output"]
    assert float(book["erin"]["conv2d"]) == 0
    frank = json.loads((out / "frank" / "results.json").read_text())
    assert float(book["frank"]["exercise_2"]) == 0
    assert any("time limit" in t["output"] for t in frank["tests"] if t["name"].startswith("exercise_2"))
    for part in ("conv2d", "exercise_1", "exercise_3"):  # a hang costs only its own part
        assert float(book["frank"][part]) == float(book["alice"][part])


def test_second_run_grades_nothing_and_changed_submission_is_regraded(graded):
    folder, out, _ = graded
    before = gradebook(out)
    again = cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "5")
    assert "Grading 0 submission(s): all up to date" in again.stdout
    assert gradebook(out) == before
    (folder / "bob" / "neural_network.py").write_text((SAMPLE / "neural_network.py").read_text())
    changed = cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "5")
    assert "Grading 1 submission(s)" in changed.stdout
    assert float(gradebook(out)["bob"]["conv2d"]) == 40
    forced = cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "5", "--force")
    assert "Grading 6 submission(s)" in forced.stdout


def test_a_resume_with_nothing_to_grade_imports_no_reference_and_starts_no_sandbox(graded, monkeypatch):
    """All up to date: the run costs its start only (a class of 1,000 resumed in about one floor, not two)."""
    folder, out, _ = graded

    def refused(*args, **kwargs):
        raise AssertionError("a resume with nothing to grade started this")

    monkeypatch.setattr(batch, "import_reference", refused)
    monkeypatch.setattr(batch, "class_sandboxes", refused)
    before, seen = gradebook(out), []
    grade_class(folder, out, paths=KitPaths(ROOT), course=load_course(ROOT / "course.yaml"), seed=5,
                on_progress=seen.append)
    assert gradebook(out) == before and [(p.event, p.total) for p in seen] == [("began", 0)]


def course_copy(folder: Path) -> KitPaths:
    """The course's content (course.yaml, reference, graders, handout, notes) copied to `folder`."""
    for name in ("reference", "graders", "exercises", "notes"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "course.yaml", folder / "course.yaml")
    return KitPaths(folder)


def test_a_class_resumed_after_its_graders_or_reference_change_is_graded_again(tmp_path):
    """The course's version alone would not tell: a grader fixed, or the reference, regrades every submission."""
    folder, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(SAMPLE, folder / "alice")
    paths = course_copy(tmp_path / "course")

    def resume() -> list[str]:
        seen = []
        grade_class(folder, out, paths=paths, course=load_course(paths.course_file), jobs=1, seed=5,
                    on_progress=seen.append)
        return [p.student for p in seen if p.event == "finished"]

    assert resume() == ["alice"] and resume() == []
    with open(paths.graders / "test_conv2d.py", "a") as fh:
        fh.write("\n# a fix\n")
    assert resume() == ["alice"] and resume() == []
    with open(paths.reference / "neural_network.py", "a") as fh:
        fh.write("\n# a fix\n")
    assert resume() == ["alice"] and resume() == []
    assert json.loads((out / "alice" / "results.json").read_text())["extra_data"]["course_sha256"]


SANDBOXES_AT_ENGINE = """
import importlib.abc, os, runpy, sys
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pytest" and self in sys.meta_path:  # the grading engine's first import of pytest
            sys.meta_path.remove(self)
            children = open(f"/proc/self/task/{os.getpid()}/children").read().split()
            commands = [open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")[0] for pid in children]
            print("sandboxes at the engine's import:", sum(command.endswith(b"bwrap") for command in commands))
sys.meta_path.insert(0, Spy())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.skipif(not Zygote.available(), reason="warm sandboxes need bubblewrap")
def test_a_class_graded_from_scratch_starts_its_sandboxes_while_the_engine_imports(tmp_path):
    """A run that grades everyone starts its warm sandboxes first (their imports of numpy, scipy and matplotlib
    overlap the engine's); a resume, which may grade no one, starts none before it knows."""
    folder, out = tmp_path / "class", tmp_path / "out"
    for name in ("ann", "ben", "cy"):
        shutil.copytree(SAMPLE, folder / name)

    def run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", SANDBOXES_AT_ENGINE, str(ROOT / "cli.py"), "grade", str(folder),
                               "--out", str(out), "--seed", "1", *options], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)

    first, forced, resumed = run("-j", "2"), run("-j", "2", "--force"), run()
    for proc in (first, forced, resumed):
        assert proc.returncode == 0, proc.stderr
    assert "sandboxes at the engine's import: 2" in first.stdout and "Grading 3 submission(s)" in first.stdout
    assert "sandboxes at the engine's import: 2" in forced.stdout
    assert "sandboxes at the engine's import: 0" in resumed.stdout and "all up to date" in resumed.stdout
    assert gradebook(out).keys() == {"ann", "ben", "cy"}
    assert {row["score"] for row in gradebook(out).values()} == {"100"}


def test_killed_run_resumes_to_the_same_gradebook(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("a1", "a2", "a3", "a4", "a5"):
        shutil.copytree(SAMPLE, folder / name)
    whole = cli("grade", str(folder), "--out", str(tmp_path / "whole"), "-j", "1", "--seed", "3")
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "grade", str(folder), "--out", str(out), "-j", "1",
                             "--seed", "3"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    import os

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "gradebook.csv").exists() or len(gradebook(out)) < 5
    for leftover in out.rglob("*.tmp"):
        leftover.unlink()  # an interrupted atomic write leaves only its temp file, never a torn results.json
    resumed = cli("grade", str(folder), "--out", str(out), "-j", "1", "--seed", "3")
    assert resumed.returncode == 0, resumed.stderr
    assert "Grading 5 submission(s)" not in resumed.stdout
    assert gradebook(out) == gradebook(tmp_path / "whole")
    assert not list(Path(tempfile.gettempdir()).glob(f"gradekit-slot-{proc.pid}-*"))  # the killed run's, removed


def test_late_policy_from_a_times_file(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "ontime")
    shutil.copytree(SAMPLE, folder / "late")
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nontime,2026-12-14T20:00:00+00:00\nlate,2026-12-16T10:00:00+00:00\n")
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--times", str(times), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    book = gradebook(tmp_path / "out")
    assert float(book["ontime"]["late_penalty"]) == 0
    assert float(book["late"]["late_penalty"]) == 20  # 2 started days x 10% of 100
    assert float(book["late"]["score"]) == float(book["ontime"]["score"]) - 20
    feedback = (tmp_path / "out" / "late" / "feedback.md").read_text()
    assert "late penalty 20 points" in feedback


def test_lateness_rules():
    course = load_course(ROOT / "course.yaml")
    assignment = course.assignment("part-4.2")
    policy = course.late_policy_for(assignment)
    at = lambda s: parse_time(s, "test")  # noqa: E731
    assert lateness(at("2026-12-15T00:10:00+00:00"), "t", assignment.due, policy, 100).penalty == 0  # grace
    assert lateness(at("2026-12-15T00:20:00+00:00"), "t", assignment.due, policy, 100).days_late == 1
    assert lateness(at("2026-12-25T00:00:00+00:00"), "t", assignment.due, policy, 100).penalty == 100  # past the limit
    assert lateness(None, "none", assignment.due, policy, 100).penalty == 0


def test_shards_merge_to_the_whole_class(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("s0", "s1", "s2"):
        shutil.copytree(SAMPLE, folder / name)
    shutil.copytree(ROOT / "exercises", folder / "s3", ignore=shutil.ignore_patterns("*.npz", "README.md"))
    for k in (0, 1):
        proc = cli("grade", str(folder), "--out", str(tmp_path / f"shard-{k}"), "--shard", f"{k}/2", "--seed", "2")
        assert proc.returncode == 0, proc.stderr
    shards = [tmp_path / f"shard-{k}" / "gradebook.csv" for k in (0, 1)]
    assert sorted(gradebook(shards[0].parent)) == ["s0", "s2"] and sorted(gradebook(shards[1].parent)) == ["s1", "s3"]
    merged = tmp_path / "gradebook.csv"
    proc = cli("gradebook", "merge", *map(str, shards), "-o", str(merged))
    assert proc.returncode == 0 and "4 students from 2 shard(s)" in proc.stdout
    rows = gradebook(tmp_path)
    assert sorted(rows) == ["s0", "s1", "s2", "s3"] and float(rows["s3"]["score"]) == 0


def test_merge_refuses_conflicting_shards(tmp_path):
    header = "student,score,max_score\n"
    (tmp_path / "a.csv").write_text(header + "ann,10,100\n")
    (tmp_path / "b.csv").write_text(header + "ann,20,100\n")
    proc = cli("gradebook", "merge", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "-o", str(tmp_path / "m.csv"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "ann is graded differently in two shards" in proc.stderr
    assert not (tmp_path / "m.csv").exists()
