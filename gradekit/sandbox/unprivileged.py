"""Starting bubblewrap as an unprivileged host user when the kit runs as root.

Run as root, bubblewrap maps the sandbox's user to host root, which then shares root's per-user
kernel limits (inotify instances, keys, message-queue bytes, processes). So the launcher drops to
HOST_UID before exec. That user may not reach what the sandbox must see (a Python under /root, a
slot under a 0700 folder): in a private mount namespace of the launcher's own, still as root, each
such folder is bind-mounted onto an empty mount point that user can reach, and bubblewrap binds
from there. The host's mounts are untouched; the mount points are empty folders outside it.
"""

from __future__ import annotations

import ctypes
import os
import pwd
from pathlib import Path

CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 0x1000, 0x4000, 0x40000


def host_uid() -> int:
    """The host user sandboxes run as when the kit is root: nobody."""
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return 65534


def mount_points(stage: Path, count: int) -> list[Path]:
    """`count` empty folders under `stage`, in a temp folder of the kit's own, that HOST_UID can reach."""
    stage.mkdir(exist_ok=True)
    for folder in (stage.parent, stage):
        os.chmod(folder, 0o711)
    points = [stage / str(i) for i in range(count)]
    for point in points:
        point.mkdir(mode=0o755, exist_ok=True)
    return points


def stage(binds: list[tuple[str, str]]) -> None:
    """In the child before exec: a private mount namespace with each (source, mount point) bound."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "could not make a private mount namespace")
    for source, point in binds:
        if libc.mount(source.encode(), point.encode(), None, MS_BIND | MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"could not stage {source}")


def become(uid: int) -> None:
    """Drop to `uid` (and the same gid, no supplementary groups) for good."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def expose(folder: Path, top: Path) -> None:
    """Make `folder` readable by HOST_UID (dirs 0755, files 0644) and its parents up to `top` passable."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for parent in folder.parents:
        if parent == top or top not in parent.parents:
            break
        os.chmod(parent, 0o711)
