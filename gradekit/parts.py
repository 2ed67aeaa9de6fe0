"""Which part a grader test grades, and its title: the one reader of a test's docstring.

A test's docstring starts with `<part>: <what it checks>`; `{name}` placeholders are filled
with the test's parameters. The same function reads it from a collected test and from a
grader file's syntax tree (for the handout's public tests and `validate --course-only`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from gradekit.errors import KitError


def part_of(title: str) -> str:
    """The part a test's title names: its text up to the first ':'."""
    return title.split(":", 1)[0].strip()


def title_of(doc: str | None, fallback: str, params: dict | None = None) -> str:
    """`part: what it checks`, the first line of the docstring (the test's name without one)."""
    lines = (doc or "").strip().splitlines()
    title = lines[0].strip() if lines else fallback
    try:
        return title.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return title


def item_title(item: pytest.Item) -> str:
    """The title of a collected test, formatted with its parameters."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return title_of(getattr(getattr(item, "obj", None), "__doc__", None), item.name, params)


@dataclass(frozen=True)
class DeclaredTest:
    """A test function of a grader file, as written: its name, line and part."""

    name: str
    line: int
    part: str
    node: ast.FunctionDef | ast.AsyncFunctionDef


def declared_tests(tree: ast.Module) -> list[DeclaredTest]:
    """The top-level test functions of a grader module, with the part each grades."""
    return [DeclaredTest(n.name, n.lineno, part_of(title_of(ast.get_docstring(n), n.name)), n) for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test")]


def parse_grader(path: Path, source: str | None = None) -> ast.Module:
    """A grader file's syntax tree, or a KitError naming the line."""
    try:
        return ast.parse(source if source is not None else Path(path).read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path=path, fix="make the grader valid Python") from None
