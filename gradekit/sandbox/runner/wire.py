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
    """What a grader may check of a matplotlib Figure, plus its rendering as PNG bytes."""

    axes: list[AxesSummary]
    png: bytes = b""


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
        return {"__figure__": {"axes": axes, "png": _array(np.frombuffer(value.png, dtype=np.uint8))}}
    raise WireError(f"a {type(value).__name__}")


def _short(text: str) -> str:
    return text if len(text) <= MAX_STR else text[:MAX_STR] + "..."


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else {"__float__": repr(value)}


def _array(value: np.ndarray) -> dict:
    plain = np.ascontiguousarray(np.asarray(value).view(np.ndarray))
    if plain.dtype.str not in ARRAY_DTYPES:
        raise WireError(f"an array of dtype {plain.dtype}")
    return {"__nd__": [plain.dtype.str, list(plain.shape), base64.b64encode(plain.tobytes()).decode("ascii")]}


def decode(data: Any, depth: int = 0, functions: Mapping[str, Callable] | None = None) -> Any:
    """Rebuild plain Python/NumPy values from wire data, refusing anything unexpected.

    Only the worker passes `functions`, to resolve named callables in a request.
    """
    if depth > MAX_DEPTH:
        raise WireError("a value nested too deeply")
    if data is None or isinstance(data, (bool, int, float)):
        return data
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
        if tag == "__fn__" and functions is not None and body in functions:
            return functions[body]
        if tag == "__float__" and body in ("nan", "inf", "-inf"):
            return float(body)
    raise WireError("an unexpected value")


def _decode_array(body: Any) -> np.ndarray:
    if not (isinstance(body, list) and len(body) == 3 and body[0] in ARRAY_DTYPES):
        raise WireError("a malformed array")
    dtype, shape, b64 = np.dtype(body[0]), body[1], body[2]
    if not (isinstance(shape, list) and len(shape) <= 8 and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise WireError("an array with a malformed shape")
    raw = base64.b64decode(b64.encode("ascii"), validate=True)
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
        summaries.append(AxesSummary(_short(ax["title"]), [_decode_array(i["__nd__"]) for i in ax["images"][:16]]))
    png = _decode_array(body["png"]["__nd__"]) if isinstance(body.get("png"), dict) else np.zeros(0, np.uint8)
    return FigureSummary(summaries, png.astype(np.uint8).tobytes())


def write_message(stream: BinaryIO, message: dict) -> None:
    """Send one message: a 4-byte length, then JSON."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def parse_message(body: bytes) -> dict:
    """Parse one message body; NaN/Infinity literals and deep nesting are refused."""
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"an unreadable message ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not an object")
    return message


def _refuse_constant(name: str) -> None:
    raise WireError(f"a bare {name} literal")
