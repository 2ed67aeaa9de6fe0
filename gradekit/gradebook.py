"""The class gradebook: one row per student, rebuilt from the results files (never appended),
so an interrupted run can never leave duplicates. Shards from several machines merge the same way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol

from rich import box
from rich.table import Column, Table

from gradekit.console import echo, inert
from gradekit.course import Assignment
from gradekit.csvfile import read_csv
from gradekit.errors import KitError
from gradekit.inert import for_csv_cell
from gradekit.layout import GRADEBOOK, RESULTS
from gradekit.results import GRADED, KIT_ERROR, Results, load_results
from gradekit.fsio import write_atomic



def student_results(folder: Path) -> dict[str, Results]:
    """Every `<student>/results.json` under `folder`, by student name."""
    return {path.parent.name: _results_of(path) for path in results_files(folder)}


def results_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob(f"*/{RESULTS}"))


def _results_of(path: Path) -> Results:
    try:
        return load_results(path)
    except ValueError as exc:
        raise KitError(f"unreadable results ({type(exc).__name__})", path=path,
                       fix="delete it and grade that student again") from None


@dataclass(frozen=True)
class Ended:
    """How one student's grading ended: all that a class run's closing summary needs of their results."""

    status: str
    ending: str


class HowItEnded(Protocol):
    """Results, or an Ended."""

    @property
    def status(self) -> str: ...

    @property
    def ending(self) -> str: ...


def columns(assignment: Assignment) -> list[str]:
    return ["student", "lms_id", "status", "score", "max_score", *assignment.parts, "late_penalty", "time_source",
            "submission_sha256"]


def row(student: str, res: Results, assignment: Assignment) -> dict[str, object]:
    """The student's row; a kit error has no score, so its score cells are empty (never 0)."""
    cells: dict[str, object] = {"student": for_csv_cell(student),
                                "lms_id": for_csv_cell(str(res.extra_data.get("lms_id") or "")),
                                "status": res.status, "max_score": _csv_number(res.max_score)}
    if res.has_score:
        parts = res.part_scores()
        cells["score"] = _csv_number(res.score)
        cells.update({p: _csv_number(parts.get(p, (0.0, 0.0))[0]) for p in assignment.parts})
        cells["late_penalty"] = _csv_number((res.extra_data.get("late") or {}).get("penalty", 0.0))
        cells["time_source"] = time_source(res.extra_data.get("late") or {})
    cells["submission_sha256"] = res.extra_data.get("entry_sha256") or res.extra_data.get("submission_sha256", "")
    return cells


def time_source(late: dict) -> str:
    """Whose clock the late policy read: the LMS's (gradescope, canvas, times file), the student's, or none."""
    return "student-reported (manifest)" if late.get("student_reported") else str(late.get("source") or "")


def kit_errors(results: Mapping[str, HowItEnded]) -> list[str]:
    """The students whose submissions the kit could not grade (the next run regrades them)."""
    return sorted(student for student, res in results.items() if res.status == KIT_ERROR)


ENDINGS = ("not importing", "timed out", "empty")  # graded, but worth a look: said with names after a class
COLOURS = {GRADED: "green", **dict.fromkeys(ENDINGS, "yellow"), KIT_ERROR: "red"}  # the closing table's rows


def by_ending(results: Mapping[str, HowItEnded]) -> dict[str, list[str]]:
    """The students by how their grading ended: graded (as it is), each of ENDINGS, kit-error; no empty lists."""
    who = {ending: sorted(s for s, r in results.items() if r.ending == ending) for ending in COLOURS}
    return {ending: names for ending, names in who.items() if names}


def closing_line(results: Mapping[str, HowItEnded]) -> str:
    """`N graded (2 not importing: bob, carl; 1 empty: dan), M kit errors: alice, bob` for the end of a class run."""
    who = by_ending(results)
    failed = who.get(KIT_ERROR, [])
    details = "; ".join(f"{len(names)} {ending}: {', '.join(names)}" for ending, names in who.items()
                        if ending in ENDINGS)
    line = f"{len(results) - len(failed)} graded" + (f" ({details})" if details else "")
    return line + (f", {len(failed)} kit error{'s' * (len(failed) != 1)}: {', '.join(failed)}" if failed else "")


def closing_table(results: Mapping[str, HowItEnded]) -> Table:
    """The closing line as a table for a terminal: a row per ending, with who (but for those graded as they are)."""
    table = Table("ended", Column("count", justify="right"), "students", box=box.SIMPLE,
                  title=f"{len(results)} submission{'s' * (len(results) != 1)}")
    for ending, names in by_ending(results).items():
        table.add_row(ending, str(len(names)), inert("" if ending == GRADED else ", ".join(names)),
                      style=COLOURS[ending])
    return table


def _csv_number(value: float) -> str:
    return f"{round(float(value), 4):g}"


def write_gradebook(folder: Path, assignment: Assignment, path: Path | None = None) -> dict[str, Ended]:
    """Write `gradebook.csv` (`path`) for all results under `folder`, reading each once and keeping only how its
    grading ended (a class of thousands is not held in memory); returns that, by student."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(assignment), lineterminator="\n")
    writer.writeheader()
    endings = {}
    for results_file in results_files(folder):
        student, res = results_file.parent.name, _results_of(results_file)
        writer.writerow(row(student, res, assignment))
        endings[student] = Ended(res.status, res.ending)
    write_atomic(path or Path(folder) / GRADEBOOK, buffer.getvalue())
    return endings


def merge_gradebooks(shards: list[Path], out: Path) -> int:
    """Merge shard gradebooks (same columns) into one; a student in two shards is an error."""
    merged: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for shard in shards:
        columns_here, shard_rows = read_csv(shard, {"student"}, fix="merge the gradebook.csv files that "
                                            "`python cli.py grade --shard K/N` writes")
        if header is not None and columns_here != header:
            raise KitError("columns differ from the first shard's", path=shard,
                           fix="merge shards of the same assignment and course version")
        header = columns_here
        for row in shard_rows:
            row["student"] = for_csv_cell(row["student"])
            if row["student"] in merged and merged[row["student"]] != row:
                raise KitError(f"student {row['student']} is graded differently in two shards", path=shard,
                               fix="regrade that student in one shard only")
            merged[row["student"]] = row
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header or ["student"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(merged[s] for s in sorted(merged))
    write_atomic(out, buffer.getvalue())
    return len(merged)


def merge_main(shards: tuple[Path, ...], *, output: Path = Path(GRADEBOOK)) -> int:
    """Merge SHARDS (gradebook.csv files of the same assignment) into one."""
    count = merge_gradebooks(list(shards), output)
    echo(f"Wrote {output}: {count} students from {len(shards)} shard(s)")
    return 0
