"""The results of grading one submission: typed models, serialised in Gradescope's results.json shape.

The file has exactly the keys of Gradescope's specification (`SCHEMA`, a JSON Schema of it);
what Gradescope does not know, such as the maximum score, sits in `extra_data`.

A test's part, message, hint, notes, not-started flag and instructor detail are fields. In the
file they sit in the test's `extra_data` (Gradescope's place for what it does not know), with the
part also as its first tag; `output` is the student's text, rendered once, here, from the fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_serializer, model_validator

from gradekit.fsio import write_atomic

Status = Literal["passed", "failed"]
SCHEMA = Path(__file__).with_name("schemas") / "gradescope-results.schema.json"  # Gradescope's spec, as JSON Schema
GRADED, NO_SUBMISSION, KIT_ERROR = "graded", "no-submission", "kit-error"  # a submission's extra_data.status
MISSING_FILE = "MissingFile"  # the import error of a module the submission does not have
FIELDS_IN_EXTRA = ("part", "message", "hint", "notes", "not_started", "failure", "instructor", "seconds")


def render_output(message: str, hint: str | None, notes: list[str]) -> str:
    """What a student reads of one test: what failed, the hint that names the mistake, and the notes."""
    text = message + (f"\nHint: {hint}" if hint else "")
    if notes:
        text += ("\n" if text else "") + "\n".join(notes)
    return text.strip()


class TestResult(BaseModel):
    """One grader test, as Gradescope shows it; `instructor` is for the instructor only."""

    name: str
    score: float
    max_score: float
    status: Status
    part: str
    message: str = ""
    hint: str | None = None
    notes: list[str] = Field(default_factory=list)
    not_started: bool = False
    failure: str = ""  # why it failed: mismatch, grader, or how the student's code failed (exception, timeout, ...)
    instructor: str = ""
    seconds: float = 0.0
    output: str = ""
    visibility: str = "visible"

    @model_validator(mode="before")
    @classmethod
    def _from_gradescope(cls, data: Any) -> Any:
        """Read the file's shape: the fields kept in `extra_data`, the part from the first tag."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        extra, tags = data.pop("extra_data", None) or {}, data.pop("tags", None) or []
        for key in FIELDS_IN_EXTRA:
            if key in extra and key not in data:
                data[key] = extra[key]
        if "part" not in data and tags:
            data["part"] = tags[0]
        if "output" not in data:
            data["output"] = render_output(data.get("message", ""), data.get("hint"), data.get("notes") or [])
        return data

    @model_serializer(mode="wrap")
    def _to_gradescope(self, handler) -> dict:
        data = handler(self)
        extra = {key: data.pop(key) for key in FIELDS_IN_EXTRA}
        return {**data, "tags": [self.part], "extra_data": extra}

    def for_student(self) -> "TestResult":
        return self.model_copy(update={"instructor": ""})


class Results(BaseModel):
    """A whole submission's grade, in Gradescope's format: `max_score` and provenance travel in `extra_data`."""

    score: float
    max_score: float
    execution_time: float
    output: str = ""
    visibility: str = "visible"
    stdout_visibility: str = "hidden"
    tests: list[TestResult]
    extra_data: dict = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_gradescope(cls, data: Any) -> Any:
        """Read `max_score` from `extra_data` (or the top level, where results from before kept it)."""
        if not isinstance(data, dict):
            return data
        extra = dict(data.get("extra_data") or {})
        return {"max_score": extra.pop("max_score", None), **data, "extra_data": extra}

    @model_serializer(mode="wrap")
    def _to_gradescope(self, handler) -> dict:
        data = handler(self)
        most = data.pop("max_score")
        return {**data, "extra_data": {"max_score": most, **data["extra_data"]}}

    @property
    def status(self) -> str:
        """graded, no-submission or kit-error (results from before statuses count as graded)."""
        return self.extra_data.get("status", GRADED)

    @property
    def has_score(self) -> bool:
        """False for a kit error: the kit could not grade it, so there is no score, not a zero."""
        return self.status != KIT_ERROR

    @property
    def ending(self) -> str:
        """How the submission's grading ended, for summaries: kit error, empty, not importing, timed out or graded."""
        if self.status == KIT_ERROR:
            return KIT_ERROR
        if self.status == NO_SUBMISSION:
            return "empty"
        if self._import_failures():
            return "not importing"
        if any(t.failure == "timeout" for t in self.tests):
            return "timed out"
        return GRADED

    @property
    def reason(self) -> str:
        """Why it ended so (empty for a submission graded as it is): the first line a student reads about it."""
        if self.ending == "timed out":
            stopped = next(t for t in self.tests if t.failure == "timeout")
            return f"{stopped.name}: {stopped.message}"
        if self.ending == "not importing":
            return self._import_failures()[0]
        if self.ending == GRADED:
            failed = [t for t in self.tests if t.status == "failed"]
            return f"every test failed, the first: {failed[0].name}: {failed[0].message}" \
                if self.score == 0 and failed and len(failed) == len(self.tests) else ""
        return (self.output.splitlines() or [""])[0]

    def _import_failures(self) -> list[str]:
        """Why modules that are in the submission did not import (extra_data.import_errors: module -> type, reason)."""
        errors = (self.extra_data.get("import_errors") or {}).values()
        return [e.get("reason", "") for e in errors if isinstance(e, dict) and e.get("type") != MISSING_FILE]

    def part_scores(self) -> dict[str, tuple[float, float]]:
        """Score and maximum per graded part, in test order (to the hundredth, as points are given)."""
        parts: dict[str, tuple[float, float]] = {}
        for test in self.tests:
            got, most = parts.get(test.part, (0.0, 0.0))
            parts[test.part] = (round(got + test.score, 2), round(most + test.max_score, 2))
        return parts

    def part_tests(self, part: str) -> list[TestResult]:
        return [t for t in self.tests if t.part == part]

    def for_student(self) -> "Results":
        """The same results without the instructor-only fields."""
        keep = {k: v for k, v in self.extra_data.items() if k != "instructor"}
        return self.model_copy(update={"tests": [t.for_student() for t in self.tests], "extra_data": keep})


def save_results(results: Results, path: Path) -> None:
    write_atomic(path, json.dumps(results.model_dump(), indent=2) + "\n")


def load_results(path: Path) -> Results:
    return Results.model_validate_json(Path(path).read_text(encoding="utf-8"))
