"""The kit's command line: every command, the instructor's and the student's."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import export as export_verbs, gradebook as gradebook_verbs
from gradekit import grade as grade_verbs, release as release_verb
from gradekit import report as report_verb, similarity as similar_verb, validate as validate_verb
from gradekit.cli.common import assignment_option, command_group, course_option, default, runs
from gradekit.cli.student import check_command, package_command


@click.command(name="release")
@click.argument("assignment", required=False)
@click.option("--to", "dest", type=click.Path(path_type=Path), default=default(release_verb.main, "dest"),
              help="Write ASSIGNMENT's handout (default: the course's default assignment) to this folder.")
@click.option("--format", "fmt", type=click.Choice(release_verb.FORMATS), default=default(release_verb.main, "fmt"),
              show_default=True, help="py files, one notebook, or an nbgrader course (--to is then the course folder).")
@course_option(release_verb.main)
@runs(release_verb.main)
def release_command() -> None:
    ...


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


@click.command(name="validate")
@click.option("--course-only", is_flag=True, help="Only check course.yaml and what it names, without grading.")
@course_option(validate_verb.main)
@runs(validate_verb.main)
def validate_command() -> None:
    ...


@click.command(name="report")
@click.argument("graded", default=default(report_verb.main, "graded"), type=click.Path(path_type=Path))
@assignment_option("Assignment from course.yaml (default: the one graded).")
@course_option(report_verb.main)
@runs(report_verb.main)
def report_command() -> None:
    ...


@click.command(name="similar")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=default(similar_verb.main, "out"), show_default=True,
              help="Folder for similarity.html and similarity.csv.")
@assignment_option("Assignment from course.yaml whose handout is not counted (default: its default_assignment).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=default(similar_verb.main, "threshold"),
              show_default=True, help="Least share of a student's own code in shared runs for a pair to be listed.")
@click.option("--exclude", "given", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A .py file of code everyone had (e.g. a listing of the blog); repeat for more. "
                   "The handout and the functions the course provides whole are always excluded.")
@course_option(similar_verb.main)
@runs(similar_verb.main)
def similar_command() -> None:
    ...


@click.group(name="export")
def export_command() -> None:
    """Export for a learning platform: a Gradescope autograder, a Canvas gradebook CSV."""


@export_command.command(name="gradescope")
@click.argument("assignment", required=False)
@click.option("-o", "--output", default=default(export_verbs.gradescope_main, "output"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The autograder zip to upload to Gradescope.")
@course_option(export_verbs.gradescope_main)
@runs(export_verbs.gradescope_main)
def gradescope_command() -> None:
    ...


@export_command.command(name="canvas")
@click.argument("gradebook_csv", metavar="GRADEBOOK", type=click.Path(path_type=Path))
@click.option("-o", "--output", default=default(export_verbs.canvas_main, "output"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The CSV to import into Canvas.")
@assignment_option()
@click.option("--title", default=None, help="Canvas column title, e.g. 'Part 4.2 (12345)' [the assignment's title].")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Canvas's own gradebook export_command, to fill in names and IDs.")
@course_option(export_verbs.canvas_main)
@runs(export_verbs.canvas_main)
def canvas_command() -> None:
    ...


@click.group(name="gradebook")
def gradebook_command() -> None:
    """Merge the gradebooks of a class graded in shards on several machines."""


@gradebook_command.command(name="merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", default=default(gradebook_verbs.merge_main, "output"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@runs(gradebook_verbs.merge_main)
def merge_command() -> None:
    ...


instructor = command_group("""Autograded exercises for the course in course.yaml: handouts, grading, reports.

    \b
    Instructors:  `release` a handout; `grade` a submission or a class folder, then `report`,
                  `similar`, `export`; `validate` the course and its graders.
    Students:     in a released handout, `check` your work and `package` it.
    """, [release_command, grade_command, check_command, package_command, validate_command, report_command,
          similar_command, export_command, gradebook_command])
