"""One pytest session over an assignment's graders: the fixtures graders use, and their outcomes.

Pytest runs in the trusted process. `Fixtures` gives graders `student`, `reference`, `rng` and
`option`; `Collector` keeps the tests of the parts being graded and turns each report into an
`Outcome`. `run_session` runs them and returns what they found as a value.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from gradekit.course import Assignment, Course
from gradekit.grade.compare import NOTES
from gradekit.grade.outcomes import NOTED, Outcome, outcome_of
from gradekit.parts import item_title, part_of
from gradekit.grade.proxies import CallLog, StudentProxy
from gradekit.sandbox.runner.wire import FigureSummary
from gradekit.sandbox.worker import Worker


@dataclass
class Grading:
    """What a session grades: which assignment (its parts as graded now), in which worker, against what."""

    course: Course
    assignment: Assignment
    worker: Worker
    reference: Any
    seed: int
    import_errors: Callable[[], dict[str, Any]] = dict  # the submission's modules that did not import, asked on need


@dataclass
class SessionResult:
    """The outcomes of a session, the figures the student's functions drew, pytest's exit code and output."""

    outcomes: list[Outcome]
    figures: dict[str, FigureSummary]
    exit_code: int
    output: str
    seconds: float


class Fixtures:
    """The fixtures graders use; `log` collects the calls of the test running now."""

    def __init__(self, grading: Grading, log: Callable[[], CallLog]):
        self.grading, self._log = grading, log
        assignment = grading.assignment
        self._modules = {name: assignment.module_of(name) for name in assignment.parts}
        self._default_module = Path(assignment.files[0]).stem  # for a function that is no part

    @pytest.fixture
    def student(self) -> StudentProxy:
        return StudentProxy(*self.student_arguments())

    def student_arguments(self) -> tuple:
        """What a StudentProxy of the test running now is made of."""
        return self.grading.worker, self._modules, self._default_module, self._log(), self.grading.import_errors

    @pytest.fixture(name="reference")
    def reference_fixture(self) -> Any:
        return self.grading.reference

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A generator seeded from the run's seed and the test, so inputs change every run."""
        return np.random.default_rng([self.grading.seed, zlib.crc32(request.node.nodeid.encode())])

    @pytest.fixture
    def option(self, request: pytest.FixtureRequest) -> Callable[[str, Any], Any]:
        """option(name, default): a setting of the test's part from course.yaml (part, then assignment, then course)."""
        options = self.grading.course.options_for(self.grading.assignment, part_of(item_title(request.node)))
        return lambda name, default=None: options.get(name, default)


class Collector:
    """Keeps the tests of the parts being graded and records each one's outcome."""

    def __init__(self, grading: Grading):
        self.grading = grading
        self.outcomes: list[Outcome] = []
        self.figures: dict[str, FigureSummary] = {}
        self.log = CallLog()

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "weight(w): the test's share of its part's points (1 by default)")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [item for item in items if part_of(item_title(item)) in self.grading.assignment.parts]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.log = CallLog()  # before the fixtures: the `student` proxy of this test writes here

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        item.stash[NOTED] = notes = []
        token = NOTES.set(notes)
        try:
            return (yield)
        finally:
            NOTES.reset(token)

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        if call.when == "call" or call.excinfo is not None:
            self.outcomes.append(outcome_of(item, call, self.log, self.grading.seed))
            self.figures.update(self.log.figures)


@contextlib.contextmanager
def _env(name: str, value: str):
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            del os.environ[name]
        else:
            os.environ[name] = saved


# pytest's built-in plugins a grader has no use for: each hooks every test (a grading runs ~20); ~35 ms a submission
# together with fd capture, which graders do not need either (student code prints in the worker, not here).
UNUSED_PLUGINS = ("doctest", "junitxml", "pastebin", "faulthandler", "stepwise", "setuponly", "setupplan", "logging")


def pytest_args(graders: list[Path], rootdir: Path) -> list[str]:
    """pytest's arguments for running `graders` quietly in this process."""
    return [*map(str, graders), "-q", "-p", "no:cacheprovider", "--no-header", "--assert=plain", "--tb=no",
            "-o", "python_files=test_*.py", "--rootdir", str(rootdir), "-W", "ignore::DeprecationWarning",
            "-p", "no:unraisableexception", "-p", "no:threadexception", "--capture=no",
            *(arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}"))]


@contextlib.contextmanager
def graders_of(folder: Path):
    """Make the modules named like `folder`'s files (test_*, conftest, helpers) its own for a session.

    Pytest imports a grader by its file's name: a process that ran another folder's graders (a handout's,
    a copy of the course) holds modules of the same names, which the graders here would otherwise get.
    Modules already imported from `folder` stay: a class run keeps them warm.
    """
    names = {path.stem for path in folder.glob("*.py")}
    foreign = {name: sys.modules.pop(name) for name in list(sys.modules) if name in names
               and Path(getattr(sys.modules[name], "__file__", "") or "").parent != folder}
    try:
        yield
    finally:
        for name in foreign:
            sys.modules.pop(name, None)
        sys.modules.update(foreign)


def run_session(graders: list[Path], rootdir: Path, grading: Grading,
                fixtures: type[Fixtures] = Fixtures) -> SessionResult:
    """Run pytest over the grader files `graders` in this process (a subclass of Fixtures may change some)."""
    start = time.perf_counter()
    collector = Collector(grading)
    # Graders need no third-party pytest plugin; loading every installed one costs ~0.5 s a run. The two
    # built-in ones disabled above call gc.collect() over a heap of numpy, scipy and matplotlib: ~0.2 s.
    with contextlib.redirect_stdout(io.StringIO()) as printed, _env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"), \
            graders_of(rootdir.resolve()):
        code = pytest.main(pytest_args(graders, rootdir), plugins=[collector, fixtures(grading, lambda: collector.log)])
    return SessionResult(collector.outcomes, collector.figures, int(code), printed.getvalue(),
                         time.perf_counter() - start)
