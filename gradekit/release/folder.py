"""The folder a release writes to: claimed only if new, empty or a previous release of the same kind;
written file by file, keeping what the student changed since; its course.yaml; the record of it all.

A release records what it wrote in DIR/.gradekit-release.json (layout.RELEASE_MARKER). Releasing
again into the same folder updates it, but keeps every file the student changed since; any other
non-empty folder is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import gradekit
from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.fsio import sha256_bytes, sha256_file, write_atomic
from gradekit.layout import RELEASE_MARKER


@dataclass
class Released:
    """What a release wrote where, and the files it left alone because the student changed them."""

    dest: Path
    what: str
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


ELSEWHERE = "pass --to a new or empty folder, or a previous handout of the same assignment"


def claim_folder(dest: Path, fmt: str, assignment: str | None, elsewhere: str = ELSEWHERE) -> dict:
    """The record of the previous release of this kind in `dest` ({} for a new or empty folder).

    A non-empty folder that is not such a release is refused, so nothing of the student's is
    overwritten. `assignment` None accepts a release of any assignment (an nbgrader course holds several);
    `elsewhere` is the refusal's fix.
    """
    if not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        return {}
    marker = dest / RELEASE_MARKER
    if not marker.is_file():
        what = "a folder" if dest.is_dir() else "a file"
        raise KitError(f"{what} that is not empty and is not a handout released by this kit", path=dest,
                       fix=f"{elsewhere}; nothing in this one was changed")
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        recorded["files"] = dict(recorded["files"])
    except (ValueError, KeyError, TypeError):
        raise KitError(f"{RELEASE_MARKER} is not readable", path=dest, fix="release into a new folder") from None
    if recorded.get("format") != fmt or (assignment is not None and recorded.get("assignment") != assignment):
        was = f"the {recorded.get('format')} release of {recorded.get('assignment') or 'an nbgrader course'}"
        raise KitError(f"this folder holds {was}", path=dest,
                       fix="release into a new folder, or into the one holding this assignment in this format")
    return recorded


def write_release(dest: Path, files: dict[Path, bytes], previous: dict[str, str], meta: dict) -> tuple[list, list]:
    """Write `files` under `dest`, except those the student changed since the previous release; then the marker.

    Returns the files written and those kept; the marker records each file's digest as released.
    """
    record, written, kept = dict(previous), [], []
    for relative, data in sorted(files.items()):
        target, name = dest / relative, relative.as_posix()
        if target.exists() and _changed_by_student(target, data, previous.get(name)):
            kept.append(target)
            continue
        write_atomic(target, data)
        record[name] = sha256_bytes(data)
        written.append(target)
    meta = {**meta, "kit_version": gradekit.__version__, "files": dict(sorted(record.items()))}
    write_atomic(dest / RELEASE_MARKER, json.dumps(meta, indent=2) + "\n")
    return written, kept


def _changed_by_student(target: Path, data: bytes, released: str | None) -> bool:
    """The file differs from both what was released there before and what would be released now."""
    current = sha256_file(target) if target.is_file() else "(a folder)"
    return current != sha256_bytes(data) and current != released


def single_assignment(course: Course, key: str) -> Course:
    """The course reduced to one assignment, its default."""
    return course.model_copy(update={"assignments": {key: course.assignment(key)}, "default_assignment": key})


HANDOUT_COURSE = "the course file of this handout (released from the course's own).\n# `python cli.py check` and " \
                 "`python cli.py package` read it."


def course_yaml(course: Course, key: str, graders: list[str], what: str = HANDOUT_COURSE) -> str:
    """course.yaml for assignment `key`'s handout (or, saying `what` it is, another release): the course's
    settings and that one assignment.

    It is graded by the `graders` the handout ships; its notes are left out (the handout's README
    and notebook show them rendered, and the handout has no notes/ to render them from).
    """
    one = single_assignment(course, key)
    data = one.model_dump(mode="json", exclude_none=True)
    data["assignments"][key]["graders"] = list(graders)  # in the order they run
    data["assignments"][key].pop("notes", None)
    header = f"# {course.course}: {what}\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
