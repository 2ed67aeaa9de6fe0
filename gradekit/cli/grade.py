"""`grade` a submission or a class, and the student's `check` of their work."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import grade as grade_verbs
from gradekit.cli.common import assignment_option, course_option, default, runs


@click.command(name="grade")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=default(grade_verbs.main, "out"),
              show_default=True, help="Folder for results.json, feedback.md and figures/ (per student for a class).")
@assignment_option()
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=default(grade_verbs.main, "seed"),
              help="Reproduce a run: the seed recorded in results.json (0 to 2**32-1, as numpy's seeding).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=default(grade_verbs.main, "jobs"),
              help="Parallel graders for a class [all cores].")
@click.option("--force", is_flag=True, help="Regrade every submission of a class, even unchanged ones.")
@click.option("--times", type=click.Path(dir_okay=False, path_type=Path), default=default(grade_verbs.main, "times"),
              help="CSV of student,submitted_at (an LMS's times) for the late policy; wins over a class download's.")
@click.option("--lms-metadata", type=click.Path(dir_okay=False, path_type=Path),
              default=default(grade_verbs.main, "lms_metadata"),
              help="Gradescope's submission_metadata.json: the submission's time and its student's due date; "
                   "SUBMISSION is then the one submission it describes, whatever folders or zips it holds.")
@click.option("--extensions", type=click.Path(dir_okay=False, path_type=Path),
              default=default(grade_verbs.main, "extensions"),
              help="CSV of student,extra_days: extensions that move those students' due dates (over course.yaml's).")
@click.option("--shard", default=default(grade_verbs.main, "shard"), metavar="K/N",
              help="Grade only shard K of N (0-based) of a class.")
@click.option("--dask-scheduler", default=default(grade_verbs.main, "dask_scheduler"), metavar="ADDRESS",
              help="Grade a class on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786); "
                   "needs the dask extra: pip install 'gradekit[dask]'.")
@course_option(grade_verbs.main)
@runs(grade_verbs.main)
def grade_command() -> None:
    ...


@click.command(name="check")
@click.argument("folder", default=default(grade_verbs.check, "folder"), type=click.Path(path_type=Path))
@assignment_option()
@course_option(grade_verbs.check)
@runs(grade_verbs.check)
def check_command() -> None:
    ...
