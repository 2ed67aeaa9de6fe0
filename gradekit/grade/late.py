"""The late policy of course.yaml, applied to a submission's time and its student's due date.

The time is the LMS's record of the submission when there is one; the packaged manifest's time (the student's own
clock) counts only when there is none, and is then said to be student-reported. The due date is the LMS's when it
gives one, and a student's extension (on the LMS, in course.yaml or an --extensions file) moves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gradekit.course import Assignment, LatePolicy
from gradekit.errors import KitError
from gradekit.layout import MANIFEST

GRADESCOPE, TIMES_FILE, MANIFEST_TIME, NO_TIME = "gradescope", "times file", "manifest", "none"
STUDENT_REPORTED = "Time taken from your own computer's clock (the manifest); the LMS's time was not available."


@dataclass(frozen=True)
class Timing:
    """What the kit was told of a submission's time and of its student's due date, and by whom."""

    submitted_at: datetime | None = None
    source: str = NO_TIME  # whose record: gradescope, canvas, times file; none lets the manifest's time count
    due: datetime | None = None  # the assignment's due date on the LMS, which wins over course.yaml's
    own_due: datetime | None = None  # the student's own due date on the LMS: an extension there moves it
    extra_days: float = 0.0  # the student's extension in course.yaml or an --extensions file


@dataclass(frozen=True)
class Lateness:
    submitted_at: str | None
    days_late: int
    penalty: float  # points taken off
    source: str  # whose time: gradescope, canvas, times file, manifest, or none
    due: str | None = None  # the student's due date
    extension_days: float = 0.0  # how far their due date is past the assignment's

    @property
    def student_reported(self) -> bool:
        return self.source == MANIFEST_TIME

    def record(self) -> dict:
        """What results.json keeps (`extra_data.late`)."""
        return {"submitted_at": self.submitted_at, "days_late": self.days_late, "penalty": self.penalty,
                "source": self.source, "student_reported": self.student_reported, "due": self.due,
                "extension_days": self.extension_days}

    def sentence(self) -> str:
        """The feedback's line: how late against which due date, whose clock, and any extension."""
        if self.submitted_at is None or not (self.days_late or self.extension_days or self.student_reported):
            return ""
        due = f"the due date {self.due}"
        if self.extension_days:
            due = f"your due date {self.due} (moved {self.extension_days:g} day(s) by an extension)"
        line = (f"Submitted {self.submitted_at}, {self.days_late} day(s) after {due}: late penalty "
                f"{self.penalty:g} points." if self.days_late else f"Submitted {self.submitted_at}, by {due}: on time.")
        return f"{line} {STUDENT_REPORTED}" if self.student_reported else line


def late_for(timing: Timing, manifest: dict | None, assignment: Assignment, policy: LatePolicy,
             max_score: float) -> Lateness:
    """The lateness of a submission: from the LMS's record in `timing`, else (none) its packaged manifest's time."""
    submitted, source = timing.submitted_at, timing.source
    if submitted is None and source == NO_TIME and manifest and isinstance(manifest.get("created"), str):
        submitted, source = parse_time(manifest["created"], MANIFEST), MANIFEST_TIME
    due, extension = due_for(timing, assignment)
    return lateness(submitted, source, due, policy, max_score, extension)


def due_for(timing: Timing, assignment: Assignment) -> tuple[datetime | None, float]:
    """The student's due date, the later of their own on the LMS and the assignment's (the LMS's, else course.yaml's)
    moved by their extension; and how many days past the assignment's it is."""
    base = timing.due or assignment.due or timing.own_due
    if base is None:
        return None, 0.0
    due = max(_aware(d) for d in (base + timedelta(days=timing.extra_days), timing.own_due) if d)
    return due, round((due - _aware(base)).total_seconds() / 86400, 4)


def lateness(submitted: datetime | None, source: str, due: datetime | None, policy: LatePolicy, max_score: float,
             extension_days: float = 0.0) -> Lateness:
    """Penalty in points: a fraction of the maximum per started day late, all of it past the limit."""
    if submitted is None or due is None:
        return Lateness(None, 0, 0.0, source, _iso(due), extension_days)
    late = _aware(submitted) - (_aware(due) + timedelta(minutes=policy.grace_minutes))
    days = math.ceil(late.total_seconds() / 86400) if late.total_seconds() > 0 else 0
    fraction = 1.0 if days > policy.max_days_late else min(1.0, days * policy.penalty_per_day)
    return Lateness(_iso(submitted), days, round(fraction * max_score, 4), source, _iso(due), extension_days)


def still_applies(recorded: dict | None, timing: Timing, assignment: Assignment) -> bool:
    """Whether a lateness in results.json came from the record and due date `timing` gives now (a manifest's time
    is part of the submission, whose digest is checked apart). Results without one (no grade to redo) stand."""
    if recorded is None:
        return True
    if recorded.get("due") != _iso(due_for(timing, assignment)[0]):
        return False
    if timing.source == NO_TIME:
        return recorded.get("source") in (MANIFEST_TIME, NO_TIME)
    return (recorded.get("source"), recorded.get("submitted_at")) == (timing.source, _iso(timing.submitted_at))


def parse_time(text: str, where: Path | str) -> datetime:
    """An ISO 8601 time (a `Z` suffix, and more than six digits of a second, as LMSs write them); naive is UTC."""
    try:
        return _aware(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise KitError(f"'{text}' is not a date and time", path=where,
                       fix="write times as ISO 8601, e.g. 2026-12-14T23:59:00+00:00") from None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat(timespec="seconds") if moment else None
