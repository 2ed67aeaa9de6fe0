"""What `grade` and `check` do once their options are checked: grade, then print the summary or the class's table.

Imported by the command line's functions (gradekit/grade/__init__.py) only once the warm sandbox of a
single grade is starting, so that its imports (numpy, scipy, matplotlib) and the engine's overlap.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

from gradekit.console import echo, show, warn
from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.grade.batch import Remote, grade_class
from gradekit.grade.feedback import check_lines, summary_table
from gradekit.grade.late import Timing
from gradekit.grade.pipeline import grade as grade_submission
from gradekit.grade.pipeline import grade_or_kit_error
from gradekit.grade.progress import class_progress
from gradekit.gradebook import closing_line, closing_table, kit_errors
from gradekit.layout import FEEDBACK, GRADEBOOK, RESULTS, KitPaths
from gradekit.sandbox.zygote import Zygote


def grade_a_class(folder: Path, out: Path, *, dask_scheduler: str | None, **options) -> int:
    """Grade the class in `folder` (`options` go to grade_class), with its progress and closing table."""
    with _remote(dask_scheduler) as remote, class_progress() as progress:
        results = grade_class(folder, out, on_progress=progress, on_warning=warn, remote=remote, **options)
    echo(f"Gradebook: {out / GRADEBOOK}")
    show(closing_table(results), plain=closing_line(results))
    return 1 if kit_errors(results) else 0


def grade_one(submission: Path, out: Path, *, paths: KitPaths, course: Course, assignment: str | None,
              seed: int | None, timing: Timing, zygote: Zygote | None) -> int:
    """Grade one submission and print its summary (a submission the kit could not grade is a KitError)."""
    results = grade_or_kit_error(submission, out, paths=paths, course=course, assignment=assignment, seed=seed,
                                 timing=timing, zygote=zygote)
    if not results.has_score:
        raise KitError(results.output, path=submission)
    show(summary_table(results))
    echo(f"\nResults: {out / RESULTS}   Feedback: {out / FEEDBACK}   ({results.execution_time:.2f} s, "
         f"seed {results.extra_data['seed']}, isolation {results.extra_data['isolation']})")
    if results.output:
        echo(results.output)
    return 0


def check_work(folder: Path, *, paths: KitPaths, course: Course, assignment: str | None,
               zygote: Zygote | None) -> int:
    """Run the public tests on `folder` and print a line per part; 1 while any public test fails."""
    chosen = course.assignment(assignment)
    with tempfile.TemporaryDirectory(prefix="gradekit-check-") as out:
        results = grade_submission(folder, Path(out), paths=paths, course=course, assignment=assignment,
                                   public_only=True, zygote=zygote)
    if not results.has_score:
        raise KitError(results.output, path=folder)
    for line, color in check_lines(results, {name: part.points for name, part in chosen.parts.items()}):
        echo(line, fg=color)
    parts = results.part_scores()
    undone = [part for part in parts if any(t.status == "failed" for t in results.part_tests(part))]
    verdict = f"{len(undone)} of {len(parts)} parts not done yet" if undone else "every part passes"
    echo(f"\nPublic tests: {results.score:g} / {results.max_score:g}: {verdict}. "
         "The real grade also runs hidden tests with new inputs.")
    return 1 if undone else 0


@contextlib.contextmanager
def _remote(dask_scheduler: str | None) -> Iterator[Remote | None]:
    """Where a class is graded: here (None), or on the Dask cluster whose scheduler is at `dask_scheduler`."""
    if dask_scheduler is None:
        yield None
        return
    from gradekit.grade.cluster import connect  # dask is an optional extra: imported only when asked for

    with connect(dask_scheduler) as remote:
        yield remote
