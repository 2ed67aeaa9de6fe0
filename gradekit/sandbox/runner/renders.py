"""Figures drawn into PNGs apart: a forked child of the worker draws each one while the grader goes on.

A call that returns a figure replies with what graders check of it (titles, images) at once, and a token for its
PNG; the grader asks for the PNGs once its tests are done (`collect`). Drawing a figure costs about as much as
building it (~40-60 ms each of the blog's); on a second core it costs the grade nothing. The child runs in the
worker's sandbox, under its limits: one that does not finish in time is killed, and its figure has no PNG.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_PNG = 1 << 20  # a figure's PNG beyond this is dropped (the blog's are ~15 KB)
MAX_TOTAL = 8 << 20  # PNGs beyond this, together, are dropped: all travel in one reply (capped at 16 MB)


@dataclass
class _Drawing:
    pid: int
    fd: int  # the read end of the child's pipe
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False  # read to its end, within MAX_PNG

    def read(self) -> bool:
        """Read what the child wrote; False once there is no more to read (its end, too much, or a closed pipe)."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # the student's code closed it, or reused its number
            return False
        if not chunk:
            self.complete = True
        elif len(self.data) + len(chunk) <= MAX_PNG:
            self.data += chunk
            return True
        return False

    def end(self) -> int | None:
        """Kill and reap the child; its wait status (a child that had exited keeps its own), None if it was reaped
        already (the student's code may wait for any child of its process)."""
        with contextlib.suppress(OSError):  # the student's code may have closed it
            os.close(self.fd)
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return None


class Renders:
    """The PNGs being drawn by children of this worker, by token."""

    def __init__(self, draw: Callable[[Any], bytes]) -> None:
        self.draw = draw  # figure -> PNG bytes
        self.pending: dict[int, _Drawing] = {}
        self.tokens = itertools.count()

    def start(self, fig: Any) -> int | None:
        """Fork a child that draws `fig`; its token, or None where no child can be started (draw it here then)."""
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # e.g. the sandbox's limit of processes, reached by the student's own
            os.close(read)
            os.close(write)
            return None
        if pid == 0:
            _draw_and_exit(fig, self.draw, read, write)
        os.close(write)
        token = next(self.tokens)
        self.pending[token] = _Drawing(pid, read)
        return token

    def collect(self, wait_s: float) -> dict[int, bytes]:
        """The PNGs drawn within `wait_s` from now, by token; children still drawing then are killed."""
        deadline = time.monotonic() + wait_s
        with selectors.DefaultSelector() as reading:  # no limit on fd numbers, unlike select()
            for drawing in self.pending.values():
                try:
                    reading.register(drawing.fd, selectors.EVENT_READ, drawing)
                except (OSError, ValueError):  # its pipe was closed by the student's code
                    pass
            while reading.get_map() and (left := deadline - time.monotonic()) > 0:
                for key, _ in reading.select(left):
                    if not key.data.read():
                        reading.unregister(key.fd)
        done, total = {}, 0
        for token, drawing in self.pending.items():
            if drawing.end() == 0 and drawing.complete and total + len(drawing.data) <= MAX_TOTAL:
                done[token] = bytes(drawing.data)
                total += len(drawing.data)
        self.pending.clear()
        return done


def _draw_and_exit(fig: Any, draw: Callable[[Any], bytes], read: int, write: int) -> None:
    code = 1
    try:
        os.close(read)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # what matplotlib warns goes nowhere, not into a later call's output
            os.dup2(null, fd)
        png = memoryview(draw(fig))
        while png:
            png = png[os.write(write, png):]
        code = 0
    finally:
        os._exit(code)
