"""The pytest plugin that runs graders/: fixtures `student`, `reference`, `rng`, `convention`.

Pytest runs in the trusted process; `student.f(...)` sends the call to the worker and returns
plain data. Each test's outcome is collected here with its public message and instructor detail.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import os
import sys
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradekit.course import Assignment, Course
from gradekit.grading.compare import NOTES, Mismatch
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.kitfns import FUNCTIONS
from gradekit.sandbox.runner.wire import FigureSummary, Fn
from gradekit.sandbox.worker import CallResult, StudentError, Worker


class StudentFailure(AssertionError):
    """The student's function raised, hung, crashed or returned something unreadable."""

    def __init__(self, func: str, error: StudentError):
        self.func, self.error = func, error
        super().__init__(f"{func}() {_verb(error)}: {error.public()}")


def _verb(error: StudentError) -> str:
    return {"exception": "raised", "timeout": "stopped", "crash": "stopped", "missing": "is missing"}.get(
        error.kind, "failed")


@dataclass
class Outcome:
    """One grader test's result, before points are attached."""

    nodeid: str
    name: str
    part: str
    passed: bool
    message: str = ""
    hint: str | None = None
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    not_started: bool = False
    duration: float = 0.0


@dataclass
class CallLog:
    """The calls a test made, for the instructor: function, argument shapes, output."""

    lines: list[str] = field(default_factory=list)
    figures: dict[str, FigureSummary] = field(default_factory=dict)

    def add(self, func: str, args: tuple, kwargs: dict, result: CallResult) -> None:
        shown = ", ".join([_shape(a) for a in args] + [f"{k}={_shape(v)}" for k, v in kwargs.items()])
        self.lines.append(f"{func}({shown})" + (f" printed {len(result.output)} chars" if result.output else ""))


def _shape(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Fn):
        return value.name
    return repr(value)[:40]


class StudentProxy:
    """`student.conv2d(...)` runs the student's conv2d in the worker and returns its value."""

    def __init__(self, worker: Worker, modules: dict[str, str], log: CallLog, import_errors: dict[str, Any]):
        self._worker, self._modules, self._log, self._import_errors = worker, modules, log, import_errors

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_"):
            raise AttributeError(func)
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False,
             **kwargs: Any) -> CallResult:
        """The full outcome (value, arguments after the call, output); raises StudentFailure."""
        module = self._modules.get(func, "neural_network")
        result = self._worker.call(module, func, args, kwargs, seed=seed, echo_args=echo_args)
        self._log.add(func, args, kwargs, result)
        if result.error is not None:
            raise StudentFailure(func, self._explain(module, result.error))
        for i, fig in enumerate(_figures(result.value)):
            if fig.png:  # the worker renders a function's figure the first time only
                self._log.figures[f"{func}" + (f"_{i}" if i else "")] = fig
        return result

    def _explain(self, module: str, error: StudentError) -> StudentError:
        broken = self._import_errors.get(module)
        if error.kind == "missing" and broken and broken.get("type") != "MissingFile":
            error.message += f" ({import_failure(module, broken)}; the rest of it was still graded)"
        return error


def import_failure(module: str, error: dict) -> str:
    """Why `module` did not import, naming the file and line where it failed: another module, when
    the error was raised in a module it imports."""
    where = f", line {error['line']}" if error.get("line") else ""
    if where and error.get("file"):
        where = f" in {error['file']}{where}"
    return f"{module}.py did not import: {error.get('type')}{where}: {error.get('message')}"


def _figures(value: Any) -> list[FigureSummary]:
    if isinstance(value, FigureSummary):
        return [value]
    if isinstance(value, (tuple, list)):
        return [f for v in value for f in _figures(v)]
    return []


def test_name(item: pytest.Item) -> str:
    """`part: what it checks`, from the test's docstring (formatted with its parameters)."""
    doc = (getattr(item, "obj", None).__doc__ or "").strip().splitlines()
    name = doc[0].strip() if doc else item.name
    params = getattr(getattr(item, "callspec", None), "params", {})
    try:
        return name.format(**params)
    except (KeyError, IndexError, ValueError):
        return name


class ReferenceProxy:
    """The instructor's functions, with the same `call` as the student proxy.

    Arguments are copied (the caller's arrays stay as they were), `Fn` names resolve to the
    same helpers the worker uses, `seed` seeds np.random first, and prints are swallowed.
    """

    def __init__(self, functions: dict[str, Any]):
        self._functions = functions

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_") or func not in self._functions:
            raise AttributeError(func)
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False,
             **kwargs: Any) -> CallResult:
        args, kwargs = _resolve(copy.deepcopy(args)), _resolve(copy.deepcopy(kwargs))
        if seed is not None:
            np.random.seed(seed)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            value = self._functions[func](*args, **kwargs)
        return CallResult(value=value, args_after=list(args) if echo_args else None, output=printed.getvalue())


def _resolve(value: Any) -> Any:
    """Replace Fn markers by the helpers they name (as the worker does)."""
    return wire.decode(wire.encode(value), functions=FUNCTIONS) if _has_fn(value) else value


def _has_fn(value: Any) -> bool:
    if isinstance(value, Fn):
        return True
    if isinstance(value, (tuple, list)):
        return any(_has_fn(v) for v in value)
    if isinstance(value, dict):
        return any(_has_fn(v) for v in value.values())
    return False


def load_reference(reference_dir: Path, modules: list[str]) -> ReferenceProxy:
    """The instructor's functions, imported in the trusted process only."""
    if str(reference_dir) not in sys.path:
        sys.path.insert(0, str(reference_dir))
    namespace: dict[str, Any] = {}
    for name in modules:
        namespace.update({k: v for k, v in vars(importlib.import_module(name)).items()
                          if callable(v) and not k.startswith("_")})
    return ReferenceProxy(namespace)


class GradingPlugin:
    """Fixtures for graders and the collector of their outcomes."""

    def __init__(self, course: Course, assignment: Assignment, worker: Worker, reference: Any, seed: int):
        self.course, self.assignment, self.worker = course, assignment, worker
        self.reference, self.seed = reference, seed
        self.import_errors = {k: v for k, v in (worker.wait_ready().get("errors") or {}).items() if v}
        self.modules = {name: part.module for name, part in assignment.parts.items()}
        self.outcomes: list[Outcome] = []
        self.unknown_parts: list[str] = []
        self.figures: dict[str, FigureSummary] = {}
        self._log = CallLog()

    # -- fixtures ---------------------------------------------------------------------------------
    @pytest.fixture
    def student(self) -> StudentProxy:
        return StudentProxy(self.worker, self.modules, self._log, self.import_errors)

    @pytest.fixture(name="reference")
    def reference_fixture(self) -> Any:
        return self.reference

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A generator seeded from the run's seed and the test, so inputs change every run."""
        return np.random.default_rng([self.seed, zlib.crc32(request.node.nodeid.encode())])

    @pytest.fixture
    def convention(self) -> str:
        return self.course.convention_for(self.assignment)

    # -- collection and reporting --------------------------------------------------------------------
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = []
        for item in items:
            part = test_name(item).split(":")[0].strip()
            if part in self.assignment.parts:
                keep.append(item)
            elif self.course.part_owner(part) is None:
                self.unknown_parts.append(f"{item.nodeid} grades '{part}', which no assignment lists")
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._log = CallLog()  # before the fixtures: the `student` proxy of this test writes here

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        item.stash[_NOTES_KEY] = notes = []
        token = NOTES.set(notes)
        try:
            return (yield)
        finally:
            NOTES.reset(token)

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        if call.when == "setup" and call.excinfo is None:
            return
        if call.when == "teardown" and call.excinfo is None:
            return
        if call.when == "call" or call.excinfo is not None:
            self.outcomes.append(self._outcome(item, call))
            self.figures.update(self._log.figures)

    def _outcome(self, item: pytest.Item, call: pytest.CallInfo) -> Outcome:
        name = test_name(item)
        out = Outcome(item.nodeid, name, name.split(":")[0].strip(), call.excinfo is None,
                      notes=item.stash.get(_NOTES_KEY, []), duration=call.duration)
        calls = "\n".join(self._log.lines[-20:])
        out.detail = f"seed {self.seed}; calls:\n{calls}" if calls else f"seed {self.seed}"
        if call.excinfo is None:
            return out
        exc = call.excinfo.value
        if isinstance(exc, StudentFailure):
            out.message = str(exc)
            out.not_started = exc.error.type == "NotImplementedError"
            out.detail += "\n" + "\n".join(exc.error.trace)
        elif isinstance(exc, Mismatch):
            out.message, out.hint = exc.public, exc.hint
            out.detail += "\n" + exc.detail
        elif isinstance(exc, AssertionError):
            out.message = str(exc).split("\nassert ")[0]
        else:
            out.message = "The grader itself failed on this test; your instructor has the details."
            out.detail += "\n" + "".join(traceback.format_exception(exc))[-3000:]
        return out


_NOTES_KEY = pytest.StashKey[list]()


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


def run_graders(graders_dir: Path, plugin: GradingPlugin) -> int:
    """Run pytest on the graders in this process; returns pytest's exit code."""
    start = time.perf_counter()
    args = [str(graders_dir), "-q", "-p", "no:cacheprovider", "--no-header", "--assert=plain", "--tb=no",
            "-o", "python_files=test_*.py", "--rootdir", str(graders_dir), "-W", "ignore::DeprecationWarning",
            "--ignore", str(graders_dir / "mutants"), "-p", "no:unraisableexception", "-p", "no:threadexception"]
    # Graders need no third-party pytest plugin; loading every installed one costs ~0.5 s a run. The two
    # built-in ones disabled above call gc.collect() over a heap of numpy, scipy and matplotlib: ~0.2 s.
    with contextlib.redirect_stdout(io.StringIO()) as printed, _env("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"):
        code = pytest.main(args, plugins=[plugin])
    plugin.pytest_output = printed.getvalue()
    plugin.duration = time.perf_counter() - start
    return int(code)
