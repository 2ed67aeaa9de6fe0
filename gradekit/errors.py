"""The one kind of user error: a message that names the file and the fix."""

from __future__ import annotations

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


class KitFault(Exception):
    """The kit, its sandbox or the machine failed while grading: never the student's fault.

    Raised by grading when a sandbox died, was killed or could not be cleaned; the submission is
    regraded in a fresh sandbox, and if that keeps failing it ends with status "kit-error".
    """
