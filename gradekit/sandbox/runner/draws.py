"""The random orders a call draws, noted for the grader: the call option `"draws": true`.

For the duration of one call, the shuffling functions of NumPy and of `random` are replaced by
twins that draw the same numbers and give the same results, and note each order they apply: the
indices, into the sequence shuffled, permuted or sampled, of what came out (for a shuffle, the
new position i holds the old item order[i]). Covered:

- np.random's module functions `permutation`, `shuffle` and `choice` (of an integer population);
- the Generators `np.random.default_rng` returns and the RandomStates `np.random.RandomState` makes
  (`permutation`, `shuffle`, `choice`, and a Generator's `permuted` of a 1-D sequence);
- `random.shuffle` and `random.sample` (of a sequence), and `random.Random` instances;
- those functions, Generators, RandomStates and Random instances already bound in the called
  function's module (a `from numpy.random import shuffle`, a module-level `rng = default_rng(0)`).

NumPy's Generator type cannot be patched, so twins are subclasses sharing the original's state.
The orders go back as data, capped; what they mean is the grader's to decide.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from typing import Any, Callable, Iterator

import numpy as np

MAX_ORDERS = 1000  # orders noted per call
MAX_ENTRIES = 200_000  # indices noted per call, all orders together (1.6 MB as int64)
ORIGINAL_RANDOM_STATE = np.random.RandomState
ORIGINAL_RANDOM = random.Random


class DrawLog:
    """The orders drawn during one call, up to the caps."""

    def __init__(self) -> None:
        self.orders: list[np.ndarray] = []
        self.entries = 0
        self.truncated = False

    def note(self, order: Any) -> None:
        order = np.asarray(order)
        if order.ndim != 1 or order.dtype.kind not in "iu":
            return
        if len(self.orders) >= MAX_ORDERS or self.entries + order.size > MAX_ENTRIES:
            self.truncated = True
            return
        self.orders.append(order.astype(np.int64))
        self.entries += order.size

    def reply(self) -> dict:
        return {"orders": self.orders, "truncated": self.truncated}


ACTIVE: list[DrawLog] = []  # the recorder of the call running now, if it asked for draws


def _note(order: Any) -> None:
    if ACTIVE:
        ACTIVE[-1].note(order)


def _order(shuffle: Callable, n: int) -> np.ndarray:
    """The order a shuffle of n items applies, drawn by `shuffle` exactly as for the items themselves."""
    order = np.arange(n)
    shuffle(order)
    return order


def _axis(args: tuple, kwargs: dict) -> Any:
    """The axis of a call taking at most (x, axis), or None when it takes more than that."""
    if len(args) + len(kwargs) > 1 or (kwargs and "axis" not in kwargs):
        return None
    axis = kwargs.get("axis", args[0] if args else 0)
    return axis if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else None


def permutation_of(shuffle: Callable, original: Callable, x: Any, *args: Any, **kwargs: Any) -> Any:
    """`permutation(x[, axis])` as NumPy computes it (an arange shuffled, then taken), its order noted."""
    axis = _axis(args, kwargs)
    if isinstance(x, (int, np.integer)) and not args and not kwargs:
        order = _order(shuffle, int(x))
        _note(order)
        return order
    arr = np.asarray(x) if axis is not None else None
    if arr is None or arr.ndim < 1 or not -arr.ndim <= axis < arr.ndim:
        return original(x, *args, **kwargs)
    order = _order(shuffle, arr.shape[axis])
    _note(order)
    return np.take(arr, order, axis=axis)


def shuffle_of(shuffle: Callable, x: Any, *args: Any, **kwargs: Any) -> None:
    """`shuffle(x[, axis])` in place, with the draws of shuffling x itself, its order noted."""
    axis = _axis(args, kwargs)
    if isinstance(x, np.ndarray) and axis is not None and x.ndim >= 1 and -x.ndim <= axis < x.ndim:
        order = _order(shuffle, x.shape[axis])
        x[...] = np.take(x, order, axis=axis)
    elif isinstance(x, list) and not args and not kwargs:
        order = _order(shuffle, len(x))
        x[:] = [x[i] for i in order]
    else:
        return shuffle(x, *args, **kwargs)
    _note(order)
    return None


def choice_of(original: Callable, a: Any, *args: Any, **kwargs: Any) -> Any:
    """`choice(a, ...)` unchanged; the indices it drew noted when `a` is an integer population."""
    value = original(a, *args, **kwargs)
    if isinstance(a, (int, np.integer)):
        _note(value)
    return value


class _Twin:
    """Recording versions of a NumPy generator's shuffling methods: the same draws and results."""

    def permutation(self, *args: Any, **kwargs: Any) -> Any:
        return permutation_of(super().shuffle, super().permutation, *args, **kwargs)  # type: ignore[misc]

    def shuffle(self, *args: Any, **kwargs: Any) -> None:
        return shuffle_of(super().shuffle, *args, **kwargs)  # type: ignore[misc]

    def choice(self, *args: Any, **kwargs: Any) -> Any:
        return choice_of(super().choice, *args, **kwargs)  # type: ignore[misc]


class RecordingGenerator(_Twin, np.random.Generator):
    def permuted(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        arr = np.asarray(x)
        if arr.ndim != 1 or args or set(kwargs) - {"axis"} or kwargs.get("axis") not in (None, 0, -1):
            return super().permuted(x, *args, **kwargs)
        order = _order(super(_Twin, self).shuffle, len(arr))  # the base's shuffle: noted once, here
        _note(order)
        return arr[order]


class _StandsFor(type):
    """A twin class under its base's name: an instance of the base is an instance of the twin too."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.stands_for)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.stands_for)


class RecordingRandomState(_Twin, ORIGINAL_RANDOM_STATE, metaclass=_StandsFor):
    stands_for = ORIGINAL_RANDOM_STATE


class RecordingRandom(ORIGINAL_RANDOM, metaclass=_StandsFor):
    """random.Random with a recording shuffle and sample (an instance's __class__ can be swapped to it)."""

    stands_for = ORIGINAL_RANDOM

    def shuffle(self, x: Any, *args: Any) -> None:
        return random_shuffle_of(super().shuffle, x, *args)

    def sample(self, population: Any, k: int, **kwargs: Any) -> list:
        return random_sample_of(super().sample, population, k, **kwargs)


def random_shuffle_of(shuffle: Callable, x: Any, *args: Any) -> None:
    """random.shuffle(x) with the draws of shuffling x itself (a list or 1-D array), its order noted."""
    if args or not (isinstance(x, list) or (isinstance(x, np.ndarray) and x.ndim == 1)):
        return shuffle(x, *args)
    order = list(range(len(x)))
    shuffle(order)
    x[:] = [x[i] for i in order] if isinstance(x, list) else x[order]
    _note(order)
    return None


def random_sample_of(sample: Callable, population: Any, k: int, **kwargs: Any) -> list:
    """random.sample(population, k) drawn as indices, then taken: the same draws and result, its order noted."""
    if kwargs or not isinstance(population, Sequence):
        return sample(population, k, **kwargs)
    order = sample(range(len(population)), k)
    _note(order)
    return [population[i] for i in order]


def _twin_functions() -> dict[str, tuple[dict, Callable, Any]]:
    """name -> (namespace, original, twin) of the module functions and classes a recording call replaces."""
    npr, rnd = vars(np.random), vars(random)
    permutation, shuffle, choice, default_rng = (npr[n] for n in ("permutation", "shuffle", "choice", "default_rng"))
    r_shuffle, r_sample = rnd["shuffle"], rnd["sample"]

    def recording_default_rng(*args: Any, **kwargs: Any) -> np.random.Generator:
        return RecordingGenerator(default_rng(*args, **kwargs).bit_generator)

    return {
        "permutation": (npr, permutation, lambda *a, **k: permutation_of(shuffle, permutation, *a, **k)),
        "shuffle": (npr, shuffle, lambda *a, **k: shuffle_of(shuffle, *a, **k)),
        "choice": (npr, choice, lambda *a, **k: choice_of(choice, *a, **k)),
        "default_rng": (npr, default_rng, recording_default_rng),
        "RandomState": (npr, ORIGINAL_RANDOM_STATE, RecordingRandomState),
        "random.shuffle": (rnd, r_shuffle, lambda x, *a: random_shuffle_of(r_shuffle, x, *a)),
        "random.sample": (rnd, r_sample, lambda p, k, **kw: random_sample_of(r_sample, p, k, **kw)),
        "random.Random": (rnd, ORIGINAL_RANDOM, RecordingRandom),
    }


def _instance_twin(value: Any) -> tuple[Any, Callable[[], None]] | None:
    """A recording twin of a generator bound in a module, sharing its state, and what restores it after the call."""
    kind = type(value)
    if kind is np.random.Generator:
        return RecordingGenerator(value.bit_generator), lambda: None
    if kind is ORIGINAL_RANDOM_STATE and hasattr(value, "_bit_generator"):
        twin = RecordingRandomState(value._bit_generator)  # the same bit generator: the same stream
        twin.set_state(value.get_state())  # and the same cached normal deviate
        return twin, lambda: value.set_state(twin.get_state())
    if kind is ORIGINAL_RANDOM:
        value.__class__ = RecordingRandom  # the same object: nothing else to share
        return value, lambda: setattr(value, "__class__", ORIGINAL_RANDOM)
    return None


@contextlib.contextmanager
def recording(namespaces: list[dict]) -> Iterator[DrawLog]:
    """Note the orders drawn until the block ends, through the module functions and what `namespaces` bind."""
    functions = _twin_functions()
    by_original = {id(original): twin for _, original, twin in functions.values()}
    saved: list[tuple[dict, str, Any]] = []
    undo: list[Callable[[], None]] = []
    recorder = DrawLog()

    def patch(ns: dict, name: str, twin: Any) -> None:
        saved.append((ns, name, ns[name]))
        ns[name] = twin

    try:
        for name, (ns, _, twin) in functions.items():
            patch(ns, name.rpartition(".")[2], twin)
        for ns in {id(ns): ns for ns in namespaces}.values():
            for name, value in list(ns.items()):
                if id(value) in by_original:
                    patch(ns, name, by_original[id(value)])
                elif (twin := _instance_twin(value)) is not None:
                    undo.append(twin[1])
                    patch(ns, name, twin[0])
        ACTIVE.append(recorder)
        yield recorder
    finally:
        if recorder in ACTIVE:
            ACTIVE.remove(recorder)
        for ns, name, original in reversed(saved):
            ns[name] = original
        for restore in reversed(undo):
            restore()
