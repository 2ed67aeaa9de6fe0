"""The engine's shape, kept true: no import cycles, one public API for graders, a runner that needs
little, no course content in the machinery, small modules and functions, no twin names."""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "gradekit"
RUNNER = ENGINE / "sandbox" / "runner"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module `path` imports, at the top or inside a function, with its line; `from a import b` as a.b
    when a.b is a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names
                      if f"{node.module}.{alias.name}" in MODULES]
    return found


def engine_graph() -> dict[str, set[str]]:
    return {name: {target for target, _ in imports(path) if target in MODULES and target != name}
            for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_in_the_engine():
    assert find_cycle(engine_graph()) is None, " -> ".join(find_cycle(engine_graph()) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_graders_import_only_the_public_api():
    for path in sorted((ROOT / "graders").rglob("*.py")):
        for target, line in imports(path):
            if target.split(".")[0] == "gradekit":
                assert target == "gradekit.checks", f"{path.relative_to(ROOT)}:{line} imports {target}"


def test_the_runner_imports_only_the_standard_library_numpy_and_its_own_modules():
    """Matplotlib too: the worker renders the figures a student's function returns."""
    own = {p.stem for p in RUNNER.glob("*.py")}
    for path in sorted(RUNNER.glob("*.py")):
        for target, line in imports(path):
            top = target.split(".")[0]
            assert top in STDLIB | own | {"numpy", "matplotlib", "scipy"}, f"{path.name}:{line} imports {target}"
            assert top != "gradekit", f"{path.name}:{line} imports {target}: the runner runs outside the kit"


def course_words() -> set[str]:
    """The names of this course's content: its parts, its modules, its data."""
    course = yaml.safe_load((ROOT / "course.yaml").read_text(encoding="utf-8"))
    words = {"mnist", "conv2d", "neural_network"}
    for assignment in course["assignments"].values():
        words |= set(assignment["parts"]) | {Path(f).stem for f in assignment["files"]}
        words |= set(assignment.get("provided", []))
    return words


def test_no_engine_module_names_the_course_content():
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, course_words()), key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}" for path in MODULES.values()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for m in [pattern.search(line)] if m]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_are_small(name):
    source = MODULES[name].read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if line.strip()]
    assert len(lines) <= 400, f"{name}: {len(lines)} non-blank lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 50, f"{name}.{node.name}: {length} lines"


def test_no_two_engine_functions_or_classes_share_a_name():
    """The verbs' entry points are all `main` by design; anything else of one name has one meaning, in one place."""
    where = defaultdict(list)
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name != "main":
                where[node.name].append(name)
    twins = {fn: mods for fn, mods in where.items() if len(mods) > 1}
    assert not twins, twins
