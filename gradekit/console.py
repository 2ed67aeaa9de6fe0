"""What the command line prints: nothing a terminal would act on, and grading progress."""

from __future__ import annotations

import sys

import click

from gradekit.inert import for_terminal


def echo(text: str, **style) -> None:
    """Print `text` (it may hold students' names and messages) with nothing in it a terminal would act on."""
    click.secho(for_terminal(text), **style)


def warn(text: str) -> None:
    """One warning line on stderr: something the run went on without."""
    echo(f"Warning: {text}", err=True, fg="yellow")


class ProgressPrinter:
    """A progress bar (count, rate, time left) on a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()

    def __call__(self, p) -> None:
        if p.done == 0:
            echo(f"Grading {p.total} submission(s)" + ("" if p.total else ": all up to date"))
            return
        res = p.results
        score = "?" if res is None else f"{res.score:g}/{res.max_score:g}" if res.has_score else res.status
        if res is not None and res.reason:
            score += f" ({res.ending}: {res.reason})" if res.has_score else f" ({res.reason})"
        eta = f"{p.eta:.0f} s left" if p.done < p.total else "done"
        if self.tty:
            bar = "#" * int(30 * p.done / p.total)
            click.echo("\r", nl=False)
            echo(f"[{bar:<30}] {p.done}/{p.total}  {p.rate:.1f}/s  {eta}  {for_terminal(p.student)[:20]:<20}", nl=False)
            if p.done == p.total:
                click.echo()
        else:
            echo(f"{p.done}/{p.total} {p.student}: {score} ({p.rate:.1f}/s, {eta})")
