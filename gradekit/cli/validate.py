"""`validate` the course and its graders."""

from __future__ import annotations

import click

from gradekit import validate as validate_verb
from gradekit.cli.common import course_option, runs


@click.command(name="validate")
@click.option("--course-only", is_flag=True, help="Only check course.yaml and what it names, without grading.")
@course_option(validate_verb.main)
@runs(validate_verb.main)
def validate_command() -> None:
    ...
