"""Exports: the kit as a Gradescope autograder zip, and a class's grades as a Canvas gradebook CSV."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import platform
import re
import shlex
import stat
import zipfile
from pathlib import Path
from typing import NamedTuple

import gradekit
from gradekit.console import echo
from gradekit.course import Course, open_course
from gradekit.csvfile import read_csv
from gradekit.errors import KitError
from gradekit.fsio import requirement_name, runtime_dependencies, write_atomic
from gradekit.inert import for_csv_cell
from gradekit.layout import COURSE_FILE, KitPaths, files_under
from gradekit.results import KIT_ERROR

KIT = Path(gradekit.__file__).resolve().parent.parent  # cli.py, gradekit/ and pyproject.toml
TEMPLATES = Path(__file__).with_name("templates") / "gradescope"
SCRIPTS = ("setup.sh", "run_autograder")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record: the same bytes on every export

CANVAS_PEOPLE = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROSTER_NEEDS = {"Student", "ID", "SIS Login ID"}
ROSTER_FIX = "export the roster from Canvas: Grades > Export > Export Entire Gradebook"
MATCHED_BY = ("ID", "SIS User ID", "SIS Login ID", "Student")  # Canvas's own order when it imports a gradebook
CANVAS_ID = re.compile(r"\s*\(\d+\)\s*$")  # what Canvas adds to an assignment's title in its column: " (12345)"


def export_gradescope(paths: KitPaths, course: Course, assignment: str | None, output: Path) -> Path:
    """Write a Gradescope autograder zip for `assignment` (default: the course's) to `output`.

    Gradescope unpacks the zip into /autograder/source, so its root holds setup.sh and
    run_autograder beside cli.py, course.yaml, gradekit/, reference/, graders/ (without mutants)
    and the handout's support files. A re-export of the same kit is byte-identical.
    """
    name = assignment or course.default_assignment
    chosen = course.assignment(name)
    pins = [shlex.quote(_pinned(r)) for r in runtime_dependencies(KIT / "pyproject.toml")]
    scripts = {
        "setup.sh": _render("setup.sh", PACKAGES=" ".join(pins), PYTHON=platform.python_version()),
        "run_autograder": _render("run_autograder", ASSIGNMENT=shlex.quote(name), MAX_SCORE=f"{chosen.max_score:g}"),
    }
    files = {"cli.py": KIT / "cli.py", "course.yaml": paths.course_file, **_tree(KIT / "gradekit", KIT),
             **_tree(paths.reference, paths.root), **_tree(paths.graders, paths.root, skip=paths.mutants),
             **{p.relative_to(paths.root).as_posix(): p for p in paths.support_files(course.submitted_files)}}
    missing = sorted(str(p) for p in files.values() if not p.is_file())
    if missing:
        raise KitError(f"the autograder needs {', '.join(missing)}", path=paths.root,
                       fix="export from a complete checkout of the kit")
    write_atomic(Path(output), _zip({**{k: p.read_bytes() for k, p in files.items()}, **scripts}))
    return Path(output)


def _pinned(requirement: str) -> str:
    """`requirement` pinned to the version installed here, the one the kit was tested with (as it is, when absent)."""
    try:
        version = importlib.metadata.version(requirement_name(requirement))
    except importlib.metadata.PackageNotFoundError:
        return requirement
    name = re.match(r"[^\s<>=!~;]+", requirement).group()  # the distribution and its extras
    marker = requirement.partition(";")[2].strip()
    return f"{name}=={version}" + (f"; {marker}" if marker else "")


def _render(template: str, **values: str) -> bytes:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode("utf-8")


def _tree(folder: Path, base: Path, skip: Path | None = None) -> dict[str, Path]:
    """Every file under `folder` (what layout.ignored names and `skip` left out), by its path from `base`."""
    return {path.relative_to(base).as_posix(): path for path in files_under(folder)
            if not (skip and skip in path.parents)}


def _zip(members: dict[str, bytes]) -> bytes:
    """A deflated zip of `members`, in name order, with fixed times; scripts are executable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.create_system = 3  # Unix, so that unzip applies the modes below
            info.external_attr = (stat.S_IFREG | (0o755 if name in SCRIPTS else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])
    return buffer.getvalue()


class Grade(NamedTuple):
    """A student's row of a gradebook.csv, as Canvas takes it."""

    student: str
    score: str  # formatted for Canvas; empty for a kit error (no score, never a 0)
    lms_id: str  # the LMS's id of the student: Canvas's user id, for a Canvas download


def export_canvas(gradebook: Path, output: Path, *, assignment_title: str, points: float,
                  roster: Path | None = None) -> Path:
    """Write `gradebook` (from `grade`) as a CSV for Canvas's gradebook import.

    Columns: Student, ID, SIS User ID, SIS Login ID, Section and `assignment_title` (an existing
    Canvas column such as "Part 4.2 (12345)" is updated; a new title creates the assignment),
    then a Points Possible row. With a `roster` (Canvas's own gradebook export) every student graded
    is matched to a roster row (see `_find`) and roster students not graded get an empty cell, never
    a 0; a title without its id takes the roster's "<title> (<id>)" column. Without one, a student's
    submission name serves as Student and SIS Login ID (Canvas matches by it): name submissions by login.
    """
    for given in (gradebook, roster):
        if given is not None and Path(output).resolve() == Path(given).resolve():
            raise KitError("the output is a file the export reads; it was left as it is", path=output,
                           fix="pass -o a new file name, e.g. -o canvas.csv")
    grades = _read_grades(Path(gradebook))
    if roster:
        header, people = _read_roster(Path(roster))
        people = _match(grades, people, Path(roster))
        assignment_title = _column_title(assignment_title, header, Path(roster))
    else:
        people = [{"Student": g.student, "SIS Login ID": g.student, "score": g.score} for g in sorted(grades)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_PEOPLE, for_csv_cell(assignment_title)])
    writer.writerow(["Points Possible", *[""] * (len(CANVAS_PEOPLE) - 1), f"{points:g}"])
    writer.writerows([*(for_csv_cell(p.get(c, "")) for c in CANVAS_PEOPLE), p["score"]] for p in people)
    write_atomic(Path(output), buffer.getvalue())
    return Path(output)


def _read_grades(path: Path) -> list[Grade]:
    """The students of a gradebook.csv with their scores formatted for Canvas (a kit error's empty, not 0)."""
    _, rows = read_csv(path, {"student", "score"}, fix="pass the gradebook.csv that `python cli.py grade` "
                       "writes for a class")
    grades = []
    for row in rows:
        try:
            score = "" if row.get("status") == KIT_ERROR else f"{float(row['score']):g}"
        except ValueError:
            raise KitError(f"student {row['student']} has the score '{row['score']}'", path=path,
                           fix="grade that student again to rebuild the gradebook") from None
        grades.append(Grade(row["student"], score, row.get("lms_id", "")))
    return grades


def _read_roster(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and students of a Canvas gradebook export (rows without a Canvas ID, such as Points Possible,
    dropped)."""
    header, rows = read_csv(path, ROSTER_NEEDS, fix=ROSTER_FIX)
    return header, [{c: row.get(c, "") for c in CANVAS_PEOPLE} for row in rows if row["ID"]]


def _column_title(title: str, header: list[str], path: Path) -> str:
    """The roster's column for `title` with Canvas's id, "Part 4.2 (12345)", so that the import updates it; `title`
    when it has an id already or the roster has no such column (the import then creates the assignment)."""
    if CANVAS_ID.search(title):
        return title
    found = [column for column in header if re.fullmatch(re.escape(title) + CANVAS_ID.pattern, column)]
    if len(found) > 1:
        raise KitError(f"the columns {', '.join(found)} all have the title {title}", path=path,
                       fix=f"pass --title with the id of the one to update, e.g. --title '{found[0]}'")
    return found[0] if found else title


def _match(grades: list[Grade], roster: list[dict[str, str]], path: Path) -> list[dict[str, str]]:
    """Roster rows with their students' scores; each student graded must match exactly one roster row, and the
    error lists every one who does not."""
    indexes = _indexes(roster)
    people = [{**person, "score": ""} for person in roster]
    graded_as: dict[int, str] = {}
    problems = []
    for grade in grades:
        i = _find(indexes, grade)
        problem = ("is not in the roster" if i is None else "matches two roster students" if i < 0
                   else f"is the same roster student as {graded_as[i]}" if i in graded_as else "")
        if problem:
            problems.append(f"student {grade.student} {problem}")
            continue
        graded_as[i] = grade.student
        people[i]["score"] = grade.score
    if problems:
        raise KitError("; ".join(problems), path=path,
                       fix="name each submission by the student's SIS Login ID, SIS User ID or name as the roster "
                           "has it (a Canvas download's user id matches by itself)")
    return people


def _indexes(roster: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    """For each column of MATCHED_BY, the roster row of each of its values, case and spacing aside (-1 where two
    rows share one); a name "Last, First" also as "First Last"."""
    indexes: dict[str, dict[str, int]] = {}
    for column in MATCHED_BY:
        index = indexes[column] = {}
        for i, person in enumerate(roster):
            value = person[column]
            names = {value, " ".join(reversed(value.split(",", 1)))} if column == "Student" else {value}
            for key in {_key(name) for name in names} - {""}:
                index[key] = i if index.get(key, i) == i else -1
    return indexes


def _find(indexes: dict[str, dict[str, int]], grade: Grade) -> int | None:
    """The roster row of a student graded (-1: two rows): by the gradebook's lms_id as the Canvas ID, else by their
    name in the gradebook as a Canvas ID, SIS User ID, SIS Login ID or name, the first of these that matches."""
    tries = [("ID", grade.lms_id)] if grade.lms_id else []
    for column, value in [*tries, *((column, grade.student) for column in MATCHED_BY)]:
        i = indexes[column].get(_key(value))
        if i is not None:
            return i
    return None


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def gradescope_main(assignment: str | None = None, *, output: Path = Path("autograder.zip"),
                    course_file: Path = Path(COURSE_FILE)) -> int:
    """Gradescope autograder zip for ASSIGNMENT (setup.sh, run_autograder, this kit's graders)."""
    paths, course = open_course(course_file)
    written = export_gradescope(paths, course, assignment, output)
    echo(f"Wrote {written}: upload it as the assignment's autograder (Configure Autograder > Zip file)")
    return 0


def canvas_main(gradebook_csv: Path, *, output: Path = Path("canvas.csv"), assignment: str | None = None,
                title: str | None = None, roster: Path | None = None, course_file: Path = Path(COURSE_FILE)) -> int:
    """Canvas-importable CSV from GRADEBOOK (the gradebook.csv of a class `grade`)."""
    _, course = open_course(course_file, content=False)
    chosen = course.assignment(assignment)
    written = export_canvas(gradebook_csv, output, assignment_title=title or chosen.title,
                            points=chosen.max_score, roster=roster)
    echo(f"Wrote {written}: import it in Canvas (Grades > Import)")
    return 0
