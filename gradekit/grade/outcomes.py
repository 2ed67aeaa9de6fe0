"""One grader test's outcome, read from pytest's report of it: passed, or why not, in typed fields."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import pytest

from gradekit.grade.compare import Mismatch
from gradekit.parts import item_title, part_of
from gradekit.grade.proxies import CallLog, StudentFailure

GRADER_FAILED = "The grader itself failed on this test; your instructor has the details."
NOTED = pytest.StashKey[list]()  # the notes a test's checks made (e.g. an accepted variant)


@dataclass
class Outcome:
    """One grader test's result, before points are attached."""

    nodeid: str
    name: str
    part: str
    passed: bool
    weight: float = 1.0
    message: str = ""
    hint: str | None = None
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    not_started: bool = False
    failure: str = ""  # why it failed: mismatch, grader, or the student error's kind (exception, timeout, crash, ...)
    duration: float = 0.0


def test_weight(item: pytest.Item) -> float:
    """The test's share of its part's points relative to the part's other tests (`@checks.weight(w)`; 1 by default)."""
    marker = item.get_closest_marker("weight")
    return float(marker.args[0]) if marker and marker.args else 1.0


def outcome_of(item: pytest.Item, call: pytest.CallInfo, log: CallLog, seed: int) -> Outcome:
    """The outcome of a test from its report, its calls (for the instructor) and the run's seed."""
    name = item_title(item)
    out = Outcome(item.nodeid, name, part_of(name), call.excinfo is None, weight=test_weight(item),
                  notes=item.stash.get(NOTED, []), duration=call.duration)
    calls = "\n".join(log.lines[-20:])
    out.detail = f"seed {seed}; calls:\n{calls}" if calls else f"seed {seed}"
    if call.excinfo is not None:
        _explain_failure(out, call.excinfo.value)
    return out


def _explain_failure(out: Outcome, exc: BaseException) -> None:
    if isinstance(exc, StudentFailure):
        out.message, out.failure = str(exc), exc.error.kind
        out.not_started = exc.error.type == "NotImplementedError"
        out.detail += "\n" + "\n".join(exc.error.trace)
    elif isinstance(exc, Mismatch):
        out.message, out.hint, out.failure = exc.public, exc.hint, "mismatch"
        out.detail += "\n" + exc.detail
    elif isinstance(exc, AssertionError):
        out.message, out.failure = str(exc).split("\nassert ")[0], "mismatch"
    else:
        out.message, out.failure = GRADER_FAILED, "grader"
        out.detail += "\n" + "".join(traceback.format_exception(exc))[-3000:]
