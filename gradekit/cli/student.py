"""A handout's command line: the student's commands (`check`, `package`, `update`), none writing over their work."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit import grade as grade_verbs, package as package_verb
from gradekit.release import update as update_verb
from gradekit.cli.common import assignment_option, command_group, course_option, default, runs


@click.command(name="check")
@click.argument("folder", default=default(grade_verbs.check, "folder"), type=click.Path(path_type=Path))
@assignment_option()
@course_option(grade_verbs.check)
@runs(grade_verbs.check)
def check_command() -> None:
    ...


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


@click.command(name="update")
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@course_option(update_verb.main)
@runs(update_verb.main)
def update_command() -> None:
    ...


INSTRUCTORS = ("release", "grade", "validate", "report", "similar", "export", "gradebook")


class HandoutCommands(click.Group):
    """The student's commands; an instructor's command is named as such rather than unknown."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in INSTRUCTORS:
            ctx.fail(f"'{cmd_name}' is an instructor's command of the kit, not part of this handout; nothing was "
                     f"changed. Here: `python cli.py check` your work, then `python cli.py package` it.")
        return super().get_command(ctx, cmd_name)


student = command_group("Your handout's commands: `check` your work with the public tests, then `package` it to "
                        "hand in; `update` it when your instructor corrects the handout.",
                        [check_command, package_command, update_command], HandoutCommands)
