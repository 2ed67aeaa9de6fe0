"""Running a submission's script as `python script.py` would, recording what it computes and draws.

A request `{"op": "run", "run": "ex_1.py", "record": ["module.function", ...], "time_limit": s}`
wraps each recorded function in its module before the script runs (so the script's own
`from module import function` gets the wrapper) and records every call's arguments and result;
replaces `matplotlib.pyplot.show` so that each figure open at a `show()`, and each still open at the
end, is captured as a figure summary and closed; then runs the file with `runpy.run_path` as
`__main__`. The reply holds the output, the calls and the figures in the wire format, and the error
if the script raised (what it recorded before still comes back). Sizes are capped.
"""

from __future__ import annotations

import functools
import importlib
import json
import runpy
import sys
import time
import types
from pathlib import Path
from typing import Any, Callable

import deadline
import pngs
import wire

MAX_CALLS = 200  # calls recorded per run; later ones are counted, not kept
MAX_FIGURES = 16  # figures captured per run
RECORD_BYTES = 8 * 2**20  # encoded arguments and results kept per run; beyond it values are left out


class CallRecorder:
    """Wraps functions so that each call's arguments (as they were passed) and result are kept."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.dropped = 0
        self.budget = RECORD_BYTES
        self.installed: list[tuple[types.ModuleType, str, Callable, Callable]] = []

    def install(self, targets: list[str]) -> None:
        """Wrap each "module.function" of `targets` in its module (imported if needed; absent ones are skipped)."""
        for target in targets:
            module_name, _, attr = str(target).rpartition(".")
            try:
                module = importlib.import_module(module_name)
            except BaseException:  # noqa: BLE001 - a module that does not import: the script says so itself
                continue
            original = getattr(module, attr, None)
            if callable(original):
                wrapper = self.wrap(str(target), original)
                setattr(module, attr, wrapper)
                self.installed.append((module, attr, original, wrapper))

    def uninstall(self) -> None:
        for module, attr, original, wrapper in reversed(self.installed):
            if getattr(module, attr, None) is wrapper:
                setattr(module, attr, original)
        self.installed.clear()

    def wrap(self, name: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            entry = self.entry(name, args, kwargs)
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:
                if entry is not None:
                    entry["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
                raise
            if entry is not None:
                self.keep(entry, "value", value)
            return value
        return recorded

    def entry(self, name: str, args: tuple, kwargs: dict) -> dict | None:
        """A new call's record, its arguments encoded before the call can change them (None past the cap)."""
        if len(self.calls) >= MAX_CALLS:
            self.dropped += 1
            return None
        entry = {"func": name}
        self.keep(entry, "args", list(args))
        self.keep(entry, "kwargs", dict(kwargs))
        self.calls.append(entry)
        return entry

    def keep(self, entry: dict, key: str, value: Any) -> None:
        """entry[key] = `value` in the wire format; left out when it is not plain data or the run's budget is spent."""
        encoded = self.encoded(value)
        if encoded is not None:
            entry[key] = encoded

    def encoded(self, value: Any) -> Any:
        """`value` in the wire format, counted against the run's budget; None when it cannot be kept."""
        try:
            encoded = wire.encode(_plain(value))
        except (wire.WireError, TypeError, ValueError, RecursionError):
            return None
        size = len(json.dumps(encoded, separators=(",", ":")))
        if size > self.budget:
            return None
        self.budget -= size
        return encoded


def _plain(value: Any) -> Any:
    """Figures (alone, or in a tuple or list) as figure summaries, so a recorded result can travel."""
    if type(value).__name__ == "Figure" and type(value).__module__.startswith("matplotlib"):
        return wire.figure_summary(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Figures:
    """Captures every open figure at `plt.show()` (and at the end), then closes it."""

    def __init__(self, recorder: CallRecorder) -> None:
        import matplotlib.pyplot as plt

        self.plt, self.recorder = plt, recorder
        self.shown: list[dict] = []
        self.original = plt.show
        plt.close("all")  # figures left by importing the submission are not the script's

    def install(self) -> None:
        def show(*args: Any, **kwargs: Any) -> None:  # a function: pyplot sets attributes on its `show`
            self.capture()
        show.__doc__ = self.original.__doc__
        self.plt.show = show

    def uninstall(self) -> None:
        self.capture()
        self.plt.show = self.original

    def capture(self) -> None:
        for number in self.plt.get_fignums():
            fig = self.plt.figure(number)
            try:
                kept = self.recorder.encoded(wire.figure_summary(fig, pngs.png_if_drawable(fig))) \
                    if len(self.shown) < MAX_FIGURES else None
            except Exception:  # noqa: BLE001 - a figure that cannot be summarised is left out
                kept = None
            if kept is not None:  # within the run's budget, which arguments and results share
                self.shown.append({"figure": kept, "after": len(self.recorder.calls)})
            self.plt.close(fig)


def run_script(request: dict, root: str, take_output: Callable[[], str],
               describe: Callable[[BaseException, str], dict]) -> dict:
    """Run the script `request["run"]` under `root` and reply with what it printed, recorded and drew."""
    name = str(request["run"])
    path = Path(root, name)
    if Path(name).is_absolute() or ".." in Path(name).parts or not path.is_file():
        return {"ok": False, "output": "", "error": {"type": "MissingFile", "file": name, "line": None,
                                                     "message": f"{name} is not in the submission"}}
    limit = float(request.get("time_limit") or 10)
    recorder = CallRecorder()
    figures = Figures(recorder)
    saved_argv = sys.argv
    start = time.perf_counter()
    error = None
    try:
        _run(path, limit, recorder, figures, [str(t) for t in request.get("record", [])])
    except BaseException as exc:  # noqa: BLE001 - the script's failure is data for the grader
        error = _failure(exc, limit, root, describe)
    finally:
        sys.argv = saved_argv
        recorder.uninstall()
        figures.uninstall()
    reply = {"ok": True, "elapsed": time.perf_counter() - start, "output": take_output(), "calls": recorder.calls,
             "dropped": recorder.dropped, "figures": figures.shown}
    return reply if error is None else {**reply, "error": error}


def _run(path: Path, limit: float, recorder: CallRecorder, figures: Figures, targets: list[str]) -> None:
    """The script run as `__main__` with the recorders in place, stopped after `limit` seconds."""
    with deadline.time_limit(limit):  # TimeUp then: what it recorded is still sent
        recorder.install(targets)
        figures.install()
        sys.argv = [str(path)]
        runpy.run_path(str(path), run_name="__main__")


def _failure(exc: BaseException, limit: float, root: str, describe: Callable[[BaseException, str], dict]) -> dict | None:
    """Why the script stopped, or None when it ended as a script may (sys.exit() or sys.exit(0))."""
    if isinstance(exc, deadline.TimeUp):
        return {"type": "ScriptTimeout", "message": f"did not finish within the time limit of {limit:g} s "
                                                    "(an infinite loop or a long computation?)", "file": None, "line": None}
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return None
    return describe(exc, root)
