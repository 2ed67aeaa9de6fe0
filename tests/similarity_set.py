"""A labelled class for the similarity check: three independent solutions of Part 4.2, copies of them
disguised (names, function order, comments), two untouched handouts and an empty submission.

The copies are made here from their originals, so the set holds no copied source of its own:

    blog          samples/blog_solution (the reference's code)    family blog
    typical       samples/typical_student                         family typical
    third         the handout filled with data/similarity/third/  family third
    renamed       typical, every local variable renamed           family typical
    disguised     typical renamed, reordered and recommented      family typical
    reordered     third, its functions in reverse order           family third
    recommented   blog, every comment and docstring rewritten     family blog
    untouched-1, untouched-2   the handout as released            (none)
    stubs         the course's exercises/ as released             (none)
    empty         the handout's two files, empty                  (none)

A pair is a copy when both students are of one family.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

from gradekit.course import open_course
from gradekit.release.handout import exercises_files, handout_work

ROOT = Path(__file__).resolve().parents[1]
THIRD = Path(__file__).parent / "data" / "similarity" / "third"
ASSIGNMENT = "part-4.2"
FAMILIES = {"blog": "blog", "typical": "typical", "third": "third", "renamed": "typical", "disguised": "typical",
            "reordered": "third", "recommented": "blog", "untouched-1": None, "untouched-2": None, "stubs": None,
            "empty": None}
Edit = Callable[[str], str]


def build(folder: Path) -> dict[tuple[str, str], bool]:
    """Write the class into `folder` (one folder per student); every pair of students -> is it a copy."""
    paths, course = open_course(ROOT / "course.yaml")
    handout = {p.name: data.decode("utf-8") for p, data in handout_work(paths, course, ASSIGNMENT).items()
               if p.suffix == ".py"}
    modules = course.assignment(ASSIGNMENT).files
    stubs = {p.name: data.decode("utf-8") for p, data in exercises_files(paths, course).items() if p.suffix == ".py"}
    blog, typical = (_read(ROOT / "samples" / name, modules) for name in ("blog_solution", "typical_student"))
    third = {name: filled(handout[name], (THIRD / name).read_text(encoding="utf-8")) for name in modules}
    students = {"blog": blog, "typical": typical, "third": third, "renamed": _each(typical, renamed),
                "disguised": _each(typical, lambda s: recommented(reordered(renamed(s)))),
                "reordered": _each(third, reordered), "recommented": _each(blog, recommented),
                "untouched-1": handout, "untouched-2": handout, "stubs": stubs, "empty": {name: "" for name in modules}}
    for student, files in students.items():
        (folder / student).mkdir(parents=True)
        for name, text in files.items():
            (folder / student / name).write_text(text, encoding="utf-8")
    return {(a, b): FAMILIES[a] is not None and FAMILIES[a] == FAMILIES[b]
            for a, b in combinations(sorted(students), 2)}


def _read(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


def _each(files: dict[str, str], edit: Edit) -> dict[str, str]:
    return {name: edit(text) for name, text in files.items()}


def filled(handout: str, own: str) -> str:
    """The handout with each function `own` defines put in place of the handout's of that name; `own`'s other
    functions (helpers) go just before the first one replaced."""
    lines = handout.splitlines(keepends=True)
    mine = {name: "".join(own.splitlines(keepends=True)[first - 1:last]) for first, last, name in _functions(own)}
    spans = {name: (first, last) for first, last, name in _functions(handout) if name in mine}
    helpers = "".join(f"{source}\n\n" for name, source in mine.items() if name not in spans)
    first_replaced = min(first for first, _ in spans.values())
    for name, (first, last) in sorted(spans.items(), key=lambda item: -item[1][0]):
        lines[first - 1:last] = [mine[name]]
    lines.insert(first_replaced - 1, helpers)
    return "".join(lines)


def _functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each top-level function, decorators included."""
    return [(min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno, n.name)
            for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


def renamed(source: str) -> str:
    """Every variable a function assigns (not its parameters) renamed, everywhere in the module."""
    functions = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)]
    params = {a.arg for f in functions for a in ast.walk(f.args) if isinstance(a, ast.arg)}
    names = {n.id for f in functions for n in ast.walk(f) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    new = {name: f"my_{name[::-1]}" for name in names - params}
    return _retoken(source, lambda tok, before: new.get(tok.string) if tok.type == tokenize.NAME and before != "."
                    else None)


def recommented(source: str) -> str:
    """Every comment and docstring rewritten (none dropped, none added)."""
    def rewrite(tok: tokenize.TokenInfo, before: str) -> str | None:
        if tok.type == tokenize.COMMENT:
            return "# see above"
        if tok.type == tokenize.STRING and tok.string.startswith('"""') and before in ("", ":", "NEWLINE"):
            return '"""Written by me, with help from the lecture notes."""'
        return None

    return _retoken(source, rewrite)


def _retoken(source: str, pick: Callable[[tokenize.TokenInfo, str], str | None]) -> str:
    """`source` with each token that `pick(token, previous token's text)` maps to new text replaced by it."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits, before = [], ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        new = pick(tok, before)
        if new is not None:
            edits.append((starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1], new))
        before = "NEWLINE" if tok.type == tokenize.NEWLINE else tok.string
    for start, end, new in reversed(edits):
        source = source[:start] + new + source[end:]
    return source


def reordered(source: str) -> str:
    """Each run of consecutive top-level functions in reverse order."""
    lines = source.splitlines(keepends=True)
    body = ast.parse(source).body
    bounds = [min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))]) - 1 for n in body]
    blocks = ["".join(lines[a:b]) for a, b in zip(bounds, bounds[1:] + [len(lines)])]
    head, out, run = "".join(lines[:bounds[0]]) if bounds else source, [], []
    for node, block in zip(body, blocks):
        if isinstance(node, ast.FunctionDef):
            run.append(block if block.endswith("\n\n\n") else block.rstrip("\n") + "\n\n\n")
            continue
        out += reversed(run)
        out.append(block)
        run = []
    return head + "".join(out + run[::-1])
