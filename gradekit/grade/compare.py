"""Comparisons for graders: explain a difference, and name the mistake when it is a known one.

Student values arrive as plain data (see the wire format) and are rebuilt here as plain
float64 arrays before any comparison, so no object of the student's takes part in it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("notes", default=None)
# A low-precision result (float32, float16) is compared to its own precision: its rounding, over up to this
# many terms summed, scaled to the magnitude of the terms (`scale`, by default the largest expected value).
ROUNDED_TERMS = 256
ROUNDING_ONLY = 64 * float(np.finfo(np.float64).eps)  # a difference this small, relative to the values, is rounding
FLOAT32_EPS = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: `compute()` gives what the mistake outputs; `hint` names it."""

    hint: str
    compute: Callable[[], Any]
    accepted: bool = False  # the course accepts this variant (e.g. another convention it allows)


class Mismatch(AssertionError):
    """A failed check: `public` is shown to the student, `detail` only to the instructor."""

    def __init__(self, public: str, hint: str | None = None, detail: str = ""):
        self.public, self.hint, self.detail = public, hint, detail
        super().__init__(public + (f" Hint: {hint}" if hint else ""))


def note(text: str) -> None:
    """Record a remark for the current test's feedback (e.g. an accepted variant)."""
    notes = NOTES.get()
    if notes is not None:
        notes.append(text)


def assert_matches(actual: Any, expected: Any, *, what: str = "the result", rtol: float = 1e-6,
                   atol: float = 1e-8, mistakes: Iterable[Mistake] = (), scale: float | None = None) -> None:
    """Fail with an explanation unless `actual` equals `expected` (recursively, to tolerance).

    A float32 (or float16) result is accepted, with a note, when it agrees to its own precision:
    `scale` is the magnitude of the terms summed into each value (default: the largest expected value).
    """
    problem = difference(actual, expected, what, rtol, atol)
    if problem is not None:
        _explain(problem, actual, expected, what, (rtol, atol, scale), mistakes)


def assert_results_match(actual: Any, expected: tuple, names: tuple[str, ...], *, what: str, rtol: float = 1e-6,
                         atol: float = 1e-8, mistakes: Iterable[Mistake] = (), scale: float | None = None) -> None:
    """assert_matches for a function returning several results, each named in the explanation.

    `expected`, and what each mistake computes, are tuples in the order of `names`.
    """
    if not isinstance(actual, (tuple, list)) or len(actual) != len(names):
        count = f"{len(actual)} values" if isinstance(actual, (tuple, list)) else describe(actual)
        raise Mismatch(f"{what} should return {len(names)} values ({', '.join(names)}), but returned {count}.")
    problems = (difference(a, e, name, rtol, atol) for a, e, name in zip(actual, expected, names))
    problem = next((p for p in problems if p is not None), None)
    if problem is not None:
        _explain(problem, tuple(actual), expected, what, (rtol, atol, scale), mistakes)


def _explain(problem: str, actual: Any, expected: Any, what: str, tolerance: tuple[float, float, float | None],
             mistakes: Iterable[Mistake]) -> None:
    """Raise Mismatch for `problem`, with the hint of the first known mistake `actual` equals."""
    rtol, atol, scale = tolerance
    coarse = _coarsest(actual)
    if coarse is not None:  # a low-precision result, compared to its own precision
        eps = float(np.finfo(coarse).eps) * ROUNDED_TERMS
        rtol, atol = max(rtol, eps), max(atol, eps * _magnitude(expected, scale))
        problem = difference(actual, expected, what, rtol, atol) or ""
        if not problem:
            note(f"Accepted: {what} was computed in {coarse.name} and agrees to its precision (NumPy's default, "
                 "float64, keeps about 16 digits).")
            return
    for mistake in mistakes:
        try:
            wrong = mistake.compute()
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed here does not apply
            continue
        if difference(actual, wrong, what, rtol, atol) is None:
            if mistake.accepted:
                note(f"Accepted: {mistake.hint}")
                return
            raise Mismatch(problem, mistake.hint, _detail(actual, expected))
    raise Mismatch(problem, _precision_hint(actual, expected, what, rtol, atol, scale), _detail(actual, expected))


def _coarsest(value: Any) -> np.dtype | None:
    """The least precise floating dtype below float64 among the arrays in `value`, if any."""
    if isinstance(value, np.ndarray):
        return value.dtype if value.dtype.kind == "f" and value.dtype.itemsize < 8 else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else []
    found = [d for d in (_coarsest(v) for v in items) if d is not None]
    return min(found, key=lambda d: d.itemsize) if found else None


def _magnitude(expected: Any, scale: float | None) -> float:
    """The magnitude a low-precision result's rounding is relative to: `scale`, else the largest expected value."""
    if scale is not None:
        return float(scale)
    if isinstance(expected, dict):
        expected = list(expected.values())
    if isinstance(expected, (tuple, list)):
        return max([_magnitude(e, None) for e in expected] or [1.0])
    plain = as_plain(expected)
    finite = np.abs(plain[np.isfinite(plain)]) if plain is not None else np.zeros(0)
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def _precision_hint(actual: Any, expected: Any, what: str, rtol: float, atol: float, scale: float | None) -> str | None:
    """A hint for float64 values that agree with `expected` to float32's precision and no better, else None."""
    if _coarsest(actual) is not None:
        return None
    eps, magnitude = FLOAT32_EPS * ROUNDED_TERMS, _magnitude(expected, scale)
    within_float32 = difference(actual, expected, what, max(rtol, eps), max(atol, eps * magnitude)) is None
    # float32 rounds a value by up to FLOAT32_EPS / 2 of it: some entry is off by a fair share of that
    beyond_float64 = difference(actual, expected, what, FLOAT32_EPS / 16, 0.0) is not None
    if not (within_float32 and beyond_float64):
        return None
    return ("matches to float32 precision only (about 7 significant digits): was part of it computed in float32 "
            "(dtype=np.float32, .astype(np.float32))? Compute in float64, NumPy's default.")


def difference(actual: Any, expected: Any, what: str, rtol: float, atol: float) -> str | None:
    """A sentence describing how `actual` differs from `expected`, or None if they match."""
    if isinstance(expected, (tuple, list)):
        return _sequence_difference(actual, expected, what, rtol, atol)
    if isinstance(expected, dict):
        return _dict_difference(actual, expected, what, rtol, atol)
    return _array_difference(actual, expected, what, rtol, atol)


def _sequence_difference(actual: Any, expected: Any, what: str, rtol: float, atol: float) -> str | None:
    if not isinstance(actual, (tuple, list)):
        return f"{what} should be a tuple of {len(expected)} values, but is {describe(actual)}."
    if len(actual) != len(expected):
        return f"{what} should have {len(expected)} values, but has {len(actual)}."
    for i, (a, e) in enumerate(zip(actual, expected)):
        problem = difference(a, e, f"{what}[{i}]", rtol, atol)
        if problem:
            return problem
    return None


def _dict_difference(actual: Any, expected: dict, what: str, rtol: float, atol: float) -> str | None:
    if not isinstance(actual, dict):
        return f"{what} should be a dict with keys {sorted(expected)}, but is {describe(actual)}."
    if set(actual) != set(expected):
        return f"{what} should have keys {sorted(expected)}, but has {sorted(actual)}."
    for key in expected:
        problem = difference(actual[key], expected[key], f"{what}['{key}']", rtol, atol)
        if problem:
            return problem
    return None


def as_plain(value: Any) -> np.ndarray | None:
    """A plain float64 array rebuilt from numbers, or None if `value` is not numeric data."""
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.array(float(value))
    if isinstance(value, np.ndarray) and type(value) is np.ndarray and value.dtype.kind in "biuf":
        return np.array(value, dtype=np.float64, copy=True)
    return None


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None (did you forget to return?)"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    return f"a {type(value).__name__}"


def _as_array(value: Any) -> np.ndarray | None:
    """A list or tuple of numbers as the numeric array np.array would make of it, or None."""
    if not isinstance(value, (list, tuple)):
        return None
    try:
        array = np.array(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def _array_difference(actual: Any, expected: Any, what: str, rtol: float, atol: float) -> str | None:
    a, e = as_plain(actual), as_plain(expected)
    if a is None:
        listed = _as_array(actual)
        kind = f", not a NumPy array (np.array would make one of shape {listed.shape})" if listed is not None else ""
        return f"{what} should be {describe(np.asarray(expected))}, but is {describe(actual)}{kind}."
    assert e is not None, "graders compare with numeric expectations"
    if a.shape != e.shape:
        return f"{what} has shape {a.shape}, expected {e.shape}."
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    if a.shape == ():
        return f"{what} is {_num(a)}, expected {_num(e)}."
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    where = f" at index {list(first)}" if first else ""
    with np.errstate(invalid="ignore"):
        errors = np.abs(a - e)[~close]
    finite = errors[np.isfinite(errors)]
    largest = f"; largest error {_num(finite.max())}" if finite.size == errors.size else ""
    nonfinite = "" if np.isfinite(a).all() else f" It contains {int((~np.isfinite(a)).sum())} nan/inf values."
    if not nonfinite and finite.size and finite.max() <= ROUNDING_ONLY * max(float(np.abs(e).max()), 1e-300):
        return (f"{what} differs by rounding only in {len(bad)} of {a.size} entries (largest difference "
                f"{_num(finite.max())}, not exactly 0): first{where} got {float(a[first])!r}, expected "
                f"{float(e[first])!r}.")
    return (f"{what} differs in {len(bad)} of {a.size} entries: first{where} got {_num(a[first])}, "
            f"expected {_num(e[first])}{largest}.{nonfinite}")


def _num(x: Any) -> str:
    return f"{float(x):.6g}"


def _detail(actual: Any, expected: Any) -> str:
    with np.printoptions(precision=5, threshold=60, edgeitems=3):
        return f"got:\n{actual!r}\nexpected:\n{expected!r}"


def assert_shape(actual: Any, shape: tuple[int, ...], what: str) -> None:
    """Fail unless `actual` is a numeric array (or number) of exactly `shape`."""
    plain = as_plain(actual)
    if plain is None:
        raise Mismatch(f"{what} should be an array of shape {shape}, but is {describe(actual)}.")
    if plain.shape != tuple(shape):
        raise Mismatch(f"{what} has shape {plain.shape}, expected {tuple(shape)}.")


def assert_unchanged(before: Any, after: Any, *, what: str, hint: str) -> None:
    """Fail when an argument was modified by the call (compared exactly)."""
    problem = difference(after, before, what, 0.0, 0.0)
    if problem is not None:
        raise Mismatch(f"{what} was modified by the call: {problem}", hint)
