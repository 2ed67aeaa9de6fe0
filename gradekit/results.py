"""The results of grading one submission: one model, serialised as Gradescope's results.json."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from gradekit import stopping
from gradekit.errors import os_error

Status = Literal["passed", "failed"]
GRADED, NO_SUBMISSION, KIT_ERROR = "graded", "no-submission", "kit-error"  # a submission's extra_data.status


class TestResult(BaseModel):
    """One grader test, as Gradescope shows it; `extra_data` is for the instructor only."""

    name: str
    score: float
    max_score: float
    status: Status
    output: str = ""
    visibility: str = "visible"
    tags: list[str] = Field(default_factory=list)
    extra_data: dict = Field(default_factory=dict)

    @property
    def part(self) -> str:
        return self.tags[0] if self.tags else self.name.split(":")[0]


class Results(BaseModel):
    """A whole submission's grade (Gradescope's format plus `max_score` and provenance)."""

    score: float
    max_score: float
    execution_time: float
    output: str = ""
    visibility: str = "visible"
    stdout_visibility: str = "hidden"
    tests: list[TestResult]
    extra_data: dict = Field(default_factory=dict)

    @property
    def status(self) -> str:
        """graded, no-submission or kit-error (results from before statuses count as graded)."""
        return self.extra_data.get("status", GRADED)

    @property
    def has_score(self) -> bool:
        """False for a kit error: the kit could not grade it, so there is no score, not a zero."""
        return self.status != KIT_ERROR

    def part_scores(self) -> dict[str, tuple[float, float]]:
        """Score and maximum per graded part, in test order."""
        parts: dict[str, tuple[float, float]] = {}
        for test in self.tests:
            got, most = parts.get(test.part, (0.0, 0.0))
            parts[test.part] = (got + test.score, most + test.max_score)
        return parts

    def for_student(self) -> "Results":
        """The same results without the instructor-only fields."""
        tests = [t.model_copy(update={"extra_data": {}}) for t in self.tests]
        keep = {k: v for k, v in self.extra_data.items() if k != "instructor"}
        return self.model_copy(update={"tests": tests, "extra_data": keep})


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file so that readers see the old or the new content, never a part of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide results and handouts from their readers
    try:
        with stopping.cleanup_on_stop(Path(tmp).unlink):
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_writable(folder: Path) -> None:
    """Check that `folder` can be made and written, leaving nothing behind: before any work, not after it."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".gradekit-probe-"))
    except OSError as exc:
        raise os_error(exc, folder) from None


def save_results(results: Results, path: Path) -> None:
    write_atomic(path, json.dumps(results.model_dump(), indent=2) + "\n")


def load_results(path: Path) -> Results:
    return Results.model_validate_json(Path(path).read_text(encoding="utf-8"))
