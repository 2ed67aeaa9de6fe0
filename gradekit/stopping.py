"""Stopping the grader: SIGTERM or Ctrl-C ends it with everything it started.

Whatever would outlive an abrupt exit (a sandbox, its cgroups, a temp folder, a half-written
file) registers its cleanup here while it exists. On SIGTERM or SIGINT `exit_on_signals` runs the
registered cleanups, newest first, and exits at once, without unwinding into code (pytest,
the pool) that would carry on. A grading process of a class also dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_cleanups: list[Callable[[], None]] = []


def at_stop(cleanup: Callable[[], None]) -> None:
    """Run `cleanup` if this process is stopped by a signal (for the rest of its life)."""
    _cleanups.append(cleanup)


@contextlib.contextmanager
def cleanup_on_stop(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run `cleanup` if this process is stopped by a signal inside the block."""
    _cleanups.append(cleanup)
    try:
        yield
    finally:
        _cleanups.remove(cleanup)


@contextlib.contextmanager
def temporary_directory(prefix: str, dir: Path | str | None = None) -> Iterator[str]:
    """tempfile.TemporaryDirectory that is also removed when the process is stopped."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=dir) as tmp, \
            cleanup_on_stop(lambda: shutil.rmtree(tmp, ignore_errors=True)):
        yield tmp


def stop_now(signum: int, message: str = "") -> None:
    """Run every registered cleanup, newest first, say `message` and exit with 128 + signum."""
    for cleanup in reversed(list(_cleanups)):
        with contextlib.suppress(Exception):
            cleanup()
    if message:
        sys.stdout.flush()
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    os._exit(128 + signum)


def exit_on_signals(signals: tuple[int, ...] = STOP_SIGNALS, message: Callable[[int], str] = lambda signum: "") -> None:
    """These signals (SIGTERM and SIGINT) stop this process through `stop_now`, saying `message(signum)`."""
    for signum in signals:
        signal.signal(signum, lambda sig, frame: stop_now(sig, message(sig)))


def forget_inherited() -> None:
    """In a forked child: the parent's cleanups are the parent's to run."""
    _cleanups.clear()


def follow(parent: int) -> None:
    """In a child of a class run: run its cleanups and exit on SIGTERM or when `parent` dies. Ctrl-C reaches the
    child too; the parent stops it."""
    exit_on_signals((signal.SIGTERM,))
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    die_with_parent(parent)


def die_with_parent(parent: int, signum: int = signal.SIGTERM) -> None:
    """Get `signum` when the parent dies (PR_SET_PDEATHSIG); if it already has, stop now."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        stop_now(signum)
