"""Starting bubblewrap as an unprivileged host user when the kit runs as root.

Run as root, bubblewrap maps the sandbox's user to host root, which then shares root's per-user
kernel limits (inotify instances, keys, message-queue bytes, processes). So the launcher drops to
nobody (`host_uid()`) before exec. That user may not reach what the sandbox must see (a Python
under /root, a slot under a 0700 folder): in a private mount namespace of the launcher's own,
still as root, each such folder is bind-mounted onto an empty mount point that user can reach
(under STAGE), and bubblewrap binds from there. The host's mounts are untouched; the mount points stay empty on it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 0x1000, 0x4000, 0x40000
STAGE = Path("/tmp/gradekit-stage")


def host_uid() -> int:
    """The host user sandboxes run as when the kit is root: nobody."""
    import pwd  # POSIX only, and only asked for as root

    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return 65534


@dataclass
class Launcher:
    """How bubblewrap is started: as who we are, or dropped to `host_uid()` after staging (root only)."""

    uid: int | None = None  # the host user to become before exec; None: stay who we are
    staged: list[tuple[str, str]] = field(default_factory=list)  # (folder, mount point) bound before the drop

    def enter(self) -> None:
        """In the child before exec (after it joined its cgroups, which needs root)."""
        if self.uid is not None:
            stage(self.staged)
            become(self.uid)


def launcher(folders: list[str], *, drop: bool) -> tuple[Launcher, list[str]]:
    """How to start bubblewrap, and where it finds each of `folders` (themselves, or their mount points)."""
    if not drop:
        return Launcher(), folders
    points = [str(p) for p in mount_points(len(folders))]
    return Launcher(host_uid(), list(zip(folders, points))), points


def mount_points(count: int) -> list[Path]:
    """`count` empty folders under STAGE, root's own and passable for anyone.

    Every launcher binds its folders on the same points, each in a private mount namespace of its
    own, so they are shared, never removed, and hold nothing on the host.
    """
    points = [STAGE / str(i) for i in range(count)]
    for folder in (STAGE, *points):
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            os.chmod(folder, 0o755)  # whatever the umask
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o7777 != 0o755:
            raise OSError(f"{folder} must be a folder of root's with mode 0755: remove it and grade again")
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
    """Make `folder` readable by `host_uid()` (dirs 0755, files 0644) and its parents up to `top` passable."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for parent in folder.parents:
        if parent == top or top not in parent.parents:
            break
        os.chmod(parent, 0o711)
