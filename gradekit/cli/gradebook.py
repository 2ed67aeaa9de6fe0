"""`gradebook merge`: the gradebooks of a class graded in shards, as one."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import gradebook as gradebook_verbs
from gradekit.cli.common import default, runs


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
