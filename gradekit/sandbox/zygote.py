"""A warm sandbox that forks one worker per submission, for grading a class.

Starting a worker costs a sandbox and the imports of numpy, scipy and matplotlib (~0.9 s); a
zygote (runner/zygote_main.py) pays that once per grading process and forks each worker in
milliseconds, each in namespaces of its own with its own /tmp, /dev/shm and copy of the
submission (runner/confine.py), so one submission leaves nothing to the next. After each worker it
kills every process left in its sandbox; if it cannot, or stops answering, it is killed with its
whole sandbox and started again. Only under bubblewrap, and only where a worker can be given
namespaces of its own (else each submission gets a fresh sandbox instead).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO

from gradekit.course import Limits
from gradekit.sandbox import isolation, unprivileged
from gradekit.sandbox.runner import confine

SLOT_PREFIX = "gradekit-slot-"
START_TIMEOUT_S = 30.0
ANSWER_TIMEOUT_S = 5.0


class ZygoteDied(Exception):
    """The zygote did not answer in time or its sandbox ended."""


class ZygoteUnusable(ZygoteDied):
    """This machine cannot give a zygote's workers namespaces of their own."""


_unusable = False  # set once a zygote said so: every later grading uses a fresh sandbox per submission


class Zygote:
    """One warm sandbox; `spawn()` gives a worker process over a submission inside `workdir`."""

    def __init__(self, limits: Limits):
        self.limits = limits
        _remove_orphan_slots()
        self._slot = tempfile.TemporaryDirectory(prefix=f"{SLOT_PREFIX}{os.getpid()}-")
        self.workdir = Path(self._slot.name)  # prepare submissions here: the sandbox sees it read-only
        os.chmod(self.workdir, 0o711)  # passable, not listable: a worker copies its own folder by name
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.plan: isolation.Plan | None = None
        self.ready = False  # it has imported the libraries and answered
        self._reaping = False  # a reap was asked and its answer not yet taken (reap_later)

    @staticmethod
    def available(force_layer: str | None = None) -> bool:
        return force_layer is None and not _unusable and isolation.bwrap_works()

    @property
    def layer(self) -> str:
        return self.plan.layer if self.plan else ""

    @property
    def root(self) -> str:
        """Where each worker sees its own copy of its submission."""
        return confine.WORK

    def launch(self) -> None:
        """Start the zygote without waiting for its imports (spawn waits for them)."""
        if self.proc is None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.plan = None
            try:
                self.plan = isolation.zygote_plan(self.workdir, self.limits, theirs.fileno())
                self.proc = subprocess.Popen(self.plan.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, env=self.plan.env, cwd=self.plan.cwd,
                                             preexec_fn=self.plan.preexec, pass_fds=(theirs.fileno(), *self.plan.fds))
            except (OSError, subprocess.SubprocessError) as exc:  # its slot removed, mount points not root's, ...
                ours.close()
                if self.plan is not None:
                    self.plan.reap()  # its cgroups
                raise ZygoteDied(f"its sandbox could not start ({exc})") from None
            finally:
                theirs.close()
                if self.plan is not None:
                    self.plan.started()
            self.sock, self.ready = ours, False

    def spawn(self, submission: Path) -> "ZygoteChild":
        """A fresh worker over `submission` (a folder under workdir); the zygote is (re)started first when needed."""
        unprivileged.expose(Path(submission), self.workdir)
        request = {"op": "spawn", "folder": Path(submission).relative_to(self.workdir).as_posix(),
                   "tmp_mb": isolation.scratch_mb(self.limits)}
        for attempt in (1, 2):
            try:
                return self._spawn_once(request)
            except ZygoteUnusable:
                raise
            except (ZygoteDied, KeyError, TypeError, ValueError):
                self.stop()
                if attempt == 2:
                    raise ZygoteDied("the zygote could not start a worker") from None
        raise AssertionError("unreachable")

    def _spawn_once(self, request: dict) -> "ZygoteChild":
        self.settle()
        self.launch()
        if not self.ready:
            self._await_ready()
        requests, replies = os.pipe(), os.pipe()
        try:
            answer = self._ask(request, fds=[requests[0], replies[1]])
            return ZygoteChild(self, int(answer["pid"]), os.fdopen(requests[1], "wb"), os.fdopen(replies[0], "rb"))
        except BaseException:
            os.close(requests[1])
            os.close(replies[0])
            raise
        finally:
            os.close(requests[0])
            os.close(replies[1])

    def ask(self, request: dict, timeout: float = ANSWER_TIMEOUT_S) -> dict:
        """A request to the zygote; if it does not answer, it is stopped and ZygoteDied raised."""
        self.settle()
        try:
            return self._ask(request, timeout=timeout)
        except ZygoteDied:
            self.stop()
            raise

    def reap_later(self) -> None:
        """Have the zygote kill every process its last worker left, without waiting: it answers in order, and the
        next request waits for that answer first (settle), so no worker starts before the sandbox is empty. The
        grader meanwhile writes the submission's results (~10 ms); a grading settles before it returns."""
        self.settle()
        try:
            self._send({"op": "reap"})
            self._reaping = True
        except ZygoteDied:
            self.stop()

    def settle(self) -> None:
        """Take the answer of the reap asked last; a zygote that could not empty its sandbox is stopped."""
        if self._reaping:
            self._reaping = False
            try:
                emptied = self._receive(ANSWER_TIMEOUT_S).get("ok") is True
            except ZygoteDied:
                emptied = False
            if not emptied:
                self.stop()

    def _await_ready(self) -> None:
        global _unusable
        try:
            answer = self._receive(START_TIMEOUT_S)
        except ZygoteDied:
            answer = {}
        self.ready = answer.get("ready") is True
        if not self.ready or answer.get("confined") is not True:
            self.stop()
            if self.ready:
                _unusable = True
                raise ZygoteUnusable("workers cannot get namespaces of their own here")
            raise ZygoteDied("the zygote did not start")

    def _ask(self, request: dict, *, fds: list[int] = (), timeout: float = ANSWER_TIMEOUT_S) -> dict:
        self._send(request, fds)
        return self._receive(timeout)

    def _send(self, request: dict, fds: list[int] = ()) -> None:
        if self.sock is None:
            raise ZygoteDied("not running")
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
        except OSError:
            raise ZygoteDied("its socket closed") from None

    def _receive(self, timeout: float) -> dict:
        assert self.sock is not None
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
            answer = json.loads(data) if data else None
        except (OSError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            raise ZygoteDied("no answer")
        return answer

    def stop(self) -> None:
        """Kill the zygote's whole sandbox (every process in it dies with its init)."""
        self._reaping = False
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()  # in a forked grading process this is not its child: wait() returns at once
            self.proc = None
            self.ready = False
        if self.plan is not None:
            self.plan.reap()

    def close(self) -> None:
        self.stop()
        self._slot.cleanup()


def _remove_orphan_slots() -> None:
    """Remove the slot folders of grading runs that were killed (their process is gone)."""
    for slot in Path(tempfile.gettempdir()).glob(f"{SLOT_PREFIX}*-*"):
        pid = slot.name[len(SLOT_PREFIX):].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(slot, ignore_errors=True)


class ZygoteChild:
    """A worker forked by a zygote, with the interface Worker needs of a process."""

    def __init__(self, zygote: Zygote, pid: int, stdin: BinaryIO, stdout: BinaryIO):
        self.zygote, self.pid, self.stdin, self.stdout = zygote, pid, stdin, stdout
        self.code: int | None = None
        self.zygote_died = False  # the zygote stopped answering while this worker ran: the kit's fault

    @property
    def plan(self) -> isolation.Plan:
        return self.zygote.plan

    def poll(self) -> int | None:
        return self.wait(0.0, raising=False)

    def wait(self, timeout: float, *, raising: bool = True) -> int | None:
        if self.code is None:
            try:
                self.code = self.zygote.ask({"op": "status", "pid": self.pid, "wait": timeout},
                                            timeout=timeout + ANSWER_TIMEOUT_S).get("code")
            except ZygoteDied:
                self.code, self.zygote_died = None, True
        if self.code is None and raising:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.code

    def kill(self) -> None:
        """End this worker and everything it started; a zygote that cannot is replaced before the next."""
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.zygote.reap_later()  # a zygote that cannot is stopped, and the next spawn starts a new one
