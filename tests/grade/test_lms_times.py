"""The late policy reads the LMS's record: Gradescope's submission_metadata.json (its time, the assignment's and each
user's own due date, where an extension shows), a class download's times and flags, a --times CSV; extensions in
course.yaml or an --extensions CSV move a student's due date; a manifest's time counts only when nothing else
exists, and is then marked student-reported.

Gradescope's records are written by conftest's `submission_metadata` (the shape Gradescope documents).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from gradekit.course import load_course
from gradekit.grade.late import Timing, late_for
from gradekit.package import package

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "blog_solution"  # 100/100 on part-4.2
DUE = datetime(2026, 12, 14, 23, 59, tzinfo=timezone.utc)  # part-4.2's due date in course.yaml
TWO_DAYS_LATE = DUE + timedelta(days=1, hours=10)  # two started days: 20 of 100 off


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def one_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Non-zero exit and one `Error:` line holding every needle, never a traceback."""
    assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    assert all(needle in errors[0] for needle in needles), errors[0]
    return errors[0]


def graded(out: Path) -> tuple[dict, str]:
    """One submission's results.json and feedback.md."""
    return json.loads((out / "results.json").read_text()), (out / "feedback.md").read_text()


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def course_copy(tmp_path: Path, change) -> Path:
    """The course's file and content under `tmp_path`, course.yaml edited by `change`; returns its course.yaml."""
    for folder in ("reference", "graders", "notes", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    data = yaml.safe_load((ROOT / "course.yaml").read_text(encoding="utf-8"))
    change(data)
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return tmp_path / "course.yaml"


def packaged(folder: Path, created: datetime) -> Path:
    """The sample as `package` packs it, unpacked in `folder`: its manifest says it was made at `created` (by the
    student's clock)."""
    manifest = package(SAMPLE, folder.with_suffix(".zip"), load_course(ROOT / "course.yaml"))
    folder.with_suffix(".zip").unlink()
    shutil.copytree(SAMPLE, folder)
    (folder / "MANIFEST.json").write_text(json.dumps({**manifest, "created": created.isoformat()}))
    return folder


# Gradescope's submission_metadata.json -------------------------------------------------------------------------

def test_gradescope_time_two_days_late_is_penalised(tmp_path, submission_metadata):
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE)
    proc = cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    results, feedback = graded(tmp_path / "out")
    late = results["extra_data"]["late"]
    assert (late["source"], late["days_late"], late["penalty"], late["student_reported"]) == ("gradescope", 2, 20, False)
    assert late["submitted_at"] == "2026-12-16T09:59:00+00:00" and late["due"] == "2026-12-14T23:59:00+00:00"
    assert results["score"] == 80
    assert "2 day(s) after the due date 2026-12-14T23:59:00+00:00: late penalty 20 points" in feedback


def test_gradescope_user_due_date_with_a_three_day_extension_is_not_penalised(tmp_path, submission_metadata):
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE,
                               own_due=DUE + timedelta(days=3))
    proc = cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    results, feedback = graded(tmp_path / "out")
    late = results["extra_data"]["late"]
    assert (late["days_late"], late["penalty"], late["extension_days"]) == (0, 0, 3)
    assert late["due"] == "2026-12-17T23:59:00+00:00" and results["score"] == 100
    assert "by your due date 2026-12-17T23:59:00+00:00 (moved 3 day(s) by an extension): on time" in feedback


def test_gradescope_metadata_wins_over_the_manifest(tmp_path, submission_metadata):
    """A manifest claiming the submission was on time changes nothing: Gradescope's clock is the one read."""
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE)
    zipped = packaged(tmp_path / "work", DUE - timedelta(days=1))
    proc = cli("grade", str(zipped), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    late = graded(tmp_path / "out")[0]["extra_data"]["late"]
    assert (late["source"], late["penalty"]) == ("gradescope", 20)


def test_lms_metadata_is_one_submissions_record(tmp_path, submission_metadata):
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE)
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nblog_solution,2026-12-14T20:00:00+00:00\n")
    one_error(cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta), "--times",
                  str(times)), "--times and --lms-metadata both give the submission's time", "Fix: pass one")
    (tmp_path / "class").mkdir()  # Gradescope's export of a class
    shutil.copytree(SAMPLE, tmp_path / "class" / "submission_1")
    (tmp_path / "class" / "submission_metadata.yml").write_text("submission_1:\n  :submitters: []\n")
    one_error(cli("grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta)),
              "--lms-metadata is one submission's record", "is a class's download from an LMS")
    assert not (tmp_path / "out").exists()


def test_lms_metadata_grades_what_was_uploaded_as_one_submission(tmp_path, submission_metadata):
    """Gradescope's upload of one folder (or one zip) is that student's submission, not a class of one."""
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE)
    shutil.copytree(SAMPLE, tmp_path / "submission" / "my work")
    proc = cli("grade", str(tmp_path / "submission"), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta),
               "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    results = graded(tmp_path / "out")[0]
    assert results["extra_data"]["raw_score"] == 100 and results["extra_data"]["late"]["penalty"] == 20


# Extensions ------------------------------------------------------------------------------------------------------

def test_a_course_yaml_extension_moves_the_due_date(tmp_path, submission_metadata):
    """Listed under the Gradescope user's name in course.yaml: three days more, so two days late is on time."""
    course_file = course_copy(tmp_path / "kit", lambda c: c["assignments"]["part-4.2"].update(
        extensions={"Ann Lee": 3}))
    meta = submission_metadata(tmp_path / "submission_metadata.json", TWO_DAYS_LATE, DUE)
    proc = cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--lms-metadata", str(meta), "--seed", "1",
               "--course", str(course_file))
    assert proc.returncode == 0, proc.stderr
    results, feedback = graded(tmp_path / "out")
    assert results["score"] == 100 and results["extra_data"]["late"]["extension_days"] == 3
    assert "(moved 3 day(s) by an extension): on time" in feedback


def test_an_extensions_csv_moves_due_dates_in_a_class_and_names_who_is_not_in_it(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for student in ("ann", "bo"):
        shutil.copytree(SAMPLE, folder / student)
    times = tmp_path / "times.csv"
    times.write_text(f"student,submitted_at\nann,{TWO_DAYS_LATE.isoformat()}\nbo,{TWO_DAYS_LATE.isoformat()}\n")
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,extra_days\nann,3\nzed,2\nyan,1.5\n")
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--times", str(times), "--extensions",
               str(extensions), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    book = gradebook(tmp_path / "out")
    assert (float(book["ann"]["late_penalty"]), float(book["bo"]["late_penalty"])) == (0, 20)
    assert book["ann"]["time_source"] == book["bo"]["time_source"] == "times file"
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and warnings[0].endswith("is from yan, zed: their extensions are not used"), proc.stderr
    again = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--times", str(times), "--seed", "1")
    assert again.returncode == 0 and "Grading 1 submission(s)" in again.stdout, again.stdout + again.stderr
    assert float(gradebook(tmp_path / "out")["ann"]["late_penalty"]) == 20  # without the extension, regraded


METADATA_FIX, EXTENSIONS_FIX = "Fix: pass the submission_metadata.json", "Fix: write a row per student, student,extra_days"


@pytest.mark.parametrize("option, text, needles", [
    ("--lms-metadata", "{not json", ["not JSON", "line 1", METADATA_FIX]),
    ("--lms-metadata", '{"assignment": {}}', ["created_at is missing", METADATA_FIX]),
    ("--lms-metadata", '{"created_at": "2026-12-16T10:00:00Z", "users": [{"assignment": {"due_date": "soon"}}]}',
     ["users[0].assignment.due_date", "'soon' is not a date and time"]),
    ("--lms-metadata", '{"created_at": "2026-12-16T10:00:00Z", "users": {"name": "Ann"}}',
     ["`users` must be a list", METADATA_FIX]),
    ("--extensions", "student,extra_days\nann,three\n", ["line 2", "extra_days 'three' is not a number of days",
                                                          EXTENSIONS_FIX]),
    ("--extensions", "student,extra_days\nann,2\nbo,-1\n", ["line 3", "'-1' is not a number of days from 0",
                                                             EXTENSIONS_FIX]),
    ("--extensions", "student,extra_days\nann,2\nann,3\n", ["line 3", "ann is listed twice", EXTENSIONS_FIX]),
    ("--extensions", "student,extra_days\n,2\n", ["line 2", "no student", EXTENSIONS_FIX]),
    ("--extensions", "student,days\nann,2\n", ["no column extra_days", EXTENSIONS_FIX]),
], ids=["metadata not json", "metadata without created_at", "metadata's bad user due date",
        "metadata's users not a list", "extension not a number", "negative extension", "student listed twice",
        "extension of no student", "no extra_days column"])
def test_a_bad_record_is_one_clear_error_and_nothing_is_written(tmp_path, option, text, needles):
    given = tmp_path / "given.txt"
    given.write_text(text)
    proc = cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), option, str(given))
    one_error(proc, str(given), *needles)
    assert not (tmp_path / "out").exists()


def test_due_date_rules(course):
    """The later of the LMS's own due date for the student and the assignment's moved by the kit's extension."""
    chosen, policy = course.assignment("part-4.2"), course.late_policy_for(course.assignment("part-4.2"))
    at = TWO_DAYS_LATE + timedelta(days=1)  # three started days late
    both = late_for(Timing(at, "gradescope", DUE, DUE + timedelta(days=1), extra_days=1.5), None, chosen, policy, 100)
    assert (both.days_late, both.extension_days, both.penalty) == (1, 1.5, 10)
    theirs = late_for(Timing(at, "gradescope", DUE, DUE + timedelta(days=3), extra_days=1), None, chosen, policy, 100)
    assert (theirs.days_late, theirs.extension_days) == (0, 3)
    lms_due = late_for(Timing(at, "gradescope", DUE + timedelta(days=7)), None, chosen, policy, 100)
    assert (lms_due.days_late, lms_due.extension_days) == (0, 0)  # the LMS's due date wins over course.yaml's
    canvas = late_for(Timing(source="canvas"), {"created": at.isoformat()}, chosen, policy, 100)
    assert (canvas.source, canvas.penalty, canvas.submitted_at) == ("canvas", 0, None)  # its record: no manifest
    assert late_for(Timing(), {"created": DUE.isoformat()}, chosen, policy, 100).student_reported


# A manifest's time, only when nothing else exists ---------------------------------------------------------------

def test_a_manifest_time_is_student_reported_in_results_feedback_and_gradebook(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    packaged(folder / "ann", TWO_DAYS_LATE)
    shutil.copytree(SAMPLE, folder / "bo")  # no manifest, no LMS: no time at all
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    book = gradebook(tmp_path / "out")
    assert book["ann"]["time_source"] == "student-reported (manifest)" and float(book["ann"]["late_penalty"]) == 20
    assert book["bo"]["time_source"] == "none" and float(book["bo"]["late_penalty"]) == 0
    results, feedback = graded(tmp_path / "out" / "ann")
    late = results["extra_data"]["late"]
    assert (late["source"], late["student_reported"], late["days_late"]) == ("manifest", True, 2)
    assert "Time taken from your own computer's clock (the manifest); the LMS's time was not available." in feedback


def test_a_canvas_download_is_the_record_a_manifest_cannot_override(tmp_path):
    """Canvas names a late submission LATE: without the flag it came on time, whatever its manifest says; with it,
    --times gives the time."""
    folder = tmp_path / "class"
    folder.mkdir()
    work = packaged(tmp_path / "work", TWO_DAYS_LATE)
    for user, late in ((1001, ""), (1002, "LATE_")):
        for file_id, name in enumerate(("neural_network.py", "conv_exercises.py", "MANIFEST.json"), 5001):
            shutil.copyfile(work / name, folder / f"student{user}_{late}{user}_{file_id}_{name}")
    times = tmp_path / "times.csv"
    times.write_text(f"student,submitted_at\nstudent1002,{TWO_DAYS_LATE.isoformat()}\n")
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--times", str(times), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    book = gradebook(tmp_path / "out")
    assert (book["student1001"]["time_source"], float(book["student1001"]["late_penalty"])) == ("canvas", 0)
    assert (book["student1002"]["time_source"], float(book["student1002"]["late_penalty"])) == ("times file", 20)
    assert graded(tmp_path / "out" / "student1001")[0]["extra_data"]["manifest_created"]  # read, and not believed
