"""The trusted side of a worker: start it contained, call student functions, survive it.

A call that hangs, crashes the worker or returns something unreadable fails alone, with the
reason; the worker is then restarted for the calls that follow. A submission that cannot even be
imported (it hangs or exits at module level) fails every call with that reason, without restarts.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from gradekit.course import Limits
from gradekit.sandbox import isolation, unprivileged
from gradekit.sandbox.failures import StudentError, error_of, timed_out, timed_out_before
from gradekit.sandbox.pipes import PipeClosed, PipeTimeout, ThreadedPipe
from gradekit.sandbox.script_run import ScriptRun, script_run
from gradekit.sandbox.runner import wire
from gradekit.sandbox.zygote import Zygote, ZygoteChild, ZygoteDied, ZygoteUnusable

MAX_REPLY = 16 * 1024 * 1024  # bytes of one reply; the worker itself refuses to send more
TIMEOUTS_PER_FUNCTION = 2  # after this many, further calls fail at once: a hung function costs its limit twice
IMPORT_ALLOWANCE_S = 10.0  # start-up (Python, numpy, scipy, matplotlib) on top of call_timeout_s
SCRIPT_GRACE_S = 2.0  # a script stops itself at its limit and replies; after this much more it is killed
EXIT_CHECK_S = 0.1  # while waiting for a reply, how often to check that the worker still runs


@dataclass
class CallResult:
    value: Any = None
    error: StudentError | None = None
    args_after: list[Any] | None = None
    output: str = ""
    elapsed: float = 0.0
    draws: list[np.ndarray] | None = None  # the random orders the call drew, when asked (`draws=True`)
    draws_truncated: bool = False  # more were drawn than the worker sends back


class WorkerDied(Exception):
    """The worker process ended or stopped answering."""


_last_init: list[tuple[dict, bytes]] = []  # the init message sent last, and its bytes


def _init_bytes(init: dict) -> bytes:
    """`init` as sent. Every worker of a class gets the same one, a megabyte with the course's datasets: it is
    encoded once (~3 ms, which held up the grader while its sending thread encoded it)."""
    last = _last_init[0] if _last_init else None
    if last is None or last[0] != init:  # the datasets' arrays are the same objects: compared at once
        last = (init, wire.message_bytes(init))
        _last_init[:] = [last]
    return last[1]


def _no_dumping() -> None:
    """Keep a worker of the same uid from reading the grader's memory (PR_SET_DUMPABLE=0)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError, TypeError):  # not Linux
        pass


class SandboxProcess:
    """A worker in a sandbox of its own (bubblewrap, a plain process under rlimits, or one with time limits only)."""

    def __init__(self, plan: isolation.Plan):
        self.plan = plan
        self.popen = subprocess.Popen(plan.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, env=plan.env, cwd=plan.cwd,
                                      preexec_fn=plan.preexec if plan.confined else None, close_fds=True,
                                      pass_fds=plan.fds)
        plan.started()
        self.stdin, self.stdout = self.popen.stdin, self.popen.stdout
        self.pipe = None if plan.confined else ThreadedPipe(self.stdout)  # where the pipe may not be pollable

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        """Kill it and everything it started (its session, then its cgroup; only itself in the "process" layer)."""
        if self.popen.poll() is None:
            try:
                if not self.plan.confined:
                    raise ProcessLookupError  # no session of its own: kill it alone
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.popen.kill()
        self.popen.wait()
        for stream in (self.stdin, self.stdout):
            stream.close()
        self.plan.reap()


class Worker:
    """One contained process running a submission's modules."""

    def __init__(self, submission: Path, modules: list[str], limits: Limits, *, force_layer: str | None = None,
                 zygote: Zygote | None = None, helpers: str = "", environment: dict[str, str] | None = None,
                 datasets: dict[str, Any] | None = None):
        self.submission = Path(submission)
        self.datasets = datasets or {}  # the course's datasets served offline, as wire data (content.dataset_payload)
        self.helpers = helpers  # the source of the course's named helper functions
        self.environment = dict(environment or {})  # the course's settings for student code
        self.zygote = zygote  # forks the worker warm (class grading); else a sandbox of its own
        self.modules = modules
        self.limits = limits
        self.force_layer = force_layer
        self.proc: SandboxProcess | ZygoteChild | None = None
        self.hello: dict = {}
        self._import_errors: dict[str, dict] | None = None  # from the first greeting: every worker imports alike
        self.layer = ""
        self.notes: list[str] = []
        self.restarts = 0
        self.timeouts: dict[str, int] = {}
        self.start_failure: StudentError | None = None  # the submission could not even be imported
        self.fault: str | None = None  # the kit failed (a sandbox died or could not start): never the student's
        self._oom_kills = 0  # the memory cgroup's count when this worker started
        self._scratch: tempfile.TemporaryDirectory | None = None  # made on start, once it will be cleaned up
        self._sending: threading.Thread | None = None  # sends the init message
        self._later: list[wire.FigureSummary] = []  # figures whose PNG the worker draws apart (runner/renders.py)
        _no_dumping()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the process and send it the submission to import (does not wait)."""
        if self.zygote is not None:
            try:
                self.proc = self.zygote.spawn(self.submission)
            except ZygoteUnusable:
                self.zygote = None  # workers cannot be confined in it here: a fresh sandbox each instead
            except ZygoteDied as exc:
                return self._kit_fault(f"the warm sandbox could not start a worker ({exc})")
        if self.zygote is not None:
            self.layer, root = self.zygote.layer, self.zygote.root
            self.notes = self.zygote.plan.notes if self.zygote.plan else []
        else:
            self._scratch = self._scratch or tempfile.TemporaryDirectory(prefix="gradekit-worker-")
            os.chmod(self._scratch.name, 0o777)
            plan = isolation.plan(self.submission, Path(self._scratch.name), self.limits, force_layer=self.force_layer)
            if plan.launcher is not None:  # bubblewrap's user may be another than ours
                unprivileged.expose(self.submission, self.submission.parent)
            try:
                self.proc = SandboxProcess(plan)
            except (OSError, subprocess.SubprocessError) as exc:  # e.g. a limit refused before exec
                plan.reap()
                return self._kit_fault(f"the sandbox could not start ({exc})")
            self.layer, self.notes, root = plan.layer, plan.notes, plan.root
        self._oom_kills = self.proc.plan.oom_kills()
        init = {"root": root, "modules": self.modules, "output_cap": self.limits.output_kb * 1024,
                "reply_cap": MAX_REPLY, "helpers": self.helpers, "environment": self.environment,
                "datasets": self.datasets}
        self._sending = threading.Thread(target=self._send_init, args=(init,), daemon=True)
        self._sending.start()

    def _send_init(self, init: dict) -> None:
        """Send `init` (on a thread: with the course's datasets it is a megabyte or more, which the pipe takes only as
        fast as the worker, still starting Python and numpy, reads it; meanwhile the grader imports the reference)."""
        try:
            self._write(_init_bytes(init))
        except (WorkerDied, ValueError):
            pass  # it ended already, or was stopped meanwhile: wait_ready() finds the pipe closed and says why

    def _init_sent(self) -> None:
        if self._sending is not None:
            self._sending.join()
            self._sending = None

    @property
    def start_timeout(self) -> float:
        """How long importing the submission may take: one call's time limit plus start-up."""
        return self.limits.call_timeout_s + IMPORT_ALLOWANCE_S

    def wait_ready(self) -> dict:
        """The worker's greeting: which modules imported, and the errors of those that did not."""
        if not self.hello and self.start_failure is None:
            try:
                self._receive(IMPORT_ALLOWANCE_S)  # {"alive": true}, sent before any student code runs
            except WorkerDied as exc:
                self._kit_fault(f"the worker ended before it could run the submission ({exc})")
        if not self.hello and self.start_failure is None:
            try:
                self.hello = _clean_hello(self._receive(self.start_timeout), self.modules)
            except WorkerDied as exc:
                self.start_failure = self._death(str(exc), self.start_timeout, starting=True)
        self._init_sent()  # the greeting comes once the worker has read it all
        if not self.hello:
            self.hello = {"ok": False, "died": self.start_failure.message, "errors": {}}
        if self._import_errors is None:
            self._import_errors = {module: error for module, error in self.hello["errors"].items() if error}
        return self.hello

    def import_errors(self) -> dict[str, dict]:
        """The submission's modules that did not import, with why (waits for the greeting if none came yet; none
        from a worker stopped before it greeted)."""
        if self._import_errors is None and (self.proc is not None or self.start_failure is not None):
            self.wait_ready()
        return dict(self._import_errors or {})

    def _kit_fault(self, why: str) -> None:
        """Record that the kit failed: every call fails at once and the grading raises KitFault."""
        self.fault = self.fault or why
        self.start_failure = StudentError("kit", f"not graded: {why}; this is the kit's fault, not yours")
        self.stop()

    def stop(self) -> None:
        """Kill the worker and everything it started."""
        if self.proc is not None:
            self.proc.kill()
            self._init_sent()  # its pipe is closed: the send ends
            self.proc = None
            self.hello = {}
            self._later = []  # what it was drawing is lost with it

    def close(self) -> None:
        self.stop()
        if self._scratch is not None:
            self._scratch.cleanup()

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ----------------------------------------------------------------------------------
    def call(self, module: str, func: str, args: tuple, kwargs: dict, *, seed: int | None = None,
             echo_args: bool = False, timeout: float | None = None, draws: bool = False,
             replace: dict[str, Any] | None = None) -> CallResult:
        """Run module.func(*args, **kwargs) in the worker; never raises for student faults.

        `draws`: note the random orders the call draws (CallResult.draws); `replace`: names of the
        module bound to other values (e.g. `Fn` helpers) for this call only.
        """
        request = {"op": "call", "module": module, "func": func, "args": wire.encode(list(args)),
                   "kwargs": wire.encode(kwargs), "seed": seed, "echo_args": echo_args, "draws": draws,
                   "replace": wire.encode(replace) if replace else None}
        reply = self._exchange(func, request, timeout or self.limits.call_timeout_s)
        if isinstance(reply, StudentError):
            return CallResult(error=reply)
        result = _result(reply, self.limits.output_kb * 1024)
        if draws and result.error is None:
            result.draws, result.draws_truncated = _draws(reply.get("draws"))
        self._later += [fig for fig in wire.figures_in(result.value) if fig.later is not None]
        return result

    def finish_figures(self) -> None:
        """Fill in the PNGs of the figures the worker drew apart while the graders went on; one not drawn within a
        call's time limit, or whose worker stopped since, has none."""
        later, self._later = self._later, []
        if not later or self.proc is None:
            return
        wait = self.limits.call_timeout_s
        drawn = _drawn(self._exchange("<figures>", {"op": "figures", "wait": wait}, wait, wait=wait + SCRIPT_GRACE_S))
        for fig in later:
            fig.png = drawn.get(fig.later, b"")

    def run_script(self, script: str, record: list[str], *, timeout: float | None = None) -> ScriptRun:
        """Run the submission's file `script` as __main__, recording the calls of each "module.function" of
        `record` and every figure shown; never raises for student faults. A script that raises or runs out
        of time still reports what it recorded until then."""
        limit = timeout or self.limits.call_timeout_s
        request = {"op": "run", "run": script, "record": list(record), "time_limit": limit}
        reply = self._exchange(f"run {script}", request, limit, wait=limit + SCRIPT_GRACE_S)
        if isinstance(reply, StudentError):
            return ScriptRun(script, error=reply)
        return script_run(script, reply, self.limits.output_kb * 1024)

    def _exchange(self, key: str, request: dict, limit: float, wait: float | None = None) -> dict | StudentError:
        """Send `request` and return the reply (within `wait`, default `limit`), or why there is none."""
        if self.timeouts.get(key, 0) >= TIMEOUTS_PER_FUNCTION:
            return timed_out_before(TIMEOUTS_PER_FUNCTION)
        if self.proc is None and self.start_failure is None:
            self.start()
        self.wait_ready()
        if self.start_failure is not None:  # importing fails the same way every time: no restart
            return self.start_failure
        try:
            self._send(request)
            return self._receive(wait or limit)
        except WorkerDied as exc:
            if str(exc) == "timeout":
                self.timeouts[key] = self.timeouts.get(key, 0) + 1
            return self._death(str(exc), limit)

    def _death(self, why: str, limit: float, *, starting: bool = False) -> StudentError:
        """Classify a dead or hung worker and stop it; the next call starts a fresh one."""
        code = self.proc.poll() if self.proc else None
        out_of_memory = self.proc is not None and self.proc.plan.oom_kills() > self._oom_kills
        if getattr(self.proc, "zygote_died", False):
            self._kit_fault("the warm sandbox stopped while the worker ran")
            return self.start_failure
        self.stop()
        self.restarts += not starting
        if why == "oversize":
            return StudentError("bad_reply", f"sent back more than {MAX_REPLY >> 20} MB of data")
        if starting:
            return _start_failure(why, limit, code, self.limits, out_of_memory)
        if why == "timeout":
            return timed_out(limit)
        return _crash(code, self.limits, "ended the worker process", out_of_memory)

    # -- framing ------------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        self._write(wire.message_bytes(message))

    def _write(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied("exit") from None

    def _receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        (size,) = wire.HEADER.unpack(self._read_exact(wire.HEADER.size, deadline))
        if size > MAX_REPLY:
            self.stop()
            raise WorkerDied("oversize")
        try:
            return wire.parse_message(self._read_exact(size, deadline))
        except wire.WireError as exc:
            return {"ok": False, "error": {"type": "BadReply", "message": f"the worker sent {exc}"}}

    def _read_exact(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        pipe = getattr(self.proc, "pipe", None)
        if pipe is not None:
            try:
                return pipe.read_exact(n, deadline, lambda: self.proc.poll() is not None, EXIT_CHECK_S)
            except PipeTimeout:
                raise WorkerDied("timeout") from None
            except PipeClosed:
                self._closed()
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied("timeout")
            if not select.select([fd], [], [], min(left, EXIT_CHECK_S))[0]:
                if self.proc.poll() is not None:  # it ended, but processes it started hold the pipe open
                    raise WorkerDied("exit")
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                self._closed()
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _closed(self) -> NoReturn:
        """The pipe closed: give the process a moment to exit, for its exit code."""
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        raise WorkerDied("exit")


def _start_failure(why: str, limit: float, code: int | None, limits: Limits, out_of_memory: bool) -> StudentError:
    """Why the submission could not be imported at all; every call then fails with this."""
    if why == "timeout":
        return StudentError("timeout", f"not run: importing the submission did not finish within {limit:g} s "
                                       "(an infinite loop or a long computation at module level? Put it under "
                                       "`if __name__ == \"__main__\":`)")
    return _crash(code, limits, "not run: the worker ended while importing the submission", out_of_memory)


def _crash(code: int | None, limits: Limits, what: str, out_of_memory: bool) -> StudentError:
    sig = -code if code is not None and code < 0 else code - 128 if code and code > 128 else None
    if sig is not None and sig == getattr(signal, "SIGKILL", None) and out_of_memory:
        total = limits.memory_mb * isolation.SANDBOX_MEMORY_FACTOR
        return StudentError("crash", f"{what}: killed for using too much memory (the submission's processes "
                                     f"together may use {total} MB)")
    if sig is not None and sig == getattr(signal, "SIGXCPU", None):
        return StudentError("crash", f"{what}: it used more than the CPU-time limit of {limits.cpu_s} s")
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return StudentError("crash", f"{what} ({name}); memory limit {limits.memory_mb} MB?")
    if code is None:
        return StudentError("crash", f"{what} (it closed its connection to the grader)")
    return StudentError("crash", f"{what} (exit code {code}): do not call os._exit, exit or quit")


def _clean_hello(raw: dict, modules: list[str]) -> dict:
    """The greeting reduced to well-formed import errors of the expected modules: the student controls it."""
    errors = raw.get("errors") if isinstance(raw.get("errors"), dict) else {}
    return {"ok": raw.get("ok") is True, "errors": {m: _import_error(errors.get(m)) for m in modules}}


def _import_error(raw: Any) -> dict | None:
    if not isinstance(raw, dict):
        return None
    error = error_of(raw)
    return {"type": error.type or "Error", "message": error.message, "file": error.file, "line": error.line}


def _result(reply: dict, output_cap: int) -> CallResult:
    """Rebuild a call's outcome from the worker's reply, trusting nothing in it."""
    output = reply["output"][:output_cap + 100] if isinstance(reply.get("output"), str) else ""  # + "[output cut]"
    if not reply.get("ok"):
        return CallResult(error=error_of(reply.get("error")), output=output)
    try:
        value = wire.decode(reply.get("value"))
        after = reply.get("args_after")
        args_after = [wire.decode(a) for a in after] if isinstance(after, list) else None
    except (wire.WireError, KeyError, TypeError, ValueError) as exc:
        return CallResult(error=StudentError("bad_reply", f"sent back data that is not plain numbers ({exc})"),
                          output=output)
    elapsed = reply.get("elapsed") if isinstance(reply.get("elapsed"), (int, float)) else 0.0
    return CallResult(value=value, args_after=args_after, output=output, elapsed=float(elapsed))


def _drawn(reply: dict | StudentError) -> dict[int, bytes]:
    """The PNGs of a "figures" reply, by token, trusting nothing in it."""
    try:
        data = wire.decode(reply.get("figures")) if isinstance(reply, dict) and reply.get("ok") else {}
    except (wire.WireError, KeyError, TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {int(token): png.tobytes() for token, png in data.items()
            if len(token) <= 10 and token.isascii() and token.isdigit()  # a token the worker could have given
            and isinstance(png, np.ndarray) and png.dtype == np.uint8 and png.ndim == 1}


def _draws(raw: Any) -> tuple[list[np.ndarray] | None, bool]:
    """The orders a call drew, each a 1-D integer array, and whether more were drawn; None if unreadable."""
    try:
        data = wire.decode(raw)
    except (wire.WireError, KeyError, TypeError, ValueError):
        return None, False
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list) or not all(isinstance(o, np.ndarray) and o.ndim == 1 and o.dtype.kind in "iu"
                                               for o in orders):
        return None, False
    return [o.astype(np.int64) for o in orders], data.get("truncated") is True
