"""release.record and the helpers in a release: the course's graders/helpers.py, wherever a handout needs it."""

from __future__ import annotations

import numpy as np

from conftest import ROOT
from gradekit.content import helper_functions, helpers_source
from gradekit.layout import KitPaths
from gradekit.release.nbgrader import helper_source
from gradekit.release.public_tests import CHECK_SEED, graders_folder, uses_helpers
from gradekit.release.record import call_key, plain
from gradekit.sandbox.runner.wire import Fn

KIT = KitPaths(ROOT)
SOURCE = helpers_source(KIT)


def test_a_helper_keys_a_call_as_its_name_does_from_any_load_of_the_helpers():
    recorded, replayed = helper_functions(SOURCE), helper_functions(SOURCE)  # the release's and the handout's
    assert recorded and recorded["mse"] is not replayed["mse"]
    key = call_key("gradient_descent", (np.ones(3), Fn("mse")), {"loss": Fn("bce")}, recorded)
    assert call_key("gradient_descent", (np.ones(3), replayed["mse"]), {"loss": replayed["bce"]}, recorded) == key
    assert plain([replayed["sigmoid"], 2], recorded) == [Fn("sigmoid"), 2]
    assert call_key("gradient_descent", (np.ones(3), Fn("bce")), {"loss": Fn("bce")}, recorded) != key


def test_nbgrader_helper_cell_defines_the_courses_helpers_by_name():
    assert "_KIT_FUNCTIONS" not in helper_source("library", "")
    namespace: dict = {"__name__": "__main__"}
    exec(compile(helper_source("library", SOURCE), "cell", "exec"), namespace)  # noqa: S102 - the cell, as the notebook runs it
    expected = helper_functions(SOURCE)
    assert set(namespace["_KIT_FUNCTIONS"]) == set(expected)
    X, p = np.arange(6.0).reshape(3, 2), {"W": np.ones((2, 1)), "b": np.zeros(1)}
    for name in ("perceptron", "linear"):
        np.testing.assert_allclose(namespace["_KIT_FUNCTIONS"][name](X, p), expected[name](X, p))


def test_handout_graders_ship_the_helpers_only_for_tests_that_use_them():
    plain_test = {"test_a.py": '"""a."""\n\ndef test_a(student):\n    """a: checks"""\n'}
    named = {"test_b.py": "from gradekit.sandbox.runner.wire import Fn\n\n\ndef test_b(student):\n"
                          "    student.b(Fn('mse'))\n"}
    assert sorted(graders_folder(KIT, plain_test)) == ["conftest.py", "test_a.py"]
    assert sorted(graders_folder(KIT, {**plain_test, **named})) == ["conftest.py", "helpers.py", "test_a.py",
                                                                      "test_b.py"]
    assert graders_folder(KIT, {}) == {}
    assert uses_helpers("from helpers import mse\n") and uses_helpers("import helpers\n")
    assert "def rng(request)" in graders_folder(KIT, plain_test)["conftest.py"]


def test_handout_conftest_is_the_courses_own_and_the_seeded_rng(tmp_path):
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "conftest.py").write_text('"""The course\'s fixtures."""\n\nimport pytest\n\n\n'
                                                       "@pytest.fixture\ndef rng():\n    return None\n")
    conftest = graders_folder(KitPaths(tmp_path), {"test_a.py": "def test_a():\n    pass\n"})["conftest.py"]
    assert conftest.startswith('"""The course\'s fixtures."""')
    namespace: dict = {}
    exec(compile(conftest, "conftest.py", "exec"), namespace)  # noqa: S102 - the handout's conftest
    assert namespace["SEED"] == CHECK_SEED and namespace["rng"].__doc__.startswith("A generator seeded from SEED")
