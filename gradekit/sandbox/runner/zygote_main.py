"""A warm parent of workers inside one sandbox: imports the course's libraries once, then forks
a fresh, confined worker per submission.

Runs in its own PID namespace (bubblewrap), as pid 2 under bubblewrap's init. The grader talks to it
over the Unix socket whose fd number is argv[1]; argv[2] is the fd of the workers' seccomp program
("-" for none). `spawn` brings the new worker's two pipe ends and the submission folder: the
worker gets namespaces, /tmp, /dev/shm and a copy of the submission of its own (confine.py), so
nothing it does reaches the next one. `status` reports how a worker ended; `reap` kills every other
process in the sandbox and says whether it could. Workers run in their own PID namespace and close
the socket before running student code: nothing a submission starts can see, signal or trace the
zygote (it is not dumpable either).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fontlist  # noqa: E402
import import_hooks  # noqa: E402
import titles  # noqa: E402

fontlist.seed()  # before matplotlib is imported
import_hooks.light_scipy()  # before scipy is
import_hooks.after_import(titles.MODULE, titles.place_lightly)  # as matplotlib is
import matplotlib.pyplot  # noqa: E402 - warm imports shared by every worker
import numpy  # noqa: E402
import scipy.signal  # noqa: E402,F401

import confine  # noqa: E402
import pngs  # noqa: E402
import worker_main  # noqa: E402

SUBMISSIONS = "/submissions"  # the grader's slot, read-only: each worker copies its own folder from here
REAP_TIMEOUT_S = 3.0
LIBC = ctypes.CDLL(None, use_errno=True)


def spawn(sock: socket.socket, fds: list[int], folder: str, tmp_mb: int, program: bytes | None) -> int:
    """Fork a confined worker over SUBMISSIONS/`folder`, speaking on `fds` (requests in, replies out)."""
    pid = os.fork()
    if pid == 0:
        code = confine.KIT_FAULT_EXIT
        try:
            sock.close()
            os.dup2(fds[0], 0)
            os.dup2(fds[1], 1)
            for fd in fds:
                os.close(fd)
            os.setsid()
            confine.enter(os.path.join(SUBMISSIONS, folder), SUBMISSIONS, tmp_mb)
            confine.lock(program)
            code = 0
            worker_main.main()
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    return pid


def can_confine(program: bytes | None) -> bool:
    """Whether a forked worker can be given namespaces of its own here (a child tries it)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            confine.enter(None, SUBMISSIONS, 1)
            confine.lock(program)
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def status(pid: int, wait: float, ended: dict[int, int]) -> int | None:
    """The worker's exit code (negative: killed by that signal), waiting up to `wait` s; None if running."""
    deadline = time.monotonic() + wait
    while pid not in ended:
        try:
            done, code = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            ended[pid] = os.waitstatus_to_exitcode(code)
        elif time.monotonic() >= deadline:
            return None
        else:
            time.sleep(0.005)
    return ended[pid]


def reap(ended: dict[int, int]) -> bool:
    """Kill every process of the sandbox but bubblewrap's init and this one; False if some survive."""
    deadline = time.monotonic() + REAP_TIMEOUT_S
    while others := _others():
        if time.monotonic() > deadline:
            return False
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _collect(ended)
        time.sleep(0.002)
    _collect(ended)
    return not others


def _collect(ended: dict[int, int]) -> None:
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        ended[pid] = os.waitstatus_to_exitcode(code)


def _others() -> list[int]:
    """Live processes other than init (1) and this one; zombies count as gone."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, os.getpid()):
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != b"Z":
                found.append(int(name))
    return found


def warm_matplotlib() -> None:
    """Draw and render a small figure once, so that every worker inherits the loaded fonts and glyph caches
    instead of loading them for its first figure (~15 ms of CPU a submission)."""
    fig, ax = matplotlib.pyplot.subplots()
    ax.imshow(numpy.zeros((2, 2)), cmap="gray")
    ax.set_title("warm-up 0123456789")
    fig.tight_layout()
    pngs.png_of(fig)
    matplotlib.pyplot.close(fig)


def main() -> None:
    if os.getpid() > 2:  # kill(-1) is only safe in a PID namespace of our own
        sys.exit("the zygote runs only in its own PID namespace")
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: workers cannot ptrace or read our memory
    sock = socket.socket(fileno=int(sys.argv[1]))
    program = _read_fd(sys.argv[2])
    ended: dict[int, int] = {}
    warm_matplotlib()
    gc.freeze()  # the warm heap stays out of the workers' collections: never traversed, nor copied by them on write
    sock.send(json.dumps({"ready": True, "confined": can_confine(program)}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 4096, 2)
        if not data:
            return
        sock.send(json.dumps(answer(json.loads(data), fds, sock, program, ended)).encode())


def answer(request: dict, fds: list[int], sock: socket.socket, program: bytes | None, ended: dict[int, int]) -> dict:
    if request.get("op") == "spawn" and len(fds) == 2:
        return {"pid": spawn(sock, fds, str(request["folder"]), int(request["tmp_mb"]), program)}
    for fd in fds:
        os.close(fd)
    if request.get("op") == "status":
        return {"code": status(int(request["pid"]), float(request.get("wait", 0)), ended)}
    if request.get("op") == "reap":
        return {"ok": reap(ended)}
    return {"error": "bad request"}


def _read_fd(arg: str) -> bytes | None:
    if arg == "-":
        return None
    with os.fdopen(int(arg), "rb") as fh:
        return fh.read()


if __name__ == "__main__":
    main()
