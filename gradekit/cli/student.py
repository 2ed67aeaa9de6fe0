"""A handout's command line: the student's commands (`check`, `package`, `update`), none writing over their work."""

from __future__ import annotations

import click

from gradekit.cli.common import LazyGroup, command_group

COMMANDS = {
    "check": "gradekit.cli.grade:check_command",
    "package": "gradekit.cli.package:package_command",
    "update": "gradekit.cli.update:update_command",
}
INSTRUCTORS = ("release", "grade", "validate", "report", "similar", "export", "gradebook")


class HandoutCommands(LazyGroup):
    """The student's commands; an instructor's command is named as such rather than unknown."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in INSTRUCTORS:
            ctx.fail(f"'{cmd_name}' is an instructor's command of the kit, not part of this handout; nothing was "
                     f"changed. Here: `python cli.py check` your work, then `python cli.py package` it.")
        return super().get_command(ctx, cmd_name)


student = command_group("Your handout's commands: `check` your work with the public tests, then `package` it to "
                        "hand in; `update` it when your instructor corrects the handout.", COMMANDS, HandoutCommands)
