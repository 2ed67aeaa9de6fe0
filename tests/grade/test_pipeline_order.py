"""What a grading does beside the worker: pytest's session starts while it imports the submission, and its sandbox
is emptied while the results are written."""

from __future__ import annotations

import select
from pathlib import Path

import pytest

from gradekit.course import open_course
from gradekit.grade import pipeline
from gradekit.sandbox import isolation
from gradekit.sandbox.pool import warm_sandbox
from gradekit.sandbox.worker import Worker

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


@pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")
def test_a_grade_returns_once_its_warm_sandbox_is_emptied(tmp_path):
    """A worker's close asks the zygote to empty the sandbox without waiting; the grade takes the answer before it
    returns (nothing of the student runs on after it), so no answer is left on the zygote's socket."""
    paths, course = open_course(ROOT / "course.yaml")
    with warm_sandbox(course.limits_for(course.assignment(course.default_assignment))) as zygote:
        results = pipeline.grade(ROOT / "samples" / "blog_solution", tmp_path / "out", paths=paths, course=course,
                                 seed=3, zygote=zygote)
        left, _, _ = select.select([zygote.sock], [], [], 0.5)
    assert results.score == 100 and results.extra_data["isolation"].count("zygote") == 1
    assert not left


def test_the_figure_exercises_are_called_first_the_slower_to_draw_first(tmp_path, monkeypatch):
    """A figure's PNG is drawn beside the tests that follow its call, and the grade waits for the last: exercise 4's
    three panels take longest, so it is called first, then exercise 3, then what draws nothing."""
    called = []
    call = Worker.call

    def spied(self, module, func, *args, **kwargs):
        called.append(func)
        return call(self, module, func, *args, **kwargs)

    monkeypatch.setattr(Worker, "call", spied)
    paths, course = open_course(ROOT / "course.yaml")
    results = pipeline.grade(ROOT / "samples" / "blog_solution", tmp_path / "out", paths=paths, course=course, seed=3)
    first = {func: called.index(func) for func in ("exercise_4", "exercise_3", "exercise_1", "conv2d")}
    assert results.score == 100
    assert first["exercise_4"] < first["exercise_3"] < first["exercise_1"] < first["conv2d"]
