"""Reading a worker's replies with a deadline where a pipe cannot be polled (Windows: select() takes sockets only).

A thread reads the pipe into a queue; `read_exact` takes from it until the deadline. The POSIX
layers poll the pipe instead (worker.py).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import BinaryIO, Callable

EXIT_GRACE_S = 0.5  # after the process ended, how long the reader may take to hand over its last bytes


class PipeTimeout(Exception):
    """The deadline passed before the bytes came."""


class PipeClosed(Exception):
    """The pipe closed, or the process ended, before the bytes came."""


class ThreadedPipe:
    """A pipe read on a thread of its own; the bytes wait in a queue."""

    def __init__(self, stream: BinaryIO):
        self._chunks: queue.Queue[bytes] = queue.Queue()
        self._pending = b""
        self._closed = False
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: BinaryIO) -> None:
        try:
            while chunk := stream.read1(1 << 20):
                self._chunks.put(chunk)
        except (OSError, ValueError):  # closed under us: the worker was stopped
            pass
        self._chunks.put(b"")

    def read_exact(self, n: int, deadline: float, ended: Callable[[], bool], poll_s: float) -> bytes:
        """`n` bytes before `deadline`, checking every `poll_s` whether the process has `ended`."""
        ended_at = None
        while len(self._pending) < n:
            if self._closed:
                raise PipeClosed()
            left = deadline - time.monotonic()
            if left <= 0:
                raise PipeTimeout()
            try:
                chunk = self._chunks.get(timeout=min(left, poll_s))
            except queue.Empty:
                if ended():  # ended, but a process it started may hold the pipe open
                    ended_at = ended_at or time.monotonic()
                    if time.monotonic() - ended_at > EXIT_GRACE_S:
                        raise PipeClosed() from None
                continue
            self._closed = not chunk
            self._pending += chunk
        data, self._pending = self._pending[:n], self._pending[n:]
        return data
