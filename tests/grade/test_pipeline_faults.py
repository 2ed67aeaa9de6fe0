"""A kit fault is never the student's: regraded in a fresh sandbox, else a kit error with no score."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradekit.content import content_digest, course_content
from gradekit.grade.batch import Entry, is_current
from gradekit.errors import KitFault
from gradekit.export import export_canvas
from gradekit.gradebook import write_gradebook
from gradekit.grade import pipeline as run
from gradekit.layout import KitPaths

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "blog_solution"


def cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
                            start_new_session=True)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


class CountingZygote:
    """Stands in for a zygote: counts how often grading asked for a fresh sandbox."""

    workdir = None

    def __init__(self) -> None:
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1


def test_a_kit_fault_is_regraded_in_a_fresh_sandbox(monkeypatch, course, tmp_path):
    real, faults = run.grade, iter([KitFault("sandbox died"), KitFault("sandbox died")])

    def flaky(*args, **kwargs):
        fault = next(faults, None)
        if fault:
            raise fault
        return real(*args, **{**kwargs, "zygote": None})

    monkeypatch.setattr(run, "grade", flaky)
    zygote = CountingZygote()
    results = run.grade_or_kit_error(SAMPLE, tmp_path, paths=KitPaths(ROOT), course=course, seed=3, zygote=zygote)
    assert results.status == "graded" and results.score == 100 and zygote.stops == 2


def test_a_fault_that_persists_is_a_kit_error_with_no_score(monkeypatch, course, tmp_path):
    monkeypatch.setattr(run, "grade", lambda *a, **k: (_ for _ in ()).throw(OSError("no space left on device")))
    out = tmp_path / "ann"
    results = run.grade_or_kit_error(SAMPLE, out, paths=KitPaths(ROOT), course=course, seed=3,
                                     extra={"entry_sha256": "ab", "student": "ann"})
    saved = json.loads((out / "results.json").read_text())
    assert saved["extra_data"]["status"] == "kit-error" and "no space left" in saved["extra_data"]["kit_error"]
    assert "the kit's fault, not the student's" in saved["output"] and "next run regrades it" in saved["output"]
    assert results.tests == [] and "Not graded" in (out / "feedback.md").read_text()
    assert not is_current(Entry("ann", SAMPLE), tmp_path, course, course.default_assignment,
                          content_digest(course_content(KitPaths(ROOT), course)))
    assert write_gradebook(tmp_path, course.assignment(None))["ann"].ending == "kit-error"
    book = tmp_path / "gradebook.csv"
    row = gradebook(tmp_path)["ann"]
    assert row["status"] == "kit-error" and row["score"] == "" and row["conv2d"] == ""
    canvas = export_canvas(book, tmp_path / "canvas.csv", assignment_title="A", points=100)
    assert canvas.read_text().splitlines()[-1] == "ann,,,ann,,"  # an empty cell, never a 0


@pytest.mark.slow
def test_a_run_whose_sandbox_folder_vanished_ends_in_kit_errors_and_the_next_run_regrades(tmp_path):
    """A temp cleaner removes the kit's slot folder: no student gets a zero, the run exits 1."""
    folder, out, tmp = tmp_path / "class", tmp_path / "out", tmp_path / "tmp"
    for name in ("ann", "ben"):
        shutil.copytree(SAMPLE, folder / name)
    tmp.mkdir()
    proc = cli("grade", str(folder), "--out", str(out), "-j", "1", "--seed", "4", env={"TMPDIR": str(tmp)})
    deadline = time.monotonic() + 60
    while not (slots := list(tmp.glob("gradekit-slot-*"))) and time.monotonic() < deadline:
        time.sleep(0.01)
    for slot in slots:
        shutil.rmtree(slot)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stdout + stderr
    assert "0 graded, 2 kit errors: ann, ben" in stdout and "Traceback" not in stderr, stdout + stderr
    book = gradebook(out)
    assert {row["status"] for row in book.values()} == {"kit-error"} and {r["score"] for r in book.values()} == {""}
    again = cli("grade", str(folder), "--out", str(out), "-j", "1", "--seed", "4", env={"TMPDIR": str(tmp)})
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0 and "Grading 2 submission(s)" in stdout and "2 graded" in stdout, stdout + stderr
    assert {row["score"] for row in gradebook(out).values()} == {"100"}


@pytest.mark.slow
def test_a_sandbox_killed_mid_grading_is_regraded_to_full_marks(tmp_path):
    folder, out, tmp = tmp_path / "class", tmp_path / "out", tmp_path / "tmp"
    shutil.copytree(SAMPLE, folder / "ann")
    with open(folder / "ann" / "conv_exercises.py", "a") as fh:  # slow but correct
        fh.write("\n\nimport time as _time\n_exercise_1 = exercise_1\n\n\n"
                 "def exercise_1():\n    _time.sleep(2)\n    return _exercise_1()\n")
    tmp.mkdir()
    proc = cli("grade", str(folder), "--out", str(out), "-j", "1", "--seed", "4", env={"TMPDIR": str(tmp)})
    time.sleep(3)  # imports done, grading under way
    for pid in (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"/usr/bin/bwrap") and str(tmp).encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    results = json.loads((out / "ann" / "results.json").read_text())
    assert proc.returncode == 0, stdout + stderr
    assert results["extra_data"]["status"] == "graded" and results["score"] == 100


@pytest.mark.slow
def test_a_sandbox_that_never_starts_is_a_kit_error_and_exit_1(tmp_path, bwrap_that_never_starts):
    proc = cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--seed", "4",
               env={"PATH": bwrap_that_never_starts})
    stdout, stderr = proc.communicate(timeout=120)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["extra_data"]["status"] == "kit-error", results["output"]
    assert proc.returncode == 1 and "kit's fault" in stderr and "Traceback" not in stderr
