"""What every command shares: defaults read from the engine's signatures, one-line errors, the shared options."""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any, Callable

import click

from gradekit.errors import KitError, os_error
from gradekit.inert import for_terminal


def default(function: Callable, name: str) -> Any:
    """The default of `function`'s parameter `name`: the one place a command's default is written."""
    return inspect.signature(function).parameters[name].default


def runs(function: Callable) -> Callable[[Callable], Callable]:
    """Make a click command run `function` with the command's options; KitError and OSError become one line."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(**options: Any) -> None:
            try:
                code = function(**options)
            except (KitError, OSError) as exc:
                if click.get_current_context().find_root().params.get("debug"):
                    raise
                error = exc if isinstance(exc, KitError) else os_error(exc)
                raise click.ClickException(" ".join(for_terminal(str(error)).splitlines())) from None
            if code:
                sys.exit(code)

        wrapper.__doc__ = function.__doc__
        return wrapper

    return decorate


def run(group: click.Group) -> None:
    """Run the command line `group`. Then, before the interpreter exits, freeze what is still alive: its last
    garbage collections would otherwise walk every object of numpy, scipy, matplotlib and pytest (~0.4 s a
    command) only for the process to end. atexit handlers and module teardown run as before."""
    try:
        group()
    finally:
        gc.freeze()


def course_option(function: Callable) -> Callable:
    return click.option("--course", "course_file", default=default(function, "course_file"), show_default=True,
                        type=click.Path(dir_okay=False, path_type=Path), help="The course description.")


def assignment_option(help_text: str = "Assignment from course.yaml (default: its default_assignment).") -> Callable:
    return click.option("-a", "--assignment", default=None, help=help_text)


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for, each from the module ("module:attribute") that declares it:
    a command imports only its own verb, so `grade` can start its sandbox before the rest of the kit is imported."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


def command_group(doc: str, commands: dict[str, str], cls: type[LazyGroup] = LazyGroup) -> LazyGroup:
    """The top-level group of `commands` (name -> "module:attribute"), with --debug (tracebacks instead of one-line
    errors)."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=doc, cls=cls, lazy=commands)
    @click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
    def group(debug: bool) -> None:
        pass

    return group
