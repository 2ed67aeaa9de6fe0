"""Where a submission's files are: the assignment's modules one or more folders down, renamed, or in a notebook.

Pure choices over paths relative to the submission (`submission.place_modules` moves the files), made the same way
every time: the exact name first, then the file nearest the top, then the highest copy number (`work (2).py` over
`work (1).py` over `Work.py`), then path order. A notebook stands for a module it is named after, else for the modules
its metadata names (a released notebook), else, of any name, for every module not found, the one defining the most
functions first. Each decision is a note the student reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterable

TOP = PurePosixPath(".")
# a renamed copy: `work (1)`, `work(1)`, `work-2`, `work 2`, `work copy`, `work - Copy`, `work copy 2`, `work (copy)`
COPY = re.compile(r"(?P<base>.*?)(?:\s*\((?P<paren>\d+)\)|-(?P<dash>\d+)|\s+(?P<space>\d+)"
                  r"|(?:\s+-)?\s+copy(?:\s+(?P<copy>\d+))?|\s*\(copy\))", re.IGNORECASE)


@dataclass(frozen=True)
class Choice:
    """The file graded as `module`, and the other candidates set aside."""

    module: str
    path: PurePosixPath
    others: tuple[PurePosixPath, ...] = ()
    expected: bool = False  # the notebook the handout asks for (named after the module, or naming it): no note

    @property
    def notebook(self) -> bool:
        return self.path.suffix.lower() == ".ipynb"


@dataclass(frozen=True)
class NotebookFacts:
    """What decides which module a notebook stands for."""

    named: tuple[str, ...]  # the modules its metadata names (a notebook written by `release --format notebook`)
    functions: int  # top-level functions its code cells define


def copy_number(stem: str, module: str) -> int | None:
    """0 for `module` itself (in any case), n for a renamed copy of it (`module (n)`, `module-n`, `module copy`: 1),
    None for any other name."""
    if stem.casefold() == module.casefold():
        return 0
    match = COPY.fullmatch(stem)
    if not match or match["base"].casefold() != module.casefold():
        return None
    return int(next((n for n in (match["paren"], match["dash"], match["space"], match["copy"]) if n), "1"))


def choose_modules(paths: Iterable[PurePosixPath], modules: Iterable[str]) -> dict[str, Choice]:
    """For each module, the .py file graded as it: the exact name, then the nearest the top, then the highest copy."""
    files = [p for p in paths if p.suffix.lower() == ".py"]
    chosen = {}
    for module in modules:
        ranked = sorted((_rank(p, module), p) for p in files if copy_number(p.stem, module) is not None)
        if ranked:
            chosen[module] = Choice(module, ranked[0][1], tuple(p for _, p in ranked[1:]))
    return chosen


def _rank(path: PurePosixPath, module: str) -> tuple:
    exact = path.name == f"{module}.py"
    return (not exact, len(path.parts), -(copy_number(path.stem, module) or 0), path.as_posix())


def choose_notebooks(notebooks: dict[PurePosixPath, NotebookFacts], modules: Iterable[str],
                     known: Iterable[str] = ()) -> dict[str, Choice]:
    """For each module, the notebook graded as it. A notebook named after another of the `known` modules, or whose
    metadata names others, is not a candidate."""
    modules = list(modules)
    names = set(modules) | set(known) | {m for facts in notebooks.values() for m in facts.named}
    chosen = {}
    for module in modules:
        ranked = sorted((rank, path) for path, facts in notebooks.items()
                        if (rank := _notebook_rank(path, facts, module, names)) is not None)
        if ranked:
            (kind, *_), path = ranked[0]
            expected = kind == 1 or kind == 0 and path.stem == module
            chosen[module] = Choice(module, path, tuple(p for _, p in ranked[1:]), expected)
    return chosen


def _notebook_rank(path: PurePosixPath, facts: NotebookFacts, module: str, names: set[str]) -> tuple | None:
    copy = copy_number(path.stem, module)
    if copy is not None:
        kind = 0
    elif any(copy_number(path.stem, other) is not None for other in names):
        return None  # another module's notebook
    elif facts.named:
        if module not in facts.named:
            return None
        kind = 1
    else:
        kind = 2
    return (kind, -facts.functions, len(path.parts), -(copy or 0), path.as_posix())


def common_folder(choices: Iterable[Choice]) -> PurePosixPath | None:
    """The folder below the top that holds every chosen file, if there is one: the submission is graded from there."""
    folders = {c.path.parent for c in choices}
    return folders.pop() if len(folders) == 1 and TOP not in folders else None


def placement_notes(choices: dict[str, Choice], prefix: str = "", base: PurePosixPath | None = None) -> list[str]:
    """A note per decision: where the files were found, which file is graded as which module, what was set aside.

    `prefix` is the folder the submission was lifted out of (`my-work/`), `base` the folder graded from, if any.
    """
    notes = []
    if base is not None:
        names = sorted({c.path.name for c in choices.values()})
        notes.append(f"{_join(names)} found in {prefix}{base.as_posix()}/")
    by_file: dict[PurePosixPath, list[Choice]] = {}
    for choice in sorted(choices.values(), key=lambda c: c.module):
        by_file.setdefault(choice.path, []).append(choice)
    for path, group in by_file.items():
        shown = path.name if base is not None or path.parent == TOP else f"{prefix}{path.as_posix()}"
        targets = [f"{c.module}.py" for c in group]
        if targets != [path.name] and not all(c.expected for c in group):
            notes.append(f"{shown} graded as {_join(targets)}")
        elif base is None and path.parent != TOP:
            notes.append(f"{path.name} found in {prefix}{path.parent.as_posix()}/")
        for other in sorted({o for c in group for o in c.others} - set(by_file)):
            notes.append(f"{prefix}{other.as_posix()} not graded: {shown} is")
    return notes


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
