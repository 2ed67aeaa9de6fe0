"""What a grader's `student` and `reference` fixtures are: the same `call` on either side of the sandbox.

`student.f(...)` sends the call to the worker and returns plain data; `reference.f(...)` runs
the instructor's function in the trusted process on copies of the arguments.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping

import numpy as np

from gradekit.course import defined_functions
from gradekit.errors import KitFault
from gradekit.sandbox.runner import import_hooks, wire
from gradekit.sandbox.runner.draws import recording
from gradekit.sandbox.runner.wire import FigureSummary, Fn
from gradekit.sandbox.script_run import ScriptRun
from gradekit.sandbox.worker import CallResult, StudentError, Worker


class StudentFailure(AssertionError):
    """The student's function raised, hung, crashed or returned something unreadable."""

    def __init__(self, func: str, error: StudentError):
        self.func, self.error = func, error
        super().__init__(f"{func}() {_verb(error)}: {error.public()}")

    @property
    def not_written(self) -> bool:
        """The function is not in the submission, or is still the handout's stub (it raises NotImplementedError)."""
        return self.error.kind == "missing" or self.error.type == "NotImplementedError"


def _verb(error: StudentError) -> str:
    return {"exception": "raised", "timeout": "stopped", "crash": "stopped", "missing": "is missing"}.get(
        error.kind, "failed")


@dataclass
class CallLog:
    """The calls a test made, for the instructor: function, argument shapes, output; and its figures."""

    lines: list[str] = field(default_factory=list)
    figures: dict[str, FigureSummary] = field(default_factory=dict)

    def add(self, func: str, args: tuple, kwargs: dict, result: CallResult) -> None:
        shown = ", ".join([_shape(a) for a in args] + [f"{k}={_shape(v)}" for k, v in kwargs.items()])
        drew = f" drew {len(result.draws)} orders" if result.draws is not None else ""
        self.lines.append(f"{func}({shown})" + (f" printed {len(result.output)} chars" if result.output else "")
                          + drew)


def _shape(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Fn):
        return value.name
    return repr(value)[:40]


class StudentProxy:
    """`student.f(...)` runs the student's f in the worker (in the module its part lives in) and returns its value."""

    def __init__(self, worker: Worker, modules: dict[str, str], default_module: str, log: CallLog,
                 import_errors: Callable[[], dict[str, Any]]):
        self._worker, self._modules, self._default = worker, modules, default_module
        self._log, self._import_errors = log, import_errors

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_"):
            raise AttributeError(func)
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False, draws: bool = False,
             replace: dict[str, Any] | None = None, **kwargs: Any) -> CallResult:
        """The full outcome (value, arguments after the call, output); raises StudentFailure.

        `draws=True` notes the random orders the call drew (`.draws`, see runner/draws.py);
        `replace={"name": Fn("helper")}` runs it with that name of its module bound to the helper.
        """
        module = self._modules.get(func, self._default)
        result = self._worker.call(module, func, args, kwargs, seed=seed, echo_args=echo_args, draws=draws,
                                   replace=replace)
        self._log.add(func, args, kwargs, result)
        if replace:
            self._log.lines[-1] += f" with {', '.join(sorted(replace))} replaced"
        if result.error is not None:
            raise StudentFailure(func, self._with_import_error(module, result.error))
        for i, fig in enumerate(wire.figures_in(result.value)):
            if fig.png or fig.later is not None:  # the worker draws a function's figure the first time only
                self._log.figures[f"{func}" + (f"_{i}" if i else "")] = fig
        return result

    def run_script(self, script: str, record: Iterable[str] = (), *, timeout: float | None = None) -> ScriptRun:
        """Run the submission's file `script` as `python script` would, recording every call of the functions
        named in `record` (a part's function, or "module.function") and every figure it shows. Never raises:
        a script that is missing, raises or times out has an `error` (and what it recorded until then)."""
        targets = {name: name if "." in name else f"{self._modules.get(name, self._default)}.{name}" for name in record}
        run = self._worker.run_script(script, list(targets.values()), timeout=timeout)
        asked = {target: name for name, target in targets.items()}
        for call in run.calls:
            call.func = asked.get(call.func, call.func)
        stopped = f"; it stopped: {run.error.public()}" if run.error else ""
        self._log.lines.append(f"ran {script}: {len(run.calls)} recorded calls, {len(run.figures)} figures{stopped}")
        stem = Path(script).stem
        for i, fig in enumerate(run.figures):
            if fig.png:
                self._log.figures[stem + (f"_{i}" if i else "")] = fig
        return run

    def _with_import_error(self, module: str, error: StudentError) -> StudentError:
        broken = self._import_errors().get(module) if error.kind == "missing" else None
        if broken and broken.get("type") != "MissingFile":
            error.message += f" ({import_failure(module, broken)}; the rest of it was still graded)"
        return error


def import_failure(module: str, error: dict) -> str:
    """Why `module` did not import, naming the file and line where it failed: another module, when
    the error was raised in a module it imports."""
    where = f", line {error['line']}" if error.get("line") else ""
    if where and error.get("file"):
        where = f" in {error['file']}{where}"
    return f"{module}.py did not import: {error.get('type')}{where}: {error.get('message')}"


class ReferenceProxy:
    """The instructor's functions, with the same `call` as the student proxy.

    Arguments are copied (the caller's arrays stay as they were), `Fn` names resolve to the
    course's helper functions as in the worker, `seed` seeds np.random first, and prints are swallowed;
    `draws` and `replace` work as in the worker.
    """

    def __init__(self, functions: Mapping[str, Callable], helpers: dict[str, Callable]):
        self._functions, self.helpers = functions, helpers

    @property
    def fault(self) -> str | None:
        """Why a module of the reference could not be imported when a grader asked for it (None: none failed)."""
        return self._functions.fault if isinstance(self._functions, ReferenceFunctions) else None

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_") or func not in self._functions:
            raise AttributeError(func)
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False, draws: bool = False,
             replace: dict[str, Any] | None = None, **kwargs: Any) -> CallResult:
        args, kwargs = self._resolve(copy.deepcopy(args)), self._resolve(copy.deepcopy(kwargs))
        function = self._functions[func]
        if seed is not None:
            np.random.seed(seed)
        with contextlib.ExitStack() as stack:
            printed = stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            namespaces = [function.__globals__] if isinstance(getattr(function, "__globals__", None), dict) else []
            for namespace in namespaces:
                for name, value in self._resolve(replace or {}).items():
                    stack.callback(_rebind(namespace, name))
                    namespace[name] = value
            recorder = stack.enter_context(recording(namespaces)) if draws else None
            value = function(*args, **kwargs)
        return CallResult(value=value, args_after=list(args) if echo_args else None, output=printed.getvalue(),
                          draws=recorder.orders if recorder else None)

    def _resolve(self, value: Any) -> Any:
        """Replace Fn markers by the helpers they name (as the worker does)."""
        return wire.decode(wire.encode(value), functions=self.helpers) if _has_fn(value) else value


def _rebind(namespace: dict, name: str) -> Callable[[], None]:
    """What puts `name` of `namespace` back as it is now (or removes it)."""
    if name in namespace:
        old = namespace[name]
        return lambda: namespace.__setitem__(name, old)
    return lambda: namespace.pop(name, None)


def _has_fn(value: Any) -> bool:
    if isinstance(value, Fn):
        return True
    if isinstance(value, (tuple, list)):
        return any(_has_fn(v) for v in value)
    if isinstance(value, dict):
        return any(_has_fn(v) for v in value.values())
    return False


def import_reference(reference_dir: Path, modules: list[str], needed: Collection[str] | None) -> None:
    """Import now the modules of the reference that serve the functions `needed` (None: every module), e.g. in a
    class run's parent, so that its grading processes inherit them warm."""
    ReferenceFunctions(reference_dir, modules).import_for(needed)


def load_reference(reference_dir: Path, modules: list[str], helpers: dict[str, Callable],
                   needed: Collection[str] | None = ()) -> ReferenceProxy:
    """The instructor's functions, imported in the trusted process only: now the modules that serve the functions
    `needed` (None: every module; authoring.named_reference_functions tells which the graders name), the others
    when a grader first asks for a function of theirs."""
    functions = ReferenceFunctions(reference_dir, modules)
    functions.import_for(needed)
    return ReferenceProxy(functions, helpers)


class ReferenceFunctions(Mapping[str, Callable]):
    """The reference's functions by name, its modules imported when a function is first asked for: the one module
    that defines it (a top-level def), else every module, a later one's function winning. A grade whose graders
    never call a module's functions does not import it (one that draws figures brings in matplotlib: ~0.3 s).

    A module that cannot be imported raises KitFault, and `fault` keeps why: the grade is then a kit error.
    """

    def __init__(self, folder: Path, modules: list[str]):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        import_hooks.light_scipy()  # the course's SciPy comes in with its reference (and graders, imported after it)
        self._modules = modules
        self._defined = {module: defined_functions(folder / f"{module}.py") for module in modules}
        self._imported: dict[str, dict[str, Callable]] = {}
        self._found: dict[str, Callable] = {}  # each name looked up once (a grader's every call asks twice)
        self.fault: str | None = None

    def __getitem__(self, name: str) -> Callable:
        if name not in self._found:
            self._found[name] = self._functions_in(self._serving(name))[name]
        return self._found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions_in(self._modules))

    def __len__(self) -> int:
        return len(self._functions_in(self._modules))

    def import_for(self, names: Collection[str] | None) -> None:
        """Import the modules that define `names` (None: every module; a name none defines is looked up when asked)."""
        wanted = set(names) if names is not None else None
        self._functions_in([m for m in self._modules if wanted is None or self._defined[m] & wanted])

    def _serving(self, name: str) -> list[str]:
        """The modules to look for `name` in: the one that defines it, else all (a later one's function wins)."""
        defining = [module for module in self._modules if name in self._defined[module]]
        return defining if len(defining) == 1 else self._modules

    def _functions_in(self, modules: Iterable[str]) -> dict[str, Callable]:
        found: dict[str, Callable] = {}
        for module in [m for m in self._modules if m in modules]:  # in the course's order
            found.update(self._functions_of(module))
        return found

    def _functions_of(self, module: str) -> dict[str, Callable]:
        if module not in self._imported:
            try:
                namespace = vars(importlib.import_module(module))
            except Exception as exc:  # noqa: BLE001 - the instructor's module: any error is the kit's to report
                why = f"the reference's {module}.py could not be imported ({type(exc).__name__}: {exc})"
                self.fault = self.fault or why
                raise KitFault(why) from None
            self._imported[module] = {k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")}
        return self._imported[module]
