"""The wire format between the grader and the worker: length-prefixed JSON of plain data.

Values are numbers, numeric arrays (raw bytes in base64 with a whitelisted dtype), short
strings, None, and tuples/lists/dicts of those. Nothing is ever pickled. This module runs on
both sides; the trusted side trusts only its own copy.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Mapping

import numpy as np

ARRAY_DTYPES = frozenset(
    np.dtype(t).str for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)
MAX_DEPTH = 12
MAX_STR = 2000
MAX_DIMS = 8
INT_RANGE = (-2**63, 2**64)  # integers must fit numpy's int64 or uint64
# Values per message (counted as , [ and {; arrays travel as base64 and count 1): parsed JSON takes
# up to ~30x its size in memory when made of tiny objects, so a reply's byte cap alone is not enough.
MAX_ITEMS = 1_000_000
HEADER = struct.Struct(">I")


class WireError(ValueError):
    """A message that is not plain data of the agreed shape."""


@dataclass(frozen=True)
class Fn:
    """A callable argument, named: the worker resolves it from its own small table."""

    name: str


@dataclass
class AxesSummary:
    title: str
    images: list[np.ndarray] = field(default_factory=list)


@dataclass
class FigureSummary:
    """What a grader may check of a matplotlib Figure, plus its rendering as PNG bytes: sent with it, or drawn apart
    by the worker and asked for later by the token `later` (runner/renders.py)."""

    axes: list[AxesSummary]
    png: bytes = b""
    later: int | None = None


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a value into JSON-able plain data, or raise WireError naming its type."""
    if depth > MAX_DEPTH:
        raise WireError("a value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return _short(value) if isinstance(value, str) else value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return _number(value)
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, Fn):
        return {"__fn__": value.name}
    if isinstance(value, FigureSummary):
        axes = [{"title": _short(a.title), "images": [_array(i) for i in a.images]} for a in value.axes]
        later = {} if value.later is None else {"later": _number(value.later)}
        return {"__figure__": {"axes": axes, "png": _array(np.frombuffer(value.png, dtype=np.uint8)), **later}}
    raise WireError(f"a {type(value).__name__}")


def _short(text: str) -> str:
    return text if len(text) <= MAX_STR else text[:MAX_STR] + "..."


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return _int(int(value))
    value = float(value)
    return value if math.isfinite(value) else {"__float__": repr(value)}


def _array(value: np.ndarray) -> dict:
    plain = np.asarray(value).view(np.ndarray)  # tobytes() is C order; ascontiguousarray would make 0-d 1-d
    if plain.dtype.str not in ARRAY_DTYPES:
        raise WireError(f"an array of dtype {plain.dtype}")
    return {"__nd__": [plain.dtype.str, list(plain.shape), base64.b64encode(plain.tobytes()).decode("ascii")]}


def decode(data: Any, depth: int = 0, functions: Mapping[str, Callable] | None = None) -> Any:
    """Rebuild plain Python/NumPy values from wire data, refusing anything unexpected.

    Only the worker passes `functions`, to resolve named callables in a request.
    """
    if depth > MAX_DEPTH:
        raise WireError("a value nested too deeply")
    if data is None or isinstance(data, (bool, float)):
        return data
    if isinstance(data, int):
        return _int(data)
    if isinstance(data, str):
        return _short(data)
    if isinstance(data, list):
        return [decode(v, depth + 1, functions) for v in data]
    if isinstance(data, dict) and len(data) == 1:
        (tag, body), = data.items()
        if tag == "__nd__":
            return _decode_array(body)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(decode(v, depth + 1, functions) for v in body)
        if tag == "__dict__" and isinstance(body, dict):
            return {str(k): decode(v, depth + 1, functions) for k, v in body.items()}
        if tag == "__figure__" and isinstance(body, dict):
            return _decode_figure(body)
        if tag == "__fn__" and functions is not None and isinstance(body, str) and body in functions:
            return functions[body]
        if tag == "__float__" and body in ("nan", "inf", "-inf"):
            return float(body)
    raise WireError("an unexpected value")


def _int(value: int) -> int:
    if not INT_RANGE[0] <= value < INT_RANGE[1]:
        raise WireError("an integer too large for 64 bits")
    return value


def _decode_array(body: Any) -> np.ndarray:
    if not (isinstance(body, list) and len(body) == 3 and isinstance(body[0], str) and body[0] in ARRAY_DTYPES):
        raise WireError("a malformed array")
    dtype, shape, b64 = np.dtype(body[0]), body[1], body[2]
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
            and all(type(n) is int and 0 <= n < 2**31 for n in shape)):
        raise WireError("an array with a malformed shape")
    if not isinstance(b64, str):
        raise WireError("a malformed array")
    try:
        raw = base64.b64decode(b64.encode("ascii"), validate=True)
    except ValueError:  # binascii.Error, UnicodeEncodeError
        raise WireError("an array whose data is not base64") from None
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise WireError("an array whose size does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _decode_figure(body: dict) -> FigureSummary:
    axes = body.get("axes")
    if not isinstance(axes, list) or len(axes) > 64:
        raise WireError("a malformed figure")
    summaries = []
    for ax in axes:
        if not isinstance(ax, dict) or not isinstance(ax.get("title"), str) or not isinstance(ax.get("images"), list):
            raise WireError("a malformed figure")
        summaries.append(AxesSummary(_short(ax["title"]), [_tagged_array(i) for i in ax["images"][:16]]))
    png = _tagged_array(body["png"]) if "png" in body else np.zeros(0, np.uint8)
    later = body.get("later")
    if later is not None and (type(later) is not int or not 0 <= later < 2**31):
        raise WireError("a malformed figure")
    return FigureSummary(summaries, png.astype(np.uint8).tobytes(), later)


def _tagged_array(data: Any) -> np.ndarray:
    if not (isinstance(data, dict) and len(data) == 1 and "__nd__" in data):
        raise WireError("a malformed figure")
    return _decode_array(data["__nd__"])


def write_message(stream: BinaryIO, message: dict, limit: int | None = None) -> None:
    """Send one message (message_bytes)."""
    stream.write(message_bytes(message, limit))
    stream.flush()


def message_bytes(message: dict, limit: int | None = None) -> bytes:
    """One message as it is sent: a 4-byte length, then JSON; WireError if it is over `limit` bytes."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if limit is not None and len(body) > limit:
        raise WireError(f"{len(body) / 2**20:.0f} MB of data; a value may take at most {limit >> 20} MB")
    return HEADER.pack(len(body)) + body


def parse_message(body: bytes) -> dict:
    """Parse one message body; NaN/Infinity literals, deep nesting and too many values are refused."""
    if body.count(b",") + body.count(b"[") + body.count(b"{") > MAX_ITEMS:
        raise WireError(f"more than {MAX_ITEMS} values in one message")
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite)
    except WireError:
        raise
    except (ValueError, RecursionError) as exc:
        raise WireError(f"an unreadable message ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not an object")
    return message


def _refuse_constant(name: str) -> None:
    raise WireError(f"a bare {name} literal")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf: non-finite numbers travel as {"__float__": ...}
        raise WireError(f"a number out of range ({text[:20]})")
    return value


HELPERS_MODULE = "helpers"  # the name the course's helper functions are defined under


def named_functions(namespace: Mapping[str, Any]) -> dict[str, Callable]:
    """The public functions a helpers module defines itself (not those it imports), by name."""
    module = namespace.get("__name__")
    return {name: value for name, value in namespace.items() if not name.startswith("_") and callable(value)
            and getattr(value, "__module__", None) == module}


def figure_summary(fig: Any, png: bytes = b"", later: int | None = None) -> FigureSummary:
    """What a matplotlib figure shows: each axes' title and images (and the PNG, when it was rendered)."""
    axes = [AxesSummary(ax.get_title(), [np.asarray(im.get_array(), dtype=float) for im in ax.get_images()])
            for ax in fig.get_axes()]
    return FigureSummary(axes, png, later)


def summarize(value: Any, summary_of: Callable[[Any], FigureSummary]) -> Any:
    """Replace matplotlib Figures (alone, or in tuples and lists) by `summary_of(fig)`, and close them."""
    if type(value).__name__ == "Figure" and type(value).__module__.startswith("matplotlib"):
        summary = summary_of(value)
        import matplotlib.pyplot as plt

        plt.close(value)
        return summary
    if isinstance(value, tuple):
        return tuple(summarize(v, summary_of) for v in value)
    if isinstance(value, list):
        return [summarize(v, summary_of) for v in value]
    return value


def figures_in(value: Any) -> list[FigureSummary]:
    """The figure summaries in a decoded value (alone, or in tuples and lists), in order."""
    if isinstance(value, FigureSummary):
        return [value]
    if isinstance(value, (tuple, list)):
        return [f for v in value for f in figures_in(v)]
    return []
