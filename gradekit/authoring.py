"""Course authoring that cannot go silently wrong: what `validate --course-only` checks, and grading relies on.

Each problem names the file (and line) and the fix. The graders of an assignment must grade
only its parts, and each of its parts must have a test; each part's function must be in its module.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from gradekit.content import assignment_notes, dataset_payload, grader_files
from gradekit.course import Course, defined_functions, line_of
from gradekit.errors import KitError
from gradekit.fsio import file_version
from gradekit.parts import declared_tests, parse_grader
from gradekit.layout import KitPaths


def grader_problems(paths: KitPaths, course: Course, key: str, parts: set[str] | None = None) -> list[KitError]:
    """Tests of `key`'s graders that grade no part of it; parts (of `parts`, default all) that no test grades."""
    assignment = course.assignment(key)
    files = grader_files(paths, key, assignment)
    problems, graded = [], set()
    for path in files:
        for test in _declared_tests(path, file_version(path)):
            graded.add(test.part)
            if test.part not in assignment.parts:
                others = [k for k in course.owners(test.part) if k != key]
                where = f" (it is a part of {', '.join(others)})" if others else ""
                problems.append(KitError(
                    f"line {test.line}: {test.name} grades '{test.part}', which is not a part of assignment "
                    f"'{key}'{where}", path=path,
                    fix=f"start its docstring with one of {', '.join(assignment.parts)}, or take "
                        f"{path.name} out of the graders of '{key}' in course.yaml"))
    for part in sorted((parts if parts is not None else set(assignment.parts)) - graded):
        problems.append(KitError(f"part '{part}' of assignment '{key}' has no test in its graders "
                                 f"({', '.join(p.name for p in files) or 'none'})",
                                 path=paths.course_file,
                                 fix=f"add a test whose docstring starts with '{part}:' to one of them, or list "
                                     f"the grader file that has one under the assignment's graders"))
    return problems


@functools.lru_cache(maxsize=64)
def _declared_tests(path: Path, version: tuple[int, int]) -> tuple:
    """A grader file's tests, parsed once per version of the file (grading checks them for every submission)."""
    return tuple(declared_tests(parse_grader(path)))


def named_reference_functions(graders: list[Path]) -> frozenset[str] | None:
    """The reference's functions that `graders` name (`reference.f(...)`, `reference.call("f", ...)`); None when
    one of them asks for one by a name it computes (`getattr(reference, name)`)."""
    found: set[str] = set()
    for path in graders:
        named = _named_reference_functions(path, file_version(path))
        if named is None:
            return None
        found |= named
    return frozenset(found)


@functools.lru_cache(maxsize=64)
def _named_reference_functions(path: Path, version: tuple[int, int]) -> frozenset[str] | None:
    found: set[str] = set()
    for node in ast.walk(parse_grader(path)):
        if isinstance(node, ast.Attribute) and _is_reference(node.value):  # `call` too: no module defines it
            found.add(node.attr)
        name = _looked_up(node)
        if name is not None:
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                return None
            found.add(name.value)
    return frozenset(found)


def _looked_up(node: ast.AST) -> ast.expr | None:
    """The name argument of `reference.call(name, ...)` or `getattr(reference, name)` (None for other nodes)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "call" and _is_reference(func.value) and node.args:
        return node.args[0]
    if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) > 1 and _is_reference(node.args[0]):
        return node.args[1]
    return None


def _is_reference(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "reference"


def require_sound_graders(paths: KitPaths, course: Course, key: str) -> list[Path]:
    """The grader files of assignment `key`, or the first authoring problem with them as a KitError.

    In a released handout only the public parts' graders are there, so only those parts need a test.
    """
    assignment = course.assignment(key)
    parts = {k for k, p in assignment.parts.items() if p.public} if paths.release_marker.exists() else None
    problems = grader_problems(paths, course, key, parts)
    if problems:
        raise problems[0]
    return grader_files(paths, key, assignment)


def function_problems(paths: KitPaths, course: Course) -> list[KitError]:
    """Parts and provided functions that are not defined in the reference modules they are said to be in."""
    problems = []
    for key, assignment in course.assignments.items():
        for part in assignment.parts:
            module = assignment.parts[part].module
            if module is None:
                problems.append(KitError(f"no reference file of assignment '{key}' defines part '{part}'",
                                         path=paths.course_file,
                                         fix=f"define {part}() in one of {', '.join(assignment.files)} in reference/, "
                                             "or give the part a `module:`"))
            elif part not in defined_functions(paths.reference / f"{module}.py"):
                problems.append(KitError(f"part '{part}' of assignment '{key}' is graded in {module}.py, which "
                                         f"defines no function {part}()", path=paths.reference / f"{module}.py",
                                         fix=f"define {part}() there, or correct the part's `module:` in course.yaml"))
    return problems


def course_problems(paths: KitPaths, course: Course) -> list[KitError]:
    """Everything `validate --course-only` checks beyond course.yaml's own shape, in a course with its content."""
    problems = function_problems(paths, course) + option_problems(paths, course)
    try:
        dataset_payload(paths, course)  # every dataset's file is there and holds its arrays
    except KitError as exc:
        problems.append(exc)
    for key in course.assignments:
        try:
            assignment_notes(paths, course, key)
            problems += grader_problems(paths, course, key)
        except KitError as exc:
            problems.append(exc)
    return problems


def declared_options(paths: KitPaths) -> dict[str, list]:
    """The values each option may take, from the `OPTIONS = {...}` literal of graders/conftest.py or a grader."""
    declared: dict[str, list] = {}
    for path in sorted(paths.graders.glob("*.py")):
        for node in parse_grader(path).body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "OPTIONS" for t in node.targets):
                try:
                    declared.update({str(k): list(v) for k, v in ast.literal_eval(node.value).items()})
                except (ValueError, TypeError, AttributeError):
                    raise KitError(f"line {node.lineno}: OPTIONS must be a literal dict of lists", path=path,
                                   fix='write e.g. OPTIONS = {"convention": ["convolution", "either"]}') from None
    return declared


def option_problems(paths: KitPaths, course: Course) -> list[KitError]:
    """Options course.yaml sets to a value their graders do not accept."""
    declared = declared_options(paths)
    settings = [(["options", name], value) for name, value in course.options.items()]
    for key, assignment in course.assignments.items():
        settings += [(["assignments", key, "options", name], value) for name, value in assignment.options.items()]
        settings += [(["assignments", key, "parts", part, "options", name], value)
                     for part, spec in assignment.parts.items() for name, value in spec.options.items()]
    problems = []
    for loc, value in settings:
        choices = declared.get(loc[-1])
        if choices is not None and value not in choices:
            line = line_of(paths.course_file, loc)
            quoted = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}" if len(choices) > 1 else repr(choices[0])
            problems.append(KitError(f"{f'line {line}: ' if line else ''}bad value for '{'.'.join(loc)}': "
                                     f"{value!r} is not one its graders accept", path=paths.course_file,
                                     fix=f"use {quoted}"))
    return problems
