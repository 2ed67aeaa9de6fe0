"""What a grading does while the worker imports the submission: pytest's session starts meanwhile."""

from __future__ import annotations

from pathlib import Path

from gradekit.course import open_course
from gradekit.grade import pipeline

ROOT = Path(__file__).resolve().parents[2]


def test_the_session_starts_before_the_worker_greets_and_the_grade_is_the_same(tmp_path, monkeypatch):
    greeted_at_start = []
    run_session = pipeline.run_session

    def spied(graders, rootdir, grading, *args):
        greeted_at_start.append(bool(grading.worker.hello))
        return run_session(graders, rootdir, grading, *args)

    monkeypatch.setattr(pipeline, "run_session", spied)
    paths, course = open_course(ROOT / "course.yaml")
    results = pipeline.grade(ROOT / "samples" / "blog_solution", tmp_path / "out", paths=paths, course=course, seed=3)
    assert greeted_at_start == [False]
    assert results.score == 100 and not results.extra_data["import_errors"]


def test_an_import_error_found_during_the_session_is_reported(tmp_path):
    submission = tmp_path / "work"
    submission.mkdir()
    source = (ROOT / "samples" / "blog_solution" / "conv_exercises.py").read_text()
    (submission / "conv_exercises.py").write_text(source)
    (submission / "neural_network.py").write_text("import numpy as np\ndef conv2d(image, kernel:\n    pass\n")
    paths, course = open_course(ROOT / "course.yaml")
    results = pipeline.grade(submission, tmp_path / "out", paths=paths, course=course, seed=3)
    assert results.extra_data["import_errors"]["neural_network"]["type"] == "SyntaxError"
    conv2d = next(t for t in results.tests if t.part == "conv2d")
    assert conv2d.score == 0 and "did not import: SyntaxError in neural_network.py, line 2" in conv2d.message
