"""Results as typed data: Gradescope's shape on disk, and how each submission ended, said without parsing text."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, endings_class
from gradekit.gradebook import closing_line
from gradekit import results as model
from gradekit.results import KIT_ERROR, NO_SUBMISSION, Results


def a_test(part: str, passed: bool, **fields) -> model.TestResult:
    return model.TestResult(name=f"{part}: a check", score=1.0 if passed else 0.0, max_score=1.0,
                      status="passed" if passed else "failed", part=part, **fields)


def results(*tests: model.TestResult, **extra) -> Results:
    return Results(score=sum(t.score for t in tests), max_score=len(tests), execution_time=0, tests=list(tests),
                   extra_data=extra)


def test_fields_travel_in_extra_data_and_come_back():
    original = a_test("relu", False, message="wrong", hint="in place", notes=["n"], failure="mismatch", instructor="x")
    saved = original.model_dump()
    assert saved["tags"] == ["relu"] and saved["extra_data"]["hint"] == "in place"
    assert "hint" not in saved and saved["output"] == "wrong\nHint: in place\nn"
    assert model.TestResult.model_validate(json.loads(json.dumps(saved))) == original


def test_results_json_has_only_gradescopes_keys_and_comes_back(gradescope_format, tmp_path):
    original = results(a_test("relu", True), a_test("relu", False, message="wrong"), status="graded")
    model.save_results(original, tmp_path / "results.json")
    saved = json.loads((tmp_path / "results.json").read_text())
    gradescope_format.validate(saved)
    assert "max_score" not in saved and saved["extra_data"]["max_score"] == 2
    assert model.load_results(tmp_path / "results.json") == original
    saved["max_score"] = saved["extra_data"].pop("max_score")  # where results from before kept it
    (tmp_path / "before.json").write_text(json.dumps(saved))
    assert model.load_results(tmp_path / "before.json") == original


def test_how_a_submission_ended_is_read_from_fields():
    assert results(a_test("a", True)).ending == "graded" and results(a_test("a", True)).reason == ""
    assert results(status=KIT_ERROR).ending == KIT_ERROR
    empty = Results(score=0, max_score=1, execution_time=0, tests=[], output="Nothing to grade: none of m.py.",
                    extra_data={"status": NO_SUBMISSION})
    assert (empty.ending, empty.reason) == ("empty", "Nothing to grade: none of m.py.")
    broken = results(a_test("a", False), import_errors={"m": {"type": "SyntaxError", "reason": "m.py did not import"}})
    assert (broken.ending, broken.reason) == ("not importing", "m.py did not import")
    missing = results(a_test("a", False), import_errors={"n": {"type": "MissingFile", "reason": "n.py is missing"}})
    assert missing.ending == "graded"
    hung = results(a_test("a", True), a_test("b", False, message="b() stopped: time limit", failure="timeout"))
    assert (hung.ending, hung.reason) == ("timed out", "b: a check: b() stopped: time limit")
    zero = results(a_test("a", False, message="wrong"))
    assert zero.reason == "every test failed, the first: a: a check: wrong"


def test_the_closing_line_names_who_ended_how():
    line = closing_line({"ann": results(a_test("a", True)), "bob": results(status=KIT_ERROR),
                         "cy": results(a_test("a", False), import_errors={"m": {"type": "SyntaxError", "reason": "r"}})})
    assert line == "2 graded (1 not importing: cy), 1 kit error: bob"


def test_a_class_run_prints_each_ending_and_the_report_shows_the_reason(tmp_path):
    course_file, cls = endings_class(tmp_path)
    run = [sys.executable, str(ROOT / "cli.py")]
    proc = subprocess.run([*run, "grade", str(cls), "--out", str(tmp_path / "out"), "-j", "2", "--course",
                           str(course_file)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 graded (1 not importing: cy; 1 timed out: dee; 1 empty: eve)" in proc.stdout, proc.stdout
    assert "cy: " in proc.stdout and "(not importing: conv_exercises.py did not import: SyntaxError in neural_network.py" in proc.stdout
    report = subprocess.run([*run, "report", str(tmp_path / "out"), "--course", str(course_file)],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "out" / "report.html").read_text()
    assert "timed out<br><small>exercise_2" in page and "empty<br><small>Nothing to grade" in page
