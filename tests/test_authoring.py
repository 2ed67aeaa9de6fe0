"""Course authoring that cannot go silently wrong: `validate --course-only` names the file and the fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def course_copy(tmp_path: Path) -> Path:
    """The course's file and content under a temporary root; returns its course.yaml."""
    for folder in ("reference", "graders", "notes"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    shutil.copyfile(ROOT / "course.yaml", tmp_path / "course.yaml")
    return tmp_path / "course.yaml"


def edit_course(course_file: Path, change) -> None:
    data = yaml.safe_load(course_file.read_text(encoding="utf-8"))
    change(data)
    course_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def validate(course_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", "--course-only", "--course",
                           str(course_file)], capture_output=True, text=True, timeout=120)


def one_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_the_course_as_shipped_validates(tmp_path):
    proc = validate(course_copy(tmp_path))
    assert proc.returncode == 0 and "OK (2 assignments, 200 points)" in proc.stdout, proc.stdout + proc.stderr


def add_pooling(data: dict) -> None:
    """A later assignment with its own exercise_1 (the same part name as Part 4.2's), graded in its own file."""
    data["assignments"]["part-4.3"] = {"title": "Part 4.3: Pooling", "files": ["pooling.py"],
                                       "graders": ["test_pooling.py"], "parts": {"exercise_1": {"points": 10}}}


POOLING = '"""Pooling."""\n\n\ndef exercise_1():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n'
POOLING_GRADER = ('def test_pool(student):\n    """exercise_1: pools"""\n    assert student.exercise_1() == 1\n')


def test_two_assignments_may_each_have_an_exercise_1(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, add_pooling)
    (tmp_path / "reference" / "pooling.py").write_text(POOLING)
    (tmp_path / "graders" / "test_pooling.py").write_text(POOLING_GRADER)
    proc = validate(course_file)
    assert proc.returncode == 0 and "3 assignments, 210 points" in proc.stdout, proc.stdout + proc.stderr


def test_a_grader_of_a_part_the_assignment_does_not_have_is_an_error(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"]["library"]["graders"].append("test_conv2d.py"))
    one_error(validate(course_file), "test_conv2d.py", "grades 'conv2d', which is not a part of assignment 'library'",
              "(it is a part of part-4.2)", "Fix:", "take test_conv2d.py out of the graders of 'library'")


def test_a_part_without_a_grader_is_an_error(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"]["part-4.2"]["graders"].remove("test_conv2d.py"))
    one_error(validate(course_file), "course.yaml", "part 'conv2d' of assignment 'part-4.2' has no test",
              "Fix: add a test whose docstring starts with 'conv2d:'")


def test_a_part_whose_function_is_missing_from_its_module_is_an_error(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"]["part-4.2"]["parts"].update(
        conv2d={"points": 40, "module": "conv_exercises", "public": True}))
    one_error(validate(course_file), "conv_exercises.py", "defines no function conv2d()", "Fix: define conv2d()")


def test_a_part_the_reference_does_not_define_is_an_error(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"]["part-4.2"]["parts"].update(max_pool={"points": 5}))
    one_error(validate(course_file), "no reference file of assignment 'part-4.2' defines part 'max_pool'")


def test_an_option_value_no_grader_accepts_is_an_error_with_its_line(tmp_path):
    course_file = course_copy(tmp_path)
    text = course_file.read_text(encoding="utf-8")
    course_file.write_text(text.replace("convention: convolution", "convention: flipped", 1), encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "convention: convolution" in row)
    one_error(validate(course_file), f"line {line}", "assignments.part-4.2.options.convention", "'flipped'",
              "'convolution', 'cross-correlation' or 'either'")


@pytest.mark.parametrize("missing", ["notes", "graders"])
def test_a_listed_file_that_is_missing_is_an_error(tmp_path, missing):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"]["part-4.2"][missing].append("nope.md" if missing == "notes"
                                                                                    else "test_nope.py"))
    one_error(validate(course_file), "nope", "Fix:")


POOL_REFERENCE = '''"""Max pooling (a later part)."""

import numpy as np


def max_pool(x, size=2):
    """The largest value of each size x size window."""
    ### BEGIN SOLUTION
    h, w = x.shape[0] // size, x.shape[1] // size
    return x[:h * size, :w * size].reshape(h, size, w, size).max(axis=(1, 3))
    ### END SOLUTION
'''
POOL_GRADER = '''import numpy as np

from gradekit.checks import assert_matches, weight


@weight(3)
def test_windows(student, reference, rng):
    """max_pool: 2x2 windows of a 6x6 map"""
    x = rng.random((6, 6))
    assert_matches(student.max_pool(x), reference.max_pool(x), what="the pooled map")


def test_shape(student):
    """max_pool: a 4x4 map pools to 2x2"""
    assert np.shape(student.max_pool(np.ones((4, 4)))) == (2, 2)
'''


def test_a_new_assignment_needs_content_only_and_its_tests_can_be_weighted(tmp_path):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["assignments"].update({"part-4.3": {
        "title": "Part 4.3: Pooling", "files": ["pooling.py"], "graders": ["test_pooling.py"],
        "parts": {"max_pool": {"points": 10, "public": True}}}}))
    (tmp_path / "reference" / "pooling.py").write_text(POOL_REFERENCE)
    (tmp_path / "graders" / "test_pooling.py").write_text(POOL_GRADER)
    assert validate(course_file).returncode == 0
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "pooling.py").write_text("import numpy as np\n\n\ndef max_pool(x, size=2):\n"
                                      "    return np.ones((x.shape[0] // size, x.shape[1] // size))\n")
    scores = {}
    for name, work in (("reference", tmp_path / "reference"), ("wrong", wrong)):
        proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grade", str(work), "-a", "part-4.3", "--out",
                               str(tmp_path / f"out-{name}"), "--course", str(course_file)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        scores[name] = json.loads((tmp_path / f"out-{name}" / "results.json").read_text())
    assert scores["reference"]["score"] == 10
    assert [(t["max_score"], t["score"]) for t in scores["wrong"]["tests"]] == [(7.5, 0), (2.5, 2.5)]


@pytest.mark.parametrize("spec, needles", [
    ("reference/nope.npz", ["dataset 'mnist_784': reference/nope.npz does not exist", "'data' and 'target'"]),
    ({"file": "reference/mnist_sample.npz", "data": "pixels", "target": "labels"},
     ["reference/mnist_sample.npz cannot be read", "'pixels'"]),
    ({"file": "reference/mnist_sample.npz", "data": "labels", "target": "images"}, ["holds data of shape (1000,)"]),
])
def test_a_dataset_without_its_file_or_arrays_is_an_error(tmp_path, spec, needles):
    course_file = course_copy(tmp_path)
    edit_course(course_file, lambda d: d["datasets"].update({"mnist_784": spec}))
    line = next(i for i, row in enumerate(course_file.read_text().splitlines(), 1) if row.startswith("  mnist_784:"))
    one_error(validate(course_file), f"line {line}", *needles)


def test_a_dataset_changed_on_disk_is_read_again_and_a_grader_changed_is_checked_again(tmp_path):
    """Grading reads each dataset and checks each grader once per version of its file: a change is seen."""
    import numpy as np

    from gradekit.authoring import require_sound_graders
    from gradekit.content import dataset_payload
    from gradekit.course import open_course
    from gradekit.errors import KitError
    from gradekit.sandbox.runner import wire

    course_file = course_copy(tmp_path)
    paths, course = open_course(course_file)
    first = wire.decode(dataset_payload(paths, course)["mnist_784"]["data"])
    require_sound_graders(paths, course, course.default_assignment)
    sample = paths.root / "reference" / "mnist_sample.npz"
    with np.load(sample) as npz:
        arrays = dict(npz)
    arrays["images"] = arrays["images"][:10] + 1
    arrays["labels"] = arrays["labels"][:10]
    np.savez(sample, **arrays)
    assert wire.decode(dataset_payload(paths, course)["mnist_784"]["data"]).shape == (10, first.shape[1])
    grader = paths.graders / "test_exercises.py"
    grader.write_text(grader.read_text().replace('"""exercise_4:', '"""exercise_9:'))
    with pytest.raises(KitError, match="exercise_9"):
        require_sound_graders(paths, course, course.default_assignment)


def test_graders_run_in_the_order_the_assignment_lists_them(tmp_path):
    """An assignment's `graders` give the order of its session (a pattern's files sorted), each file once."""
    from gradekit.layout import grader_modules

    for name in ("test_a.py", "test_b.py", "test_c.py", "helpers.py"):
        (tmp_path / name).write_text("")
    assert [p.name for p in grader_modules(tmp_path, ["test_b.py", "test_*.py"])] == ["test_b.py", "test_a.py",
                                                                                       "test_c.py"]
    assert [p.name for p in grader_modules(tmp_path)] == ["test_a.py", "test_b.py", "test_c.py"]
