"""What the command line prints, through rich: nothing a terminal would act on, never read as markup."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.text import Text

from gradekit.inert import for_terminal

OUT = Console(soft_wrap=True)  # soft wrap: a long line stays one line for whoever reads the output
ERR = Console(stderr=True, soft_wrap=True)


def inert(text: str, style: str = "") -> Text:
    """`text` (it may hold students' names and messages) as rich Text: no escape sequences, no markup, no emoji."""
    return Text(for_terminal(text), style=style)


def echo(text: str, *, fg: str = "", err: bool = False) -> None:
    """Print `text` inert, in colour `fg` on a terminal; on stderr with `err`."""
    (ERR if err else OUT).print(inert(text, fg))


def warn(text: str) -> None:
    """One warning line on stderr: something the run went on without."""
    echo(f"Warning: {text}", err=True, fg="yellow")


def show(renderable: RenderableType, plain: str | None = None) -> None:
    """Print a table (or any rich renderable), fitted to the terminal's width; `plain` instead where the output is
    not a terminal, if given."""
    if plain is not None and not OUT.is_terminal:
        echo(plain)
    else:
        OUT.print(renderable, soft_wrap=False)
