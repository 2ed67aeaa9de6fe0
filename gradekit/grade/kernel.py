"""Grading in a Jupyter kernel: the kit's graders with the notebook's own namespace as the student.

The autograder cells of an nbgrader course (gradekit.release.nbgrader) call `run_test`, one cell per
test of the kit. A part's first cell runs all the part's tests at once: a pytest session over the
course's graders as `grade` runs them (the same fixtures, inputs drawn from the seed, the reference),
but with `student` calling the functions the notebook defined, in this process, as the worker calls
them: on copies of the arguments, under the call time limit, the answers made plain data (figures as
summaries). The points are score_tests', so each cell is worth what the kit gives its test.

Student code runs here unconfined, as nbgrader runs a whole notebook; the kit's `grade` is the sandboxed way.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from pathlib import Path
from typing import Any, Callable

from gradekit.content import grader_files, helper_functions, helpers_source
from gradekit.course import open_course
from gradekit.errors import KitError
from gradekit.grade.proxies import ReferenceProxy, load_reference
from gradekit.grade.scoring import score_tests
from gradekit.grade.session import Grading, run_session
from gradekit.layout import COURSE_FILE
from gradekit.parts import part_of
from gradekit.results import TestResult
from gradekit.sandbox.failures import error_of, timed_out, timed_out_before
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.deadline import TimeUp, time_limit
from gradekit.sandbox.script_run import ScriptRun
from gradekit.sandbox.worker import TIMEOUTS_PER_FUNCTION, CallResult

SEED_VARIABLE = "GRADEKIT_SEED"  # the inputs' seed, as `grade --seed`; without it, a fresh one per notebook
_TESTS: dict[str, "KernelTests"] = {}  # assignment -> its tests in this kernel (one notebook per kernel)


def run_test(folder: str | Path, key: str, title: str, namespace: dict) -> None:
    """Print the outcome of the kit's test `title` of assignment `key` (its course in `folder`) on the
    notebook's `namespace`; raise KitTestFailed if it failed, which costs the cell its points."""
    if key not in _TESTS:
        tests = _TESTS[key] = KernelTests(Path(folder), key, namespace)
        print(f"The kit's tests of {key}, on inputs drawn with seed {tests.seed} "
              f"({SEED_VARIABLE}={tests.seed} draws them again).")
    _TESTS[key].run(title)


class KitTestFailed(Exception):
    """A failed test of the kit: the notebook shows the kit's text as the error, and no traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines in place of the traceback
        return str(self).splitlines()


class KernelTests:
    """The kit's tests of one assignment on a notebook's namespace, each part's run on its first test."""

    def __init__(self, folder: Path, key: str, namespace: dict):
        self.paths, self.course = open_course(folder / COURSE_FILE)
        self.assignment = self.course.assignment(key)
        self.graders = grader_files(self.paths, key, self.assignment)
        helpers = helper_functions(helpers_source(self.paths))
        self.reference = load_reference(self.paths.reference, self.assignment.modules, helpers)
        self.worker = NamespaceWorker(namespace, helpers, self.course.limits_for(self.assignment).call_timeout_s)
        self.seed = kernel_seed()
        self.results: dict[str, TestResult] = {}
        self.graded: dict[str, str] = {}  # part -> "" once its tests ran, else why they did not

    def run(self, title: str) -> None:
        part = part_of(title)
        if part in self.assignment.parts and part not in self.graded:
            self._grade(part)
        test = self.results.get(title)
        if self.graded.get(part):
            raise KitTestFailed(f"{title}: {self.graded[part]}")
        if test is None:
            raise KitTestFailed(f"{title}: the kit has no such test (its graders changed since this nbgrader course "
                                "was released): release it again")
        text = f"{title}: {test.status}, {test.score:g} / {test.max_score:g} points"
        text += f"\n{test.output}" if test.output else ""
        if test.status == "failed":
            raise KitTestFailed(text)
        print(text)

    def _grade(self, part: str) -> None:
        """Run the tests of `part`, as `grade` does (stderr kept out of the cell: nbgrader fails a cell that writes there)."""
        one = self.assignment.model_copy(update={"parts": {part: self.assignment.parts[part]}})
        grading = Grading(self.course, one, self.worker, self.reference, self.seed)
        with contextlib.redirect_stderr(io.StringIO()):
            session = run_session(self.graders, self.paths.graders, grading)
        self.results.update({test.name: test for test in score_tests(session.outcomes, one)})
        self.graded[part] = "" if session.exit_code in (0, 1, 5) else (
            f"the kit's graders did not run (pytest exit {session.exit_code}): the kit's fault, not yours")


def kernel_seed() -> int:
    """The seed of the inputs: $GRADEKIT_SEED, else a fresh one."""
    given = os.environ.get(SEED_VARIABLE, "").strip()
    if not given:
        return secrets.randbelow(2**31)
    if not given.isdigit():
        raise KitError(f"{SEED_VARIABLE}={given!r} is not a seed", fix=f"set {SEED_VARIABLE} to a whole number, or unset it")
    return int(given)


class NamespaceWorker:
    """The worker's `call` and `run_script`, on the functions a notebook defined, in this process."""

    def __init__(self, namespace: dict, helpers: dict[str, Callable], limit: float):
        self.namespace, self.helpers, self.limit = namespace, helpers, limit
        self.timeouts: dict[str, int] = {}

    def call(self, module: str, func: str, args: tuple, kwargs: dict, *, seed: int | None = None,
             echo_args: bool = False, draws: bool = False, replace: dict[str, Any] | None = None) -> CallResult:
        """Run the notebook's `func` as the worker would run `module.func`; never raises for student faults."""
        function = self.namespace.get(func)
        if not callable(function):
            return CallResult(error=error_of({"type": "MissingFunction",
                                              "message": f"the notebook defines no function {func}()"}))
        if self.timeouts.get(func, 0) >= TIMEOUTS_PER_FUNCTION:
            return CallResult(error=timed_out_before(TIMEOUTS_PER_FUNCTION))
        proxy = ReferenceProxy({func: function}, self.helpers)
        try:
            with time_limit(self.limit):
                result = proxy.call(func, *args, seed=seed, echo_args=echo_args, draws=draws, replace=replace, **kwargs)
        except TimeUp:
            self.timeouts[func] = self.timeouts.get(func, 0) + 1
            return CallResult(error=timed_out(self.limit))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the student's exception, reported as data
            return CallResult(error=error_of({"type": type(exc).__name__, "message": str(exc)}))
        try:
            result.value = _as_sent(wire.summarize(result.value, wire.figure_summary))
        except wire.WireError as exc:
            return CallResult(error=error_of({"type": "BadReturn", "message": f"returned {exc}, not numbers or arrays"}))
        result.args_after = [_sent_or_none(a) for a in result.args_after] if result.args_after is not None else None
        return result

    def run_script(self, script: str, record: list[str], *, timeout: float | None = None) -> ScriptRun:
        """A notebook has no scripts: each is missing (a grader then grades the notebook's functions)."""
        return ScriptRun(script, error=error_of({"type": "MissingFile", "message": f"a notebook has no {script}"}))


def _as_sent(value: Any) -> Any:
    """`value` as the grader gets it from the worker: plain data, copied."""
    return wire.decode(wire.encode(value))


def _sent_or_none(value: Any) -> Any:
    try:
        return _as_sent(value)
    except wire.WireError:
        return None
