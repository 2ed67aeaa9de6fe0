"""`release`: an assignment's handout for students."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import release as release_verb
from gradekit.cli.common import course_option, default, runs


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
