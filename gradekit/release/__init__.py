"""Release: the student handouts, generated from the instructor's reference/ (`python cli.py release`).

Without a destination, the course's exercises/ (every assignment's stubs); with one, an assignment's
handout as .py files or one notebook (gradekit.release.handout), or an nbgrader course
(gradekit.release.nbgrader).
"""

from __future__ import annotations

from pathlib import Path

from gradekit.console import echo
from gradekit.course import Course, open_course
from gradekit.errors import KitError
from gradekit.layout import COURSE_FILE, KitPaths
from gradekit.release.folder import Released

FORMATS = ("py", "notebook", "nbgrader")

__all__ = ["FORMATS", "Released", "main", "release"]


def release(paths: KitPaths, course: Course, *, assignment: str | None = None, dest: Path | None = None,
            fmt: str = "py") -> Released:
    """The course's exercises/, or one assignment's handout (`fmt` py or notebook) or nbgrader course in `dest`."""
    # Imported here: nbformat and what it loads take ~0.9 s, which every other command would pay.
    from gradekit.release.handout import release_assignment, release_handout
    from gradekit.release.nbgrader import release_nbgrader

    if fmt not in FORMATS:
        raise KitError(f"unknown format '{fmt}'", fix=f"use one of: {', '.join(FORMATS)}")
    if dest is None:
        if assignment is not None or fmt != "py":
            raise KitError("a handout for one assignment needs a folder to go to",
                           fix=f"add --to DIR, e.g. `python cli.py release {assignment or course.default_assignment} "
                               f"--to my-work{'' if fmt == 'py' else f' --format {fmt}'}`")
        return release_handout(paths.root, course)
    key = assignment or course.default_assignment
    course.assignment(key)  # a KitError naming the assignments if there is no such one
    if fmt == "nbgrader":
        return release_nbgrader(paths, course, key, Path(dest))
    return release_assignment(paths, course, key, Path(dest), notebook=fmt == "notebook")


def main(assignment: str | None = None, *, dest: Path | None = None, fmt: str = "py",
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Regenerate exercises/ from reference/; or, with --to DIR, write one assignment's handout there.

    \b
    A handout holds the stubs, the data, the public tests and the kit's command line:
    in DIR, `python cli.py check` and `python cli.py package` work as in the kit.
    Releasing again into the same DIR keeps the files the student changed.
    """
    paths, course = open_course(course_file)
    done = release(paths, course, assignment=assignment, dest=dest, fmt=fmt)
    echo(f"Released {done.what}: {len(done.written)} files to {done.dest}")
    if done.kept:
        echo(f"Kept {len(done.kept)} file(s) changed since the last release: "
             + ", ".join(str(p.relative_to(done.dest)) for p in done.kept))
    return 0
