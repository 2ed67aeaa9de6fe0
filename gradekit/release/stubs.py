"""Stubs: the reference's solution blocks replaced by `raise NotImplementedError(...)`, and the source
editing the other release steps share (function spans, the end of a block, statements removed).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Container

from gradekit.course import Assignment, Course
from gradekit.errors import KitError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


class _Everything:
    def __contains__(self, name: object) -> bool:
        return True


EVERYTHING: Container[str] = _Everything()  # keep= for the whole solution, markers removed


def stub_source(source: str, *, module: str, course: Course | None = None, assignment: Assignment | None = None,
                keep: Container[str] = frozenset()) -> str:
    """Replace each ### BEGIN/END SOLUTION block by `raise NotImplementedError(...)` at the block's indentation.

    Blocks inside the functions named in `keep` (an assignment's `provided` functions) keep their
    solution, without the marker lines. A stub names the `assignment` being released, else the
    first of the `course`'s assignments that grades its function. `module` names the source in
    errors. A block that is not closed, a nested BEGIN or an END without BEGIN raises KitError
    naming the line.
    """
    functions = function_spans(source, module)
    out: list[str] = []
    begin: int | None = None
    kept = False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise _marker_error(module, number, f"'{BEGIN}' inside the block opened on line {begin}",
                                    f"add '{END}' before line {number}")
            begin, function = number, _enclosing(functions, number)
            kept = function in keep
            if not kept:
                out.append(_raise_line(line, function, _title(function, course, assignment)))
        elif marker == END:
            if begin is None:
                raise _marker_error(module, number, f"'{END}' without a '{BEGIN}' above it",
                                    f"add '{BEGIN}' where the solution starts, or delete line {number}")
            begin = None
        elif begin is None or kept:
            out.append(line)
    if begin is not None:
        raise _marker_error(module, begin, f"'{BEGIN}' is never closed", f"add '{END}' after the solution")
    return "".join(out)


def _title(function: str | None, course: Course | None, assignment: Assignment | None) -> str | None:
    """The title a stub names: the assignment released, else the first that grades `function`."""
    if assignment is not None:
        return assignment.title
    owners = course.owners(function) if course is not None and function else []
    return course.assignments[owners[0]].title if owners else None


def _raise_line(marker_line: str, function: str | None, title: str | None) -> str:
    """`raise NotImplementedError("<function>: your code here (<title>)")` at the marker's indentation."""
    indent = marker_line[: len(marker_line) - len(marker_line.lstrip())]
    message = f"{function}: your code here" if function else "your code here"
    if title:
        message = f"{message} ({title})"
    ending = "\r\n" if marker_line.endswith("\r\n") else "\n"
    return f"{indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)}){ending}"


def _marker_error(module: str, line: int, problem: str, fix: str) -> KitError:
    return KitError(f"line {line}: {problem}", path=module, fix=fix)


def parse(source: str, name: str) -> ast.Module:
    """The source's syntax tree, or a KitError naming the file and line."""
    try:
        return ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path=name, fix="make the file valid Python") from None


def function_spans(source: str, module: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function in the source, innermost last."""
    return sorted((n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(parse(source, module))
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _enclosing(functions: list[tuple[int, int, str]], line: int) -> str | None:
    """The innermost function whose lines include `line`."""
    names = [name for first, last, name in functions if first <= line <= last]
    return names[-1] if names else None


def block_end(node: ast.stmt, lines: list[str]) -> int:
    """The line number ending `node`, counting the indented comments after its last statement.

    ast's end_lineno stops at the last statement: a function's closing `### END SOLUTION` is one line later.
    """
    end = node.end_lineno or node.lineno
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t" and lines[end].lstrip()[:1] == "#"):
        end += 1
    while end > node.lineno and not lines[end - 1].strip():
        end -= 1
    return end


def without(source: str, nodes: list[ast.stmt]) -> str:
    """`source` with the lines of top-level `nodes` (decorators and comments just above included) removed."""
    lines = source.splitlines(keepends=True)
    gone: set[int] = set()
    for node in nodes:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while first > 0 and (not lines[first - 1].strip() or lines[first - 1].startswith("#")):
            first -= 1  # the comments above it, such as a section's title (not those closing the block before)
        gone.update(range(first, block_end(node, lines)))
    text = "".join(line for i, line in enumerate(lines) if i not in gone)
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n") + "\n"


def others_work(source: str, module: str, ours: Container[str]) -> list[ast.stmt]:
    """The top-level functions of `source` with a solution block that are not in `ours`: another assignment's work."""
    lines = source.splitlines(keepends=True)
    return [node for node in parse(source, module).body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name not in ours and any(line.strip() == BEGIN for line in lines[node.lineno:node.end_lineno])]
