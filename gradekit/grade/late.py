"""The late policy of course.yaml, applied from a submission's time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gradekit.course import Assignment, LatePolicy
from gradekit.csvfile import read_csv
from gradekit.errors import KitError
from gradekit.layout import MANIFEST


@dataclass(frozen=True)
class Lateness:
    submitted_at: str | None
    days_late: int
    penalty: float  # points taken off
    source: str  # manifest, times file, or none

    def sentence(self) -> str:
        if self.submitted_at is None or self.days_late == 0:
            return ""
        return (f"Submitted {self.submitted_at}, {self.days_late} day(s) after the due date: "
                f"late penalty {self.penalty:g} points.")


def lateness(submitted: datetime | None, source: str, assignment: Assignment, policy: LatePolicy,
             max_score: float) -> Lateness:
    """Penalty in points: a fraction of the maximum per started day late, all of it past the limit."""
    if submitted is None or assignment.due is None:
        return Lateness(None, 0, 0.0, "none")
    due = _aware(assignment.due) + timedelta(minutes=policy.grace_minutes)
    late = _aware(submitted) - due
    days = math.ceil(late.total_seconds() / 86400) if late.total_seconds() > 0 else 0
    fraction = 1.0 if days > policy.max_days_late else min(1.0, days * policy.penalty_per_day)
    return Lateness(_aware(submitted).isoformat(timespec="seconds"), days, round(fraction * max_score, 4), source)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_time(text: str, where: Path | str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise KitError(f"'{text}' is not a date and time", path=where,
                       fix="write times as ISO 8601, e.g. 2026-12-14T23:59:00+00:00") from None


def read_times(path: Path) -> dict[str, datetime]:
    """A CSV of `student,submitted_at` rows (an LMS export) as a mapping."""
    _, rows = read_csv(path, {"student", "submitted_at"}, fix="pass a CSV with columns student,submitted_at")
    return {row["student"]: parse_time(row["submitted_at"], f"{path}, student {row['student']}") for row in rows}


def late_for(submitted_at: datetime | None, manifest: dict | None, assignment: Assignment, policy: LatePolicy,
             max_score: float) -> Lateness:
    """The lateness of a submission: from `submitted_at` (the LMS's times), else its packaged manifest's time."""
    source = "submission times"
    if submitted_at is None and manifest and isinstance(manifest.get("created"), str):
        submitted_at, source = parse_time(manifest["created"], MANIFEST), "manifest"
    return lateness(submitted_at, source, assignment, policy, max_score)
