"""`package`: the student's work as the zip to hand in."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import package as package_verb
from gradekit.cli.common import assignment_option, course_option, default, runs


@click.command(name="package")
@click.argument("folder", default=default(package_verb.main, "folder"), type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", default=default(package_verb.main, "output"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The zip to write.")
@click.option("--force", is_flag=True, help="Package even with parts still to write (they score 0).")
@assignment_option()
@course_option(package_verb.main)
@runs(package_verb.main)
def package_command() -> None:
    ...
