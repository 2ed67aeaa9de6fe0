"""`report`: the class report of a graded class."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import report as report_verb
from gradekit.cli.common import assignment_option, course_option, default, runs


@click.command(name="report")
@click.argument("graded", default=default(report_verb.main, "graded"), type=click.Path(path_type=Path))
@assignment_option("Assignment from course.yaml (default: the one graded).")
@course_option(report_verb.main)
@runs(report_verb.main)
def report_command() -> None:
    ...
