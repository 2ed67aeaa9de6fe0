"""The README of a handout, generated from course.yaml: the course's exercises/ or one assignment's folder.

Both have the same sections: what to do, the files, each assignment (due date, late policy, parts
and points, then its notes as rendered from course.yaml's `notes`), and the student's workflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

from gradekit.course import Course

YOURS = ("Every function that raises `NotImplementedError` is yours to write: keep its name, signature\n"
         "and docstring, and replace the `raise` line by your code.")
RUNNABLE = b'if __name__ == "__main__":'
HANDOUT_FOLDERS = [
    "- `graders/`: the public tests `python cli.py check` runs, on fixed inputs",
    "- `reference/`: the reference solution's answers to those inputs, recorded (not the solutions)",
    "- `cli.py`, `gradekit/`, `course.yaml`, `requirements.txt`: the course kit's command line, which runs them",
]


def readme(course: Course, files: dict[Path, bytes], notes: dict[str, list[str]], *, key: str | None = None,
           notebook: bool = False) -> str:
    """The README of the course's exercises/ (`key` None: every assignment), or of assignment `key`'s handout.

    `files` are the student's files (path as the README names it -> content); `notes` each
    assignment's rendered notes; `notebook` says the handout's code is one notebook.
    """
    keys = list(course.assignments) if key is None else [key]
    sections = [_intro(course, key, notebook), _files(files, handout=key is not None)]
    sections += [_assignment(course, k, notes.get(k, [])) for k in keys]
    sections.append(_workflow(course, files, key, notebook))
    return "\n\n".join(sections) + "\n"


def _intro(course: Course, key: str | None, notebook: bool) -> str:
    if key is None:
        return (f"# {course.course}: exercises\n\n"
                f"Course version {course.version}. This folder is your handout, generated from the course by\n"
                f"`python cli.py release`.\n{YOURS}")
    assignment = course.assignments[key]
    where = (f"`exercises/{key}.ipynb`: a notebook with a code cell per function" if notebook
             else ", ".join(f"`exercises/{name}`" for name in assignment.files))
    provided = " The functions of earlier parts it builds on are handed out whole." if assignment.provided else ""
    return (f"# {assignment.title}\n\n"
            f"{course.course}, course version {course.version}: your handout for the assignment `{key}`.\n\n"
            f"Your work goes in {where}.\n{YOURS}{provided}")


def _files(files: dict[Path, bytes], *, handout: bool) -> str:
    """One line per file, with the first paragraph of a module's docstring; a handout's other folders after."""
    lines = []
    for path, data in sorted(files.items()):
        summary = _module_summary(data) if path.suffix == ".py" else ""
        lines.append(f"- `{path.as_posix()}`" + (f": {summary}" if summary else ""))
    return "## Files\n\n" + "\n".join(lines + (HANDOUT_FOLDERS if handout else []))


def _module_summary(source: bytes) -> str:
    doc = ast.get_docstring(ast.parse(source)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _assignment(course: Course, key: str, notes: list[str]) -> str:
    assignment = course.assignments[key]
    due = f"Due {assignment.due:%Y-%m-%d %H:%M %Z}" if assignment.due else "No due date"
    late = course.late_policy_for(assignment)
    rows = [f"| `{name}` | `{part.module}.py` | {part.points:g} | {'yes' if part.public else 'no'} |"
            for name, part in assignment.parts.items()]
    text = (
        f"## {assignment.title} (`{key}`)\n\n"
        f"{due}; {late.grace_minutes} minutes of grace, then {late.penalty_per_day * 100:g}% of the maximum\n"
        f"score off per started day late, and zero after {late.max_days_late} days. "
        f"Hand in: {', '.join(f'`{f}`' for f in assignment.files)}.\n\n"
        "| part | file | points | checked by `python cli.py check` |\n|---|---|---|---|\n"
        + "\n".join(rows) + f"\n| **total** | | **{assignment.max_score:g}** | |"
    )
    if assignment.provided:
        text += f"\n\nBuilds on: {', '.join(f'`{name}`' for name in assignment.provided)}."
    return "\n\n".join([text, *notes])


def _workflow(course: Course, files: dict[Path, bytes], key: str | None, notebook: bool) -> str:
    scripts = [path.as_posix() for path, data in sorted(files.items()) if path.suffix == ".py" and RUNNABLE in data]
    run = ("Try your code as you go" + (", from this folder" if key is None else "")
           + " (plots open in a window, or are saved as PNG without a display):\n\n```\n"
           + "".join(f"python {script}\n" for script in scripts) + "```\n\n") if scripts and not notebook else ""
    commands = "```\npython cli.py check\n" + ("" if notebook else "python cli.py package\n") + "```\n\n"
    if key is None:
        others = [k for k in course.assignments if k != course.default_assignment]
        choose = f"; pick another with `-a`, e.g. `-a {others[0]}`" if others else ""
        return ("## Your workflow\n\n" + run
                + "From the kit's folder (the one holding `cli.py`), check your work against the public\n"
                "tests, then package it for hand-in as `submission.zip`:\n\n" + commands
                + f"Both work on `exercises/` and the assignment `{course.default_assignment}`{choose}.")
    return ("## Your workflow\n\nOnce, in this folder:\n\n```\npython -m pip install -r requirements.txt\n```\n\n"
            + (_notebook_work(key) if notebook else run)
            + "Check your work against the public tests (a line per part: done, failing and why, or not started):\n\n"
            + commands + _hand_in(key, notebook) + " The grade runs the public tests and hidden ones, on new inputs.\n\n"
            + "If your instructor hands out a corrected handout, `python cli.py update NEW` (its folder or zip)\n"
            "applies it here: it replaces what you have not changed and the functions you have not started,\n"
            "and keeps everything you wrote.")


def _notebook_work(key: str) -> str:
    return ("Open the notebook in Jupyter (`python -m pip install jupyterlab` if you have none) and run\n"
            f"its cells top to bottom as you go:\n\n```\njupyter lab exercises/{key}.ipynb\n```\n\n")


def _hand_in(key: str, notebook: bool) -> str:
    if notebook:
        return (f"Hand in `exercises/{key}.ipynb` itself: the grade reads a notebook's code cells (magics, "
                "shell lines and outputs are ignored) and grades it exactly like `.py` files.")
    return "`package` checks your files are complete and compile, then writes `submission.zip` to hand in."
