"""The one kind of user error: a message that names the file and the fix."""

from __future__ import annotations

import errno
import functools
from pathlib import Path


class KitError(Exception):
    """A user error the CLI prints as one line, never as a traceback."""

    def __init__(self, message: str, *, path: Path | str | None = None, fix: str | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{where}{self.message}.{fix}" if not self.message.endswith(".") else f"{where}{self.message}{fix}"

    def __reduce__(self) -> tuple:
        """Pickled as it was made (to a Dask worker and back), so that its repr is the same there."""
        return functools.partial(KitError, path=self.path, fix=self.fix), (self.message,)


class KitFault(Exception):
    """The kit, its sandbox or the machine failed while grading: never the student's fault.

    Raised by grading when a sandbox died, was killed or could not be cleaned; the submission is
    regraded in a fresh sandbox, and if that keeps failing it ends with status "kit-error".
    """


def not_utf8(path: Path | str, exc: UnicodeDecodeError) -> KitError:
    """The message for a text file saved in another encoding than UTF-8."""
    return KitError(f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})", path=path,
                    fix="save it as UTF-8 (a spreadsheet's 'CSV UTF-8', an editor's 'Save with Encoding')")


OS_FIXES = {
    errno.ENOTDIR: "a part of that path is a file, not a folder: choose another path",
    errno.ENOENT: "check the path: a folder on it does not exist or cannot hold files",
    errno.EACCES: "choose a path you may read and write, or change its permissions",
    errno.EPERM: "choose a path you may read and write, or change its permissions",
    errno.EROFS: "choose a path on a writable disk",
    errno.ENOSPC: "free some disk space, or choose a path on another disk",
    errno.EISDIR: "pass a file there, not a folder",
    errno.EEXIST: "a file is in the way: choose another path or remove it",
}


def os_error(exc: OSError, path: Path | str | None = None) -> KitError:
    """An operating-system error (unwritable folder, path under a file, full disk) as a user error about `path`."""
    fix = OS_FIXES.get(exc.errno, "check the path and its permissions")
    return KitError(exc.strerror or type(exc).__name__, path=path or exc.filename, fix=fix)
