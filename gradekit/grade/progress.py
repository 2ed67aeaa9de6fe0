"""What a class run shows while it grades: on a terminal, a live display of the submissions being graded and for
how long, done/total, rate and time left; elsewhere (a log, a pipe), a plain line per submission."""

from __future__ import annotations

import contextlib
from typing import Iterator

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn,
                           TimeElapsedColumn)
from rich.progress import Progress as Bars
from rich.text import Text

from gradekit import stopping
from gradekit.console import OUT, inert
from gradekit.grade.batch import Progress
from gradekit.gradebook import COLOURS
from gradekit.inert import for_terminal
from gradekit.results import Results

REFRESH_PER_S = 4  # the live display's timer: times go on while a submission runs to its time limit


class PaceColumn(ProgressColumn):
    """The run's pace as of now, from its latest Progress (the task's field `run`)."""

    def render(self, task: Task) -> Text:
        return Text(pace(task.fields["run"]), style="progress.remaining")


class ClassProgress:
    """`grade_class`'s on_progress: live on an interactive `console`, else the plain lines that logs keep."""

    def __init__(self, console: Console = OUT) -> None:
        self.console = console
        self.running = Bars(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                            console=console)
        self.overall = Bars(TextColumn("graded"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            PaceColumn(), console=console)
        self.live = Live(Group(self.running, self.overall), console=console, refresh_per_second=REFRESH_PER_S,
                         redirect_stdout=False, redirect_stderr=False)
        self.whole: TaskID | None = None  # the run's bar, from when it begins
        self.tasks: dict[str, TaskID] = {}  # the submissions being graded now

    def __call__(self, p: Progress) -> None:
        if p.event == "began":
            self.console.print(inert(f"Grading {p.total} submission(s)" + ("" if p.total else ": all up to date")))
            self.whole = self.overall.add_task("", total=p.total, run=p)
        elif p.event == "started" and self.console.is_interactive:
            self.live.start()  # only now: the grading processes are forked, none inherits its refresh thread
            self.tasks[p.student] = self.running.add_task(for_terminal(p.student), total=None)
        elif p.event == "finished":
            if p.student in self.tasks:
                self.running.remove_task(self.tasks.pop(p.student))
            self.overall.update(self.whole, completed=p.done, run=p)
            self.console.print(inert(f"{p.done}/{p.total} {p.student}: {outcome(p.results)} ({pace(p)})",
                                     COLOURS[p.results.ending]))


def pace(p: Progress) -> str:
    """Submissions graded per second so far, and the time left at that rate: `0.4/s, 12 s left`."""
    left = "done" if p.done == p.total else f"{p.eta:.0f} s left" if p.done else "time left not known yet"
    return f"{p.rate:.1f}/s, {left}"


def outcome(results: Results) -> str:
    """The score (or the status, for a kit error), and how and why it ended so if worth a look."""
    if not results.has_score:
        return f"{results.status} ({results.reason})" if results.reason else results.status
    score = f"{results.score:g}/{results.max_score:g}"
    return f"{score} ({results.ending}: {results.reason})" if results.reason else score


@contextlib.contextmanager
def class_progress(console: Console = OUT) -> Iterator[ClassProgress]:
    """A ClassProgress whose live display ends with the block, or when the run is stopped (the cursor back)."""
    shown = ClassProgress(console)
    with stopping.cleanup_on_stop(shown.live.stop):
        try:
            yield shown
        finally:
            shown.live.stop()
