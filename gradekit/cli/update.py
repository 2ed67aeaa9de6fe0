"""`update`: a corrected handout applied over the student's work."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit.release import update as update_verb
from gradekit.cli.common import course_option, runs


@click.command(name="update")
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@course_option(update_verb.main)
@runs(update_verb.main)
def update_command() -> None:
    ...
