"""A time limit on running code, in the worker (a script's run) and in a notebook's kernel (a function's call)."""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
from typing import Any, Iterator


class TimeUp(BaseException):
    """Raised in the running code when its time limit is up (not an Exception: `except Exception` lets it through)."""


def _alarm(signum: int, frame: Any) -> None:
    raise TimeUp()


@contextlib.contextmanager
def time_limit(limit: float) -> Iterator[None]:
    """TimeUp in the block after `limit` seconds: by SIGALRM, or where there is none (Windows) by a
    timer thread interrupting the main thread. Outside the main thread there is no limit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if hasattr(signal, "setitimer"):
        saved = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, saved)
        return
    expired = threading.Event()
    # interrupt_main() does nothing where SIGINT is ignored, as in a process started from a background job.
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(limit, lambda: (expired.set(), _thread.interrupt_main()))
    timer.start()
    try:
        yield
    except KeyboardInterrupt:
        if expired.is_set():
            raise TimeUp() from None
        raise
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, saved)
