"""grade.kernel: the kit's tests on a notebook's namespace, as the nbgrader course's autograder cells run them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT
from gradekit.grade.kernel import KernelTests, KitTestFailed
from gradekit.layout import KitPaths
from gradekit.release.nbgrader import kit_tests

KEY = "part-4.2"
STRIDE_2 = "conv2d: stride 2 on a 28x28 image"
TITLES = ["conv2d: an asymmetric 3x3 kernel on a 28x28 image, stride 1", STRIDE_2, "conv2d: stride 3 on a 28x28 image"]


@pytest.fixture(scope="module")
def tests_folder(course, tmp_path_factory) -> Path:
    """kit_tests/part-4.2 as a release writes it, with a call time limit of 1 s."""
    quick = course.model_copy(update={"limits": course.limits.model_copy(update={"call_timeout_s": 1.0})})
    root = tmp_path_factory.mktemp("course")
    for relative, data in kit_tests(KitPaths(ROOT), quick, KEY).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root / "kit_tests" / KEY


def failure(tests: KernelTests, title: str) -> str:
    with pytest.raises(KitTestFailed) as caught:
        tests.run(title)
    return str(caught.value)


def test_a_hanging_function_fails_its_tests_at_the_time_limit_and_then_at_once(tests_folder):
    namespace: dict = {}
    exec("def conv2d(image, kernel, stride=1):\n    while True:\n        pass\n", namespace)  # noqa: S102
    tests = KernelTests(tests_folder, KEY, namespace)
    start = time.perf_counter()
    texts = [failure(tests, title) for title in TITLES]
    assert time.perf_counter() - start < 20  # two calls of 1 s, then none: not seven tests' worth of hanging
    assert "did not finish within the time limit of 1 s" in texts[0]
    assert "not run: it already exceeded the time limit 2 times" in texts[2]


def test_a_function_the_notebook_lacks_fails_its_tests_saying_so(tests_folder):
    tests = KernelTests(tests_folder, KEY, {})
    assert f"{STRIDE_2}: failed, 0 / 5.72 points" in failure(tests, STRIDE_2)
    assert "the notebook defines no function conv2d()" in failure(tests, STRIDE_2)
    assert "no such test" in failure(tests, "conv2d: a test the graders do not have")


def test_graders_that_cannot_run_fail_each_test_as_the_kits_fault(tests_folder, tmp_path):
    broken = tmp_path / "tests"
    shutil.copytree(tests_folder, broken)
    (broken / "graders" / "test_conv2d.py").write_text("def test_edge_kernel(:\n")
    text = failure(KernelTests(broken, KEY, {}), STRIDE_2)
    assert "the kit's graders did not run (pytest exit 2): the kit's fault, not yours" in text
