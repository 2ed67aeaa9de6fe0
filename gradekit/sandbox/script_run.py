"""What a submission's script did when the worker ran it: the calls it made of recorded functions, the
figures it showed, what it printed, and why it stopped if it did not end. Rebuilt from the worker's
reply trusting nothing in it: every value is wire data, every list capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradekit.sandbox.failures import StudentError, error_of
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.wire import FigureSummary

MAX_CALLS = 200  # as many as the worker records
MAX_FIGURES = 16


@dataclass
class RecordedCall:
    """One call the script made of a recorded function: its arguments as passed, and its result.

    `value` is None when the call raised (`error` says what) or when the value could not be recorded
    (not plain data, or over the run's size budget: `recorded` is False for such a value).
    """

    func: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    value: Any = None
    error: str | None = None
    recorded: bool = True

    @property
    def first(self) -> Any:
        """The first argument: positional, else the first passed by keyword (None when there is none)."""
        return self.args[0] if self.args else next(iter(self.kwargs.values()), None)


@dataclass
class ScriptRun:
    """A script run as `python <script>` in the worker; `error` is None when it ran to its end."""

    script: str
    calls: list[RecordedCall] = field(default_factory=list)
    figures: list[FigureSummary] = field(default_factory=list)
    shown_after: list[int] = field(default_factory=list)  # how many recorded calls preceded each figure
    output: str = ""
    error: StudentError | None = None
    elapsed: float = 0.0
    dropped: int = 0  # calls made beyond the recording cap (counted, not kept)

    @property
    def missing(self) -> bool:
        """The script is not in the submission."""
        return self.error is not None and self.error.kind == "missing"

    def calls_of(self, func: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.func == func]

    def figures_after(self, calls: int) -> list[FigureSummary]:
        """The figures shown once at least `calls` recorded calls had been made, in order."""
        return [fig for fig, after in zip(self.figures, self.shown_after) if after >= calls]


def script_run(script: str, reply: dict, output_cap: int) -> ScriptRun:
    """The worker's reply to a run request, as a ScriptRun."""
    output = reply["output"][:output_cap + 100] if isinstance(reply.get("output"), str) else ""  # + "[output cut]"
    error = error_of(reply["error"]) if "error" in reply or not reply.get("ok") else None
    run = ScriptRun(script, output=output, error=error)
    if not reply.get("ok"):
        return run
    raw_calls = reply.get("calls") if isinstance(reply.get("calls"), list) else []
    run.calls = [_call(raw) for raw in raw_calls[:MAX_CALLS]]
    for raw in (reply.get("figures") if isinstance(reply.get("figures"), list) else [])[:MAX_FIGURES]:
        figure = _shown_figure(raw)
        if figure is not None:
            run.figures.append(figure)
            run.shown_after.append(raw["after"] if type(raw.get("after")) is int else 0)
    run.elapsed = float(reply["elapsed"]) if isinstance(reply.get("elapsed"), (int, float)) else 0.0
    run.dropped = reply["dropped"] if type(reply.get("dropped")) is int else 0
    return run


def _call(raw: Any) -> RecordedCall:
    raw = raw if isinstance(raw, dict) else {}
    call = RecordedCall(str(raw.get("func", ""))[:200])
    error = raw.get("error")
    call.error = str(error)[:400] if error is not None else None
    try:
        args, kwargs = wire.decode(raw.get("args", [])), wire.decode(raw.get("kwargs", {"__dict__": {}}))
        call.args = tuple(args) if isinstance(args, list) else ()
        call.kwargs = kwargs if isinstance(kwargs, dict) else {}
        call.value = wire.decode(raw.get("value")) if call.error is None else None
    except (wire.WireError, TypeError, ValueError, KeyError):
        call.args, call.kwargs, call.value, call.recorded = (), {}, None, False
    kept = {"args", "kwargs"} | ({"value"} if call.error is None else set())
    call.recorded = call.recorded and kept <= set(raw)
    return call


def _shown_figure(raw: Any) -> FigureSummary | None:
    try:
        figure = wire.decode(raw.get("figure")) if isinstance(raw, dict) else None
    except (wire.WireError, TypeError, ValueError, KeyError):
        return None
    return figure if isinstance(figure, FigureSummary) else None
