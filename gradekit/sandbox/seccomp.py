"""The syscall filters of the sandbox, built with libseccomp's bindings (pyseccomp).

Two programs, stacked: the sandbox's own (bubblewrap's `--seccomp FD`) denies what grading never
needs; a zygote's workers add one that also denies namespaces and mounts, once each worker has its
own (see runner/confine.py). Denied calls fail with EPERM, so a submission gets an error, not a
crash. Without libseccomp the kit runs without this layer and says so.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

NEVER_NEEDED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "keyctl", "add_key", "request_key", "bpf",
    "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "reboot", "init_module",
    "finit_module", "delete_module", "setns", "pivot_root", "umount2", "swapon", "swapoff", "acct",
    "quotactl", "open_by_handle_at", "name_to_handle_at", "fanotify_init", "inotify_init",
    "inotify_init1", "io_uring_setup", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsmount",
    "fspick", "syslog", "personality",
)
NAMESPACES = ("unshare", "mount")  # what a zygote needs to give a worker its own namespaces
# CLONE_NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
CLONE_NEW_FLAGS = (0x80, 0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000)


def available() -> bool:
    return _program(False) is not None


def sandbox_fd() -> int | None:
    """A file descriptor holding the sandbox's program (for bubblewrap's --seccomp), or None."""
    return _fd(_program(False))


def worker_fd() -> int | None:
    """A file descriptor holding the program each worker of a zygote adds, or None."""
    return _fd(_program(True))


@functools.cache
def _program(workers: bool) -> bytes | None:
    try:
        import pyseccomp as sc

        rules = sc.SyscallFilter(defaction=sc.ALLOW)
        for name in NEVER_NEEDED + (NAMESPACES if workers else ()):
            _deny(rules, sc, name)
        if workers:
            for bit in CLONE_NEW_FLAGS:  # a clone that would make any new namespace
                rules.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, bit, bit))
            rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # flags behind a pointer: libc falls back to clone
        with tempfile.TemporaryFile() as fh:
            rules.export_bpf(fh)
            fh.seek(0)
            return fh.read()
    except (ImportError, OSError, RuntimeError, ValueError):
        return None


def _deny(rules, sc, name: str) -> None:
    try:
        rules.add_rule(sc.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):  # a syscall this kernel's arch does not have
        pass


def _fd(program: bytes | None) -> int | None:
    """A readable fd at the start of `program` (a memfd; the child inherits it)."""
    if program is None:
        return None
    fd = os.memfd_create("gradekit-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
