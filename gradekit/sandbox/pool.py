"""The one owner of warm sandboxes: a zygote per set of limits, started on first use, closed together."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from typing import Callable, Iterator

from gradekit import stopping
from gradekit.course import Limits
from gradekit.sandbox.zygote import Zygote, ZygoteDied


class ZygotePool:
    """Warm sandboxes by limits; `on_start` is told of each zygote the pool starts (to close it at exit)."""

    def __init__(self, on_start: Callable[[Zygote], None] = lambda zygote: None):
        self._zygotes: dict[Limits, Zygote] = {}
        self._on_start = on_start

    def adopt(self, zygote: Zygote) -> None:
        """Use `zygote`, started elsewhere, for its limits."""
        self._zygotes[zygote.limits] = zygote

    def get(self, limits: Limits) -> Zygote | None:
        """The warm sandbox for `limits` (None where zygotes are not available here)."""
        if limits not in self._zygotes and Zygote.available():
            self._zygotes[limits] = zygote = Zygote(limits)
            self._on_start(zygote)
        return self._zygotes.get(limits)

    def close(self) -> None:
        for zygote in self._zygotes.values():
            zygote.close()
        self._zygotes.clear()

    def __enter__(self) -> "ZygotePool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def launch_zygotes(count: int, limits: Limits) -> list[Zygote]:
    """`count` warm sandboxes started now (a class run's, one per grading process, before the forks).

    One that fails to start is returned all the same: its grading process tries again, and says so if it must.
    """
    zygotes = [Zygote(limits) for _ in range(count if Zygote.available() else 0)]
    for zygote in zygotes:
        with contextlib.suppress(ZygoteDied):
            zygote.launch()
    return zygotes


@contextlib.contextmanager
def warm_sandbox(limits: Limits) -> Iterator[Zygote | None]:
    """A warm sandbox started now for one grading, closed after it (None where zygotes are not available here)."""
    zygotes = launch_zygotes(1, limits)
    try:
        yield zygotes[0] if zygotes else None
    finally:
        for zygote in zygotes:
            zygote.close()


@contextlib.contextmanager
def class_sandboxes(count: int, limits: Limits) -> Iterator[list[Zygote]]:
    """`count` warm sandboxes for a class run, started now (launch_zygotes) and closed when the block ends, when
    this process is stopped, or, by a guard process, when it dies."""
    zygotes: list[Zygote] = []
    with stopping.cleanup_on_stop(lambda: _close(zygotes)):
        zygotes += launch_zygotes(count, limits)
        guard = multiprocessing.get_context("fork").Process(target=_guard, args=(zygotes, os.getpid()), daemon=True)
        guard.start()
        try:
            yield zygotes
        finally:
            _close(zygotes)
            guard.kill()  # its zygotes are closed: nothing left for it to clean


def _close(zygotes: list[Zygote]) -> None:
    for zygote in zygotes:
        zygote.close()


def _guard(zygotes: list[Zygote], parent: int) -> None:
    """Close the zygotes if the parent dies, even before its grading processes adopt them."""
    stopping.forget_inherited()
    stopping.at_stop(lambda: _close(zygotes))
    stopping.follow(parent)
    while True:
        signal.pause()
