"""The public tests a handout ships: sliced out of the course's graders, on inputs fixed by a seed.

A grader file whose tests all grade public parts ships as it is; one mixing public and hidden
parts ships without the hidden parts' tests and the definitions only they use; one without
public tests stays behind. A test's part is the first word of its docstring, as in the grading run.
Beside them go the course's own conftest.py with a seeded `rng` fixture, and the course's helpers
when a public test uses them (they may be the very solutions of some parts: shipped only if needed).
"""

from __future__ import annotations

import ast
from pathlib import Path

from gradekit.content import helpers_source
from gradekit.course import Assignment
from gradekit.errors import not_utf8
from gradekit.layout import KitPaths, grader_modules
from gradekit.parts import declared_tests
from gradekit.release.stubs import parse, without
from gradekit.sandbox.runner.wire import HELPERS_MODULE, Fn

CHECK_SEED = 20261214  # the handout's public tests draw their inputs from this seed, every time

SEEDED_RNG = '''\
# -- the handout's inputs ---------------------------------------------------------------------------
# Its public tests draw the same inputs at every check: the reference solution's answers to them are
# recorded in ../reference/. The course's grade runs these tests, and hidden ones, on new inputs.

import zlib

import numpy as np
import pytest

SEED = {seed}


@pytest.fixture
def rng(request):
    """A generator seeded from SEED and the test: the inputs the answers in reference/ were recorded for."""
    return np.random.default_rng([SEED, zlib.crc32(request.node.nodeid.encode())])
'''
NO_CONFTEST = '"""The fixtures of this handout\'s public tests."""\n'


def public_tests(paths: KitPaths, assignment: Assignment) -> dict[str, str]:
    """The assignment's grader files with public tests (name -> source), those tests only."""
    public = {name for name, part in assignment.parts.items() if part.public}
    shipped = {}
    for path in grader_modules(paths.graders, assignment.graders):
        source = public_tests_source(_grader_text(path), public, path.relative_to(paths.root))
        if source is not None:
            shipped[path.name] = source
    return shipped


def graders_folder(paths: KitPaths, tests: dict[str, str]) -> dict[str, str]:
    """A handout's graders/: the `tests`, the conftest.py that fixes their inputs, the helpers they use."""
    if not tests:
        return {}
    own = _grader_text(paths.conftest) if paths.conftest.is_file() else NO_CONFTEST
    folder = {**tests, paths.conftest.name: own.rstrip("\n") + "\n\n\n" + SEEDED_RNG.format(seed=CHECK_SEED)}
    helpers = helpers_source(paths)
    if helpers and any(uses_helpers(source) for source in tests.values()):
        folder[paths.helpers.name] = helpers
    return folder


def uses_helpers(source: str) -> bool:
    """Whether a grader passes the course's helpers by name (`Fn(...)`) or imports them."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == Fn.__name__ \
                or isinstance(node, ast.Attribute) and node.attr == Fn.__name__ \
                or isinstance(node, ast.ImportFrom) and node.module == HELPERS_MODULE \
                or isinstance(node, ast.Import) and any(a.name == HELPERS_MODULE for a in node.names):
            return True
    return False


def _grader_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def public_tests_source(source: str, public: set[str], name: Path | str) -> str | None:
    """`source` without the tests of non-public parts and the definitions only they need; None if no test is public."""
    tree = parse(source, str(name))
    declared = declared_tests(tree)
    tests = {test.name: test.node for test in declared}
    hidden = {test.name for test in declared if test.part not in public}
    if len(hidden) == len(tests):
        return None
    if not hidden:
        return source
    kept_tests = [n for name, n in tests.items() if name not in hidden]
    needed = _names_used(kept_tests)
    definitions = [n for n in tree.body if _defined_names(n)]
    keep = {id(n) for n in kept_tests}
    changed = True
    while changed:  # what the kept tests use, what that uses, and so on
        changed = False
        for node in definitions:
            if id(node) not in keep and (_defined_names(node) & needed or _autouse(node)) \
                    and not (_defined_names(node) & hidden):
                keep.add(id(node))
                needed |= _names_used([node])
                changed = True
    return without(source, [n for n in definitions if id(n) not in keep])


def _defined_names(node: ast.stmt) -> set[str]:
    """The names a top-level function, class or assignment defines (a fixture also by its `name=`)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        aliases = {k.value.value for d in getattr(node, "decorator_list", []) if isinstance(d, ast.Call)
                   for k in d.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)}
        return {node.name} | aliases
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _names_used(nodes: list[ast.AST]) -> set[str]:
    """Every name the nodes read, and the parameters of their functions (pytest fixtures are requested so)."""
    names = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.arg):
                names.add(sub.arg)
    return names


def _autouse(node: ast.stmt) -> bool:
    return any(isinstance(d, ast.Call) and any(k.arg == "autouse" for k in d.keywords)
               for d in getattr(node, "decorator_list", []))
