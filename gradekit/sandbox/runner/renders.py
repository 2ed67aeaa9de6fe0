"""Figures drawn into PNGs apart: a forked child of the worker draws each one while the grader goes on.

A call that returns a figure replies with what graders check of it (titles, images) at once, and a token for its
PNG; the grader asks for the PNGs once its tests are done (`collect`). Drawing a figure costs about as much as
building it (~40-60 ms each of the blog's); on a second core it costs the grade nothing. The child runs in the
worker's sandbox, under its limits: one that does not finish in time is killed, and its figure has no PNG.
"""

from __future__ import annotations

import itertools
import os
import select
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_PNG = 4 << 20  # a figure's PNG beyond this is dropped (the blog's are ~15 KB)


@dataclass
class _Drawing:
    pid: int
    fd: int  # the read end of the child's pipe
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False  # read to its end, within MAX_PNG

    def read(self) -> bool:
        """Read what the child wrote; False once there is no more to read (its end, or too much)."""
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.complete = True
        elif len(self.data) + len(chunk) <= MAX_PNG:
            self.data += chunk
            return True
        return False

    def end(self, *, kill: bool) -> int | None:
        """Close the pipe and reap the child (killed first if asked); its wait status, None if it was reaped already
        (the student's code may wait for any child of its process)."""
        os.close(self.fd)
        try:
            if kill:
                os.kill(self.pid, signal.SIGKILL)
            return os.waitpid(self.pid, 0)[1]
        except (ProcessLookupError, ChildProcessError):
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
        reading = {d.fd: d for d in self.pending.values()}
        while reading and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(list(reading), [], [], left)
            for fd in ready:
                if not reading[fd].read():
                    del reading[fd]
        done = {}
        for token, drawing in self.pending.items():
            if drawing.end(kill=drawing.fd in reading) == 0 and drawing.complete:
                done[token] = bytes(drawing.data)
        self.pending.clear()
        return done


def _draw_and_exit(fig: Any, draw: Callable[[Any], bytes], read: int, write: int) -> None:
    code = 1
    try:
        os.close(read)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):  # the grader's channel is the worker's alone
            os.dup2(null, fd)
        png = memoryview(draw(fig))
        while png:
            png = png[os.write(write, png):]
        code = 0
    finally:
        os._exit(code)
