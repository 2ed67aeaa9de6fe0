"""Shared fixtures: the kit's root, its course, its content modules loaded under distinct names, Gradescope's
record of a submission and its results format, and a sandbox that never starts."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
import yaml

from gradekit.course import Course, load_course
from gradekit.results import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "blog_solution"
# Content modules import each other by plain name; both reference/ and exercises/ define them.
SIBLINGS = ("neural_network", "mnist_data")


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file at `path` as module `name`, its plain imports of SIBLINGS resolved from its own folder.

    sys.modules keeps no SIBLINGS entry afterwards, so reference and handout copies never mix.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    saved = {sibling: sys.modules.pop(sibling) for sibling in SIBLINGS if sibling in sys.modules}
    sys.path.insert(0, str(path.parent))
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(path.parent))
        for sibling in SIBLINGS:
            sys.modules.pop(sibling, None)
        sys.modules.update(saved)
    return module


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT / "course.yaml")


@pytest.fixture(scope="session")
def gradescope_format() -> jsonschema.Draft202012Validator:
    """Gradescope's results.json format, the kit's JSON Schema of its specification: `.validate(results)`."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="session")
def nn() -> ModuleType:
    """reference/neural_network.py"""
    return load_module(ROOT / "reference" / "neural_network.py", "reference_neural_network")


@pytest.fixture(scope="session")
def conv_exercises() -> ModuleType:
    """reference/conv_exercises.py (with its own neural_network and mnist_data)"""
    return load_module(ROOT / "reference" / "conv_exercises.py", "reference_conv_exercises")


@pytest.fixture(scope="session")
def mnist_data() -> ModuleType:
    """reference/mnist_data.py"""
    return load_module(ROOT / "reference" / "mnist_data.py", "reference_mnist_data")


GRADESCOPE_USER = {"email": "ann@example.edu", "id": 1234, "name": "Ann Lee", "sid": "100"}


def write_submission_metadata(path: Path, created_at: datetime, due: datetime, *, own_due: datetime | None = None,
                              user: dict = GRADESCOPE_USER) -> Path:
    """Gradescope's /autograder/submission_metadata.json for one submission by `user`, in the shape Gradescope
    documents (gradescope-autograders.readthedocs.io, "Submission Metadata"), with the per-user `assignment` dates
    (release_date, due_date, late_due_date) that autograders reading it rely on: `own_due` is the user's, where an
    extension shows (`due`, the assignment's, when left out)."""
    release = "2026-12-01T00:00:00.000000+00:00"
    record = {
        "id": 123456, "created_at": created_at.isoformat(timespec="microseconds"),
        "assignment": {"due_date": due.isoformat(timespec="microseconds"), "group_size": None,
                       "group_submission": False, "id": 25828, "course_id": 1234, "late_due_date": None,
                       "release_date": release, "title": "Part 4.2", "total_points": "100.0"},
        "submission_method": "upload",
        "users": [{**user, "assignment": {"due_date": (own_due or due).isoformat(timespec="microseconds"),
                                          "late_due_date": None, "release_date": release}}],
        "previous_submissions": [],
    }
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def submission_metadata():
    """`write_submission_metadata`, for tests that play Gradescope."""
    return write_submission_metadata


@pytest.fixture
def bwrap_that_never_starts(tmp_path) -> str:
    """A PATH whose bubblewrap passes the kit's probe, then fails every sandbox: grading ends as a kit error."""
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n[ "$(eval echo \\${$#})" = /kit/wire.py ] && exec /usr/bin/bwrap "$@"\nexit 1\n')
    fake.chmod(0o755)
    return f"{fake.parent}:{os.environ['PATH']}"


def endings_class(base: Path) -> tuple[Path, Path]:
    """A copy of the course whose calls time out after 1 s, and a class with one submission per ending: ann the
    blog's solution (graded), cy a syntax error (not importing), dee a hang (timed out), eve no code (empty).

    Returns the copy's course.yaml and the class folder.
    """
    for folder in ("reference", "graders", "notes", "exercises"):
        shutil.copytree(ROOT / folder, base / folder, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    course = yaml.safe_load((ROOT / "course.yaml").read_text())
    course["limits"]["call_timeout_s"] = 1
    (base / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False))
    cls = base / "class"
    for student in ("ann", "cy", "dee"):
        shutil.copytree(SAMPLE, cls / student)
    (cls / "cy" / "neural_network.py").write_text("def conv2d(image, kernel, stride=1):\n    return (\n")
    with open(cls / "dee" / "conv_exercises.py", "a") as fh:
        fh.write("\n\ndef exercise_2():\n    while True:\n        pass\n")
    (cls / "eve").mkdir()
    (cls / "eve" / "notes.txt").write_text("I ran out of time")
    return base / "course.yaml", cls
