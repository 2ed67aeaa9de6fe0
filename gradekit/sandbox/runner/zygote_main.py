"""A warm parent of workers inside one sandbox: imports the course's libraries once, then forks
a fresh worker per submission and clears up after it.

Runs in its own PID namespace (bubblewrap), as pid 2 under bubblewrap's init. The grader talks to it
over the Unix socket whose fd number is argv[1]: `spawn` brings the new worker's two pipe ends,
`status` reports how a worker ended, `reap` kills every other process in the sandbox, empties
/tmp and /dev/shm and removes the System V IPC objects (the sandbox has an IPC namespace of its
own). Workers close the socket before running student code, so nothing a submission starts can
reach it; the zygote is not dumpable, so they cannot trace it either.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matplotlib.pyplot  # noqa: E402,F401 - warm imports shared by every worker
import numpy  # noqa: E402,F401
import scipy.signal  # noqa: E402,F401

import worker_main  # noqa: E402

SCRATCH = ("/tmp", "/dev/shm")
IPC_RMID = 0
LIBC = ctypes.CDLL(None, use_errno=True)
# /proc/sysvipc/<kind> lists this IPC namespace's objects, the id in the second column.
IPC_REMOVERS = {"shm": lambda i: LIBC.shmctl(i, IPC_RMID, None), "sem": lambda i: LIBC.semctl(i, 0, IPC_RMID),
                "msg": lambda i: LIBC.msgctl(i, IPC_RMID, None)}


def spawn(sock: socket.socket, fds: list[int]) -> int:
    """Fork a worker speaking on `fds` (requests in, replies out)."""
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            os.dup2(fds[0], 0)
            os.dup2(fds[1], 1)
            for fd in fds:
                os.close(fd)
            os.setsid()
            worker_main.main()
        finally:
            os._exit(0)
    for fd in fds:
        os.close(fd)
    return pid


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


def reap(ended: dict[int, int]) -> None:
    """Kill every process of the sandbox but bubblewrap's init and this one; empty the scratch folders."""
    others = _others()
    while others:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _collect(ended)
        time.sleep(0.002)
        others = _others()
    _remove_ipc_objects()
    for folder in SCRATCH:
        for name in os.listdir(folder) if os.path.isdir(folder) else ():
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def _remove_ipc_objects() -> None:
    """Remove every System V shared memory segment, semaphore set and message queue workers left."""
    for kind, remove in IPC_REMOVERS.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            remove(int(row.split()[1]))


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


def main() -> None:
    if os.getpid() > 2:  # kill(-1) is only safe in a PID namespace of our own
        sys.exit("the zygote runs only in its own PID namespace")
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: workers cannot ptrace or read our memory
    sock = socket.socket(fileno=int(sys.argv[1]))
    ended: dict[int, int] = {}
    sock.send(b'{"ready": true}')
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 4096, 2)
        if not data:
            return
        request = json.loads(data)
        if request["op"] == "spawn" and len(fds) == 2:
            reply = {"pid": spawn(sock, fds)}
        elif request["op"] == "status":
            reply = {"code": status(int(request["pid"]), float(request.get("wait", 0)), ended)}
        elif request["op"] == "reap":
            reap(ended)
            reply = {"ok": True}
        else:
            for fd in fds:
                os.close(fd)
            reply = {"error": "bad request"}
        sock.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main()
