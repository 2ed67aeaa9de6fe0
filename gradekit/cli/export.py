"""`export`: a Gradescope autograder, a Canvas gradebook CSV."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import export as export_verbs
from gradekit.cli.common import assignment_option, course_option, default, runs


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
