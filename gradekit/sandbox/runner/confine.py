"""Fresh namespaces for one worker forked by the zygote: nothing it does outlives it.

`enter()` runs in the zygote's freshly forked child, before any student code. It makes a user
namespace of its own (so it may create the rest), then new mount, PID, IPC and UTS namespaces,
fresh tmpfs on /tmp, /dev/shm and WORK (a writable copy of the submission), hides the other
submissions, and forks the worker as PID 1 of its namespace. When that worker ends, the kernel
kills every process it left and frees its mounts, System V and POSIX IPC objects with the
namespaces: there is nothing to clean up. The worker then drops every capability and loads the
seccomp filter that denies namespaces and mounts for good.

Standard library only: this runs inside the sandbox.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal

WORK = "/submission"  # where the worker sees its own copy of the submission (the same path as without a zygote)
SCRATCH = ("/tmp", "/dev/shm")
KIT_FAULT_EXIT = 121  # exit code of a worker that could not be confined (it never said it is alive: a kit fault)

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 0x1000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_CAPBSET_DROP = 4, 38, 22, 2, 24
try:
    LIBC = ctypes.CDLL(None, use_errno=True)
except (OSError, TypeError):  # no C library to dlopen (Windows): no zygote is ever started there
    LIBC = None


class ConfineError(Exception):
    """A namespace, mount or filter could not be set up."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ConfineError(f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda s: s.encode() if s is not None else None)
    _check(LIBC.mount(encode(source), target.encode(), encode(fstype), flags, encode(data)), f"mount {target}")


def _mounts_under(folders: tuple[str, ...]) -> list[str]:
    """Mount points below `folders` (bubblewrap's read-only binds of a runtime under /tmp), outermost first."""
    with open("/proc/self/mountinfo") as fh:
        points = [line.split()[4] for line in fh]
    below = [p for p in points if any(p.startswith(f + "/") for f in folders)]
    return [p for i, p in enumerate(below) if not any(p.startswith(q + "/") for q in below[:i])]


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def enter(submission: str | None, hide: str, tmp_mb: int) -> None:
    """Confine this process with a copy of `submission`, hiding the folder `hide` that holds the others.

    Returns in the worker (PID 1 of the new namespaces); the waiter never returns.
    """
    uid, gid = os.getuid(), os.getgid()
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the zygote is not; a process must be to write its own uid_map
    _check(LIBC.unshare(CLONE_NEWUSER), "unshare(user)")
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")
    _check(LIBC.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS), "unshare(mount, pid, ipc, uts)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    carried = _mounts_under(SCRATCH)
    kept = [os.open(path, os.O_PATH) for path in carried]
    for folder in (*SCRATCH, WORK):
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for path, fd in zip(carried, kept):  # the runtime where it lives under /tmp (a venv there), read-only again
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    if submission is not None:
        shutil.copytree(submission, WORK, dirs_exist_ok=True, symlinks=True)
    _mount("tmpfs", hide, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k")  # classmates' folders
    pid = os.fork()
    if pid:
        _wait_and_mirror(pid)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir("/tmp")


def _wait_and_mirror(pid: int) -> None:
    """The waiter outside the worker's PID namespace: end exactly as the worker ended."""
    for fd in (0, 1, 2):
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


def lock(seccomp_program: bytes | None) -> None:
    """Drop every capability and load the filter: nothing after this can unshare or mount."""
    for cap in range(64):
        LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
    _check(LIBC.capset(header, data), "capset")
    _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if seccomp_program:
        _load_filter(seccomp_program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _load_filter(program: bytes) -> None:
    """Install a BPF program (8 bytes per instruction) as this process's seccomp filter."""
    fprog = _SockFprog(len(program) // 8, program)
    _check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")
