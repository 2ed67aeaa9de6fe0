"""Where a submission's time and its student's due date come from: the LMS's record (Gradescope's
`submission_metadata.json`, what a class's download says, a --times CSV) and each student's extension
(course.yaml's `extensions`, an --extensions CSV).

Gradescope writes `/autograder/submission_metadata.json` for each submission its autograder runs on: `created_at`
(when Gradescope received it), `assignment` (`due_date`, `late_due_date`, ...) and `users`, one per submitter
(`name`, `sid`, `email`, and their own `assignment.due_date`, where an extension shows).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Iterable

from gradekit.course import MOST_EXTENSION_DAYS
from gradekit.csvfile import read_csv
from gradekit.errors import KitError
from gradekit.fsio import read_user_text
from gradekit.grade.late import GRADESCOPE, TIMES_FILE, Timing, parse_time
from gradekit.intake import Entry

METADATA_FIX = "pass the submission_metadata.json Gradescope writes for the submission (in /autograder)"
EXTENSIONS_FIX = "write a row per student, student,extra_days, with extra_days a number of days from 0, e.g. alice,3"


def read_times(path: Path) -> dict[str, datetime]:
    """A CSV of `student,submitted_at` rows (an LMS export) as a mapping."""
    _, rows = read_csv(path, {"student", "submitted_at"}, fix="pass a CSV with columns student,submitted_at")
    return {row["student"]: parse_time(row["submitted_at"], f"{path}, student {row['student']}") for row in rows}


def read_extensions(path: Path) -> dict[str, float]:
    """A CSV of `student,extra_days` rows: each student's extension, in days (a fraction is part of a day)."""
    _, rows = read_csv(path, {"student", "extra_days"}, fix=EXTENSIONS_FIX)
    extensions: dict[str, float] = {}
    for line, row in enumerate(rows, 2):
        student, days = row["student"], _days(row["extra_days"])
        problem = ("no student" if not student else f"{student} is listed twice" if student in extensions
                   else f"extra_days '{row['extra_days']}' is not a number of days from 0 to {MOST_EXTENSION_DAYS}"
                   if days is None else "")
        if problem:
            raise KitError(f"line {line}: {problem}", path=path, fix=EXTENSIONS_FIX)
        extensions[student] = days
    return extensions


def _days(text: str) -> float | None:
    try:
        days = float(text)
    except ValueError:
        return None
    return days if math.isfinite(days) and 0 <= days <= MOST_EXTENSION_DAYS else None


def read_submission_metadata(path: Path) -> tuple[Timing, tuple[str, ...]]:
    """Gradescope's record of one submission: its time, the assignment's due date and the latest of its submitters'
    own; and the names, SIDs and emails its submitters may be listed under (for their extensions)."""
    data = _metadata(path)
    users = data.get("users") or []
    assignment = data.get("assignment") or {}
    if not isinstance(users, list) or not all(isinstance(u, dict) for u in users) or not isinstance(assignment, dict):
        raise KitError("not Gradescope's metadata: `users` must be a list and `assignment` a mapping", path=path,
                       fix=METADATA_FIX)
    own = [_when(user.get("assignment"), path, f"users[{i}].assignment.due_date") for i, user in enumerate(users)]
    names = tuple(str(user[key]).strip() for user in users for key in ("name", "sid", "email") if user.get(key))
    timing = Timing(_when(data, path, "created_at", required=True), GRADESCOPE,
                    _when(assignment, path, "assignment.due_date"), max(filter(None, own), default=None))
    return timing, names


def _metadata(path: Path) -> dict:
    try:
        data = json.loads(read_user_text(path, fix=METADATA_FIX))
    except json.JSONDecodeError as exc:
        raise KitError(f"not JSON (line {exc.lineno}: {exc.msg})", path=path, fix=METADATA_FIX) from None
    if not isinstance(data, dict):
        raise KitError("not Gradescope's metadata: a mapping with created_at, assignment and users", path=path,
                       fix=METADATA_FIX)
    return data


def _when(record: object, path: Path, key: str, required: bool = False) -> datetime | None:
    """The time at `key` (its last dotted part) of `record`: None where it is left out or null, unless required."""
    value = record.get(key.rsplit(".", 1)[-1]) if isinstance(record, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise KitError(f"{key} is {'missing' if value is None else 'not a time'}", path=path, fix=METADATA_FIX)
    return parse_time(value, f"{path}, {key}")


def entry_record(entry: Entry) -> Timing:
    """What a class's download says of an entry's time: Gradescope's export gives it; Canvas names each late
    submission LATE, so one without the flag came on time; the others say nothing."""
    if entry.submitted_at is not None:
        return Timing(entry.submitted_at, entry.lms)
    return Timing(source=entry.lms) if entry.lms == "canvas" else Timing()


def timing_for(names: Iterable[str], record: Timing, times: dict[str, datetime],
               extensions: dict[str, float]) -> Timing:
    """A student's timing: the LMS's `record`, its time replaced by the --times file's (listed under their key, the
    first of `names`), with the longest extension listed under any of their names (key, LMS id, email)."""
    names = [name for name in names if name]
    if names and names[0] in times:
        record = replace(record, submitted_at=times[names[0]], source=TIMES_FILE)
    return replace(record, extra_days=max((extensions[n] for n in names if n in extensions), default=0.0))
