"""Why student code produced no value, as the trusted side describes it: an exception, a limit, a bad reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIMEOUT_TYPE = "ScriptTimeout"  # what the worker reports when a script ran out of its time limit


@dataclass
class StudentError:
    """Why a call produced no value: an exception, a limit, or a bad reply."""

    kind: str  # exception | timeout | crash | bad_reply | missing
    message: str
    type: str = ""
    file: str | None = None
    line: int | None = None
    trace: list[str] = field(default_factory=list)

    def public(self) -> str:
        where = f" ({self.file}, line {self.line})" if self.file and self.line else f" ({self.file})" if self.file else ""
        prefix = f"{self.type}: " if self.type and self.kind == "exception" else ""
        return f"{prefix}{self.message}{where}"


def timed_out(limit: float) -> StudentError:
    """A call that ran past its time limit of `limit` seconds."""
    return StudentError("timeout", f"did not finish within the time limit of {limit:g} s (infinite loop?)")


def timed_out_before(times: int) -> StudentError:
    """A call not run: its function already ran past its time limit `times` times."""
    return StudentError("timeout", f"not run: it already exceeded the time limit {times} times in this submission")


def error_of(raw: Any) -> StudentError:
    """A failure as the worker reported it, rebuilt trusting nothing in it: short strings, an int line."""
    raw = raw if isinstance(raw, dict) else {}
    text = {k: str(raw.get(k, ""))[:500] for k in ("type", "message")}
    kind = "missing" if text["type"] in ("MissingFunction", "MissingFile") else "exception"
    if text["type"] in ("BadReturn", "BadReply"):
        kind = "bad_reply"
    if text["type"] == TIMEOUT_TYPE:
        kind = "timeout"
    if text["type"] == "MemoryError":
        text["message"] = "ran out of memory (the worker's memory limit)"
    line = raw.get("line") if type(raw.get("line")) is int else None
    file = str(raw["file"])[:200] if isinstance(raw.get("file"), str) else None
    trace = [str(t)[:300] for t in raw.get("trace", [])[:8]] if isinstance(raw.get("trace"), list) else []
    return StudentError(kind, text["message"], text["type"], file, line, trace)
