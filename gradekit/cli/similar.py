"""`similar`: pairs of submissions that share more code than chance."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import similarity as similar_verb
from gradekit.cli.common import assignment_option, course_option, default, runs


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
