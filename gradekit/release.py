"""Release: the student handouts, generated from the instructor's reference/.

`release_handout` writes the course's exercises/: collect the reference files, stub every
solution block of the Python ones, copy the rest verbatim, add a README generated from
course.yaml, write it all atomically. The output depends only on its inputs (no timestamps), so
the committed handout can be checked for drift by releasing again and comparing bytes.

`release_assignment` writes one assignment's handout to a folder of its own, with its public
tests and the kit's command line to run them (see the section below); `release` is the CLI's
entry point to both and to the notebook and nbgrader formats.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Container, Iterator

import numpy as np
import pytest
import yaml

import gradekit
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.grading.plugin import GradingPlugin, ReferenceProxy, load_reference, run_graders, test_name
from gradekit.layout import KitPaths
from gradekit.fsio import write_atomic
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.kitfns import FUNCTIONS
from gradekit.sandbox.worker import CallResult, Worker
from gradekit.submission import prepare

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
IGNORED_SUFFIXES = (".pyc", ".png")  # bytecode, and plots saved by running the exercises


class _Everything:
    def __contains__(self, name: object) -> bool:
        return True


EVERYTHING: Container[str] = _Everything()  # keep= for the whole solution, markers removed


def stub_source(source: str, *, module: str, course: Course, keep: Container[str] = frozenset()) -> str:
    """Replace each ### BEGIN/END SOLUTION block by `raise NotImplementedError(...)` at the block's indentation.

    Blocks inside the functions named in `keep` (an assignment's `provided` functions) keep their
    solution, without the marker lines. `module` names the source in errors (e.g.
    "reference/neural_network.py"). A block that is not closed, a nested BEGIN or an END without
    BEGIN raises KitError naming the line.
    """
    lines = source.splitlines(keepends=True)
    functions = _function_spans(source, module)
    out: list[str] = []
    begin: int | None = None
    kept = False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise _marker_error(module, number, f"'{BEGIN}' inside the block opened on line {begin}",
                                    f"add '{END}' before line {number}")
            begin, function = number, _enclosing(functions, number)
            kept = function in keep
            if not kept:
                out.append(_raise_line(line, function, course))
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


def release_handout(root: Path, course: Course, dest: Path | None = None) -> list[Path]:
    """Write the student handout (default dest: root / "exercises") and return the files written."""
    paths = KitPaths(Path(root))
    dest = Path(dest) if dest is not None else paths.exercises
    contents = {path.relative_to(paths.reference): _handout_bytes(path, paths.root, course)
                for path in _reference_files(paths.reference, course)}
    contents[Path("README.md")] = handout_readme(course, contents).encode("utf-8")
    written = []
    for relative, data in sorted(contents.items()):
        write_atomic(dest / relative, data)
        written.append(dest / relative)
    return written


def _reference_files(reference: Path, course: Course) -> list[Path]:
    """Every file of reference/ but caches and plots; each assignment's files must be there."""
    for key, assignment in course.assignments.items():
        for name in assignment.files:
            if not (reference / name).is_file():
                raise KitError(f"assignment '{key}' lists '{name}', which is not in {reference}",
                               path="course.yaml", fix=f"add reference/{name} or remove it from 'files'")
    return sorted(p for p in reference.rglob("*") if p.is_file() and not _ignored(p.relative_to(reference)))


def _ignored(relative: Path) -> bool:
    """Hidden files, caches and plots are not part of the handout."""
    hidden = any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
    return hidden or relative.suffix in IGNORED_SUFFIXES


def _handout_bytes(path: Path, root: Path, course: Course) -> bytes:
    """A Python file with its solutions stubbed out; any other file as it is."""
    if path.suffix != ".py":
        return path.read_bytes()
    module = path.relative_to(root).as_posix()
    stubbed = stub_source(path.read_text(encoding="utf-8"), module=module, course=course)
    _function_spans(stubbed, f"{module} (after stubbing)")  # the handout must still be valid Python
    return stubbed.encode("utf-8")


def _function_spans(source: str, module: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function in the source, innermost last."""
    try:
        tree = ast.parse(source, filename=module)
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path=module, fix="make the file valid Python") from None
    spans = [(n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return sorted(spans)


def _enclosing(functions: list[tuple[int, int, str]], line: int) -> str | None:
    """The innermost function whose lines include `line`."""
    names = [name for first, last, name in functions if first <= line <= last]
    return names[-1] if names else None


def _raise_line(marker_line: str, function: str | None, course: Course) -> str:
    """`raise NotImplementedError("<function>: your code here (<assignment title>)")` at the marker's indentation."""
    indent = marker_line[: len(marker_line) - len(marker_line.lstrip())]
    owner = course.part_owner(function) if function else None
    message = "your code here"
    if function:
        message = f"{function}: {message}"
    if owner:
        message = f"{message} ({course.assignments[owner].title})"
    ending = "\r\n" if marker_line.endswith("\r\n") else "\n"
    return f"{indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)}){ending}"


def _marker_error(module: str, line: int, problem: str, fix: str) -> KitError:
    return KitError(f"line {line}: {problem}", path=module, fix=fix)


def handout_readme(course: Course, files: dict[Path, bytes]) -> str:
    """The student README, generated from course.yaml and the handout's files (path -> content)."""
    sections = [_readme_intro(course), _readme_files(files)]
    sections += [_readme_assignment(key, a, course) for key, a in course.assignments.items()]
    sections += [convention_markdown(course), _readme_workflow(course, files)]
    return "\n\n".join(sections) + "\n"


def _readme_intro(course: Course) -> str:
    return (
        f"# {course.course}: exercises\n\n"
        f"Course version {course.version}. This folder is your handout, generated from the course by\n"
        "`python cli.py release`. Every function that raises `NotImplementedError` is yours to\n"
        "write: keep its name, signature and docstring, and replace the `raise` line by your code."
    )


def _readme_files(files: dict[Path, bytes]) -> str:
    """One line per file, with the first paragraph of a module's docstring."""
    lines = []
    for path, data in sorted(files.items()):
        summary = _module_summary(data) if path.suffix == ".py" else ""
        lines.append(f"- `{path.as_posix()}`" + (f": {summary}" if summary else ""))
    return "## Files\n\n" + "\n".join(lines)


def _module_summary(source: bytes) -> str:
    doc = ast.get_docstring(ast.parse(source)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _readme_assignment(key: str, assignment: Assignment, course: Course) -> str:
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
    return text


def convention_markdown(course: Course) -> str:
    """Which convention conv2d must follow, and why the blog's formula and code differ."""
    graded = [(a.title, course.convention_for(a)) for a in course.assignments.values() if "conv2d" in a.parts]
    accepted = {
        "convolution": "a true convolution (kernel flipped), as `scipy.signal.convolve2d` computes it",
        "cross-correlation": "a cross-correlation (kernel not flipped), as the blog's formula writes it",
        "either": "either convention: a true convolution or a cross-correlation",
    }
    lines = "\n".join(f"- {title}: `conv2d` must compute {accepted[convention]}." for title, convention in graded)
    return (
        "## Convolution or cross-correlation?\n\n"
        "The blog's formula, out[i, j] = sum over m, n of I[i+m, j+n] * F[m, n], slides the kernel\n"
        "as it is: that is a cross-correlation. The blog's code calls\n"
        "`scipy.signal.convolve2d(image, filter_kernel, mode='valid')`, which flips the kernel in\n"
        "both directions first: a true convolution. The two agree for symmetric kernels (the\n"
        "averaging filter of exercises 1 and 2) and differ for asymmetric ones (the edge filters\n"
        "of exercises 3 and 4, whose maps change sign). Either way the output has\n"
        "floor((H - fh) / stride) + 1 rows and floor((W - fw) / stride) + 1 columns.\n\n"
        "What this course grades:\n\n" + (lines or "- no assignment grades `conv2d`.")
    )


def _readme_workflow(course: Course, files: dict[Path, bytes]) -> str:
    scripts = [path.as_posix() for path, data in sorted(files.items())
               if path.suffix == ".py" and b'if __name__ == "__main__":' in data]
    run = "".join(f"python {script}\n" for script in scripts)
    others = [key for key in course.assignments if key != course.default_assignment]
    choose = f"; pick another with `-a`, e.g. `-a {others[0]}`" if others else ""
    return (
        "## Your workflow\n\n"
        + (f"From this folder, try your code as you go:\n\n```\n{run}```\n\n" if scripts else "")
        + "From the kit's folder (the one holding `cli.py`), check your work against the public\n"
        "tests, then package it for hand-in as `submission.zip`:\n\n"
        "```\npython cli.py check\npython cli.py package\n```\n\n"
        f"Both work on `exercises/` and the assignment `{course.default_assignment}`{choose}."
    )


# -- one assignment's handout ---------------------------------------------------------------------
#
# `release ASSIGNMENT --to DIR` writes a folder a student can work in on their own:
#
#   README.md           the assignment: parts, points, due date, how to check and hand in
#   exercises/          their work: stubs (or one notebook), the earlier parts' functions it
#                       builds on (whole), and the data
#   graders/            the public tests only, on fixed inputs (graders/conftest.py)
#   reference/          the reference's answers to those inputs, recorded here: no solutions
#   cli.py, gradekit/, course.yaml, requirements.txt
#                       the kit's command line and engine, so `python cli.py check` and
#                       `python cli.py package` run in DIR
#
# A release records what it wrote in DIR/.gradekit-release.json. Releasing again into the same
# folder updates it, but keeps every file the student changed since; any other non-empty folder
# is refused.

FORMATS = ("py", "notebook", "nbgrader")
MARKER = ".gradekit-release.json"
CHECK_SEED = 20261214  # the handout's public tests draw their inputs from this seed, every time


@dataclass
class Released:
    """What a release wrote where, and the files it left alone because the student changed them."""

    dest: Path
    what: str
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def release(paths: KitPaths, course: Course, *, assignment: str | None = None, dest: Path | None = None,
            fmt: str = "py") -> Released:
    """`python cli.py release`: the course's exercises/, or one assignment's handout or nbgrader course in `dest`."""
    if fmt not in FORMATS:
        raise KitError(f"unknown format '{fmt}'", fix=f"use one of: {', '.join(FORMATS)}")
    if dest is None:
        if assignment is not None or fmt != "py":
            raise KitError("a handout for one assignment needs a folder to go to",
                           fix=f"add --to DIR, e.g. `python cli.py release {assignment or course.default_assignment} "
                               f"--to my-work{'' if fmt == 'py' else f' --format {fmt}'}`")
        return Released(paths.exercises, "the course's exercises", release_handout(paths.root, course))
    key = assignment or course.default_assignment
    course.assignment(key)  # a KitError naming the assignments if there is no such one
    if fmt == "nbgrader":
        from gradekit.nbgrader_course import release_nbgrader

        return release_nbgrader(paths, course, key, Path(dest))
    return release_assignment(paths, course, key, Path(dest), notebook=fmt == "notebook")


def release_assignment(paths: KitPaths, course: Course, key: str, dest: Path, *, notebook: bool = False) -> Released:
    """Write the handout of assignment `key` (see above) to `dest`; `notebook` puts the code in one notebook."""
    fmt = "notebook" if notebook else "py"
    previous = claim_folder(dest, fmt, key).get("files", {})
    one = single_assignment(course, key)
    assignment = one.assignments[key]
    support = support_from_reference(paths, course)  # the whole course: no assignment's files are support
    files = {Path("exercises") / name: data for name, data in support.items()}
    files.update({Path("exercises") / name: data for name, data in _student_files(paths, one, key, notebook).items()})
    data = {name: data for name, data in support.items() if not name.endswith(".py")}
    files.update({Path("reference") / name: data for name, data in data.items()})
    files.update(_engine_files(paths))
    files[Path("course.yaml")] = course_yaml(one).encode("utf-8")
    graders = public_graders(paths.graders, assignment)
    files.update({Path("graders") / name: source.encode("utf-8") for name, source in graders.items()})
    files.update(_recorded_answers(paths, one, key, graders, data))
    files[Path("README.md")] = assignment_readme(one, key, files, notebook).encode("utf-8")
    written, kept = write_release(dest, files, previous, {"format": fmt, "assignment": key,
                                                          "course_version": course.version})
    return Released(dest, f"the {'notebook ' if notebook else ''}handout of {key}", written, kept)


def claim_folder(dest: Path, fmt: str, assignment: str | None) -> dict:
    """The record of the previous release of this kind in `dest` ({} for a new or empty folder).

    A non-empty folder that is not such a release is refused, so nothing of the student's is
    overwritten. `assignment` None accepts a release of any assignment (an nbgrader course holds several).
    """
    if not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        return {}
    marker = dest / MARKER
    if not marker.is_file():
        what = "a folder" if dest.is_dir() else "a file"
        raise KitError(f"{what} that is not empty and is not a handout released by this kit", path=dest,
                       fix="pass --to a new or empty folder, or a previous handout of the same assignment; "
                           "nothing in this one was changed")
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        recorded["files"] = dict(recorded["files"])
    except (ValueError, KeyError, TypeError):
        raise KitError(f"{MARKER} is not readable", path=dest, fix="release into a new folder") from None
    if recorded.get("format") != fmt or (assignment is not None and recorded.get("assignment") != assignment):
        was = f"the {recorded.get('format')} release of {recorded.get('assignment') or 'an nbgrader course'}"
        raise KitError(f"this folder holds {was}", path=dest,
                       fix="release into a new folder, or into the one holding this assignment in this format")
    return recorded


def write_release(dest: Path, files: dict[Path, bytes], previous: dict[str, str], meta: dict) -> tuple[list, list]:
    """Write `files` under `dest`, except those the student changed since the previous release; then the marker."""
    record, written, kept = dict(previous), [], []
    for relative, data in sorted(files.items()):
        target, name = dest / relative, relative.as_posix()
        if target.exists() and _changed_by_student(target, data, previous.get(name)):
            kept.append(target)
            continue
        write_atomic(target, data)
        record[name] = hashlib.sha256(data).hexdigest()
        written.append(target)
    meta = {**meta, "kit_version": gradekit.__version__, "files": dict(sorted(record.items()))}
    write_atomic(dest / MARKER, json.dumps(meta, indent=2) + "\n")
    return written, kept


def _changed_by_student(target: Path, data: bytes, released: str | None) -> bool:
    """The file differs from both what was released there before and what would be released now."""
    current = hashlib.sha256(target.read_bytes()).hexdigest() if target.is_file() else "(a folder)"
    return current != hashlib.sha256(data).hexdigest() and current != released


def single_assignment(course: Course, key: str) -> Course:
    """The course reduced to one assignment, its default."""
    return course.model_copy(update={"assignments": {key: course.assignment(key)}, "default_assignment": key})


def course_yaml(course: Course) -> str:
    """course.yaml for a handout: the course's settings and its one assignment."""
    data = course.model_dump(mode="json", exclude_none=True)
    header = (f"# {course.course}: the course file of this handout (released from the course's own).\n"
              "# `python cli.py check` and `python cli.py package` read it.\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _student_files(paths: KitPaths, course: Course, key: str, notebook: bool) -> dict[str, bytes]:
    """The assignment's files with stubs for its parts and the provided functions whole (or its notebook)."""
    assignment = course.assignments[key]
    files: dict[str, bytes] = {}
    if notebook:
        from gradekit.notebooks import handout_notebook, notebook_bytes

        files[f"{key}.ipynb"] = notebook_bytes(handout_notebook(paths, course, key))
        return files
    for name in assignment.files:
        path = paths.reference / name
        module = path.relative_to(paths.root).as_posix()
        source = stub_source(path.read_text(encoding="utf-8"), module=module, course=course,
                             keep=set(assignment.provided))
        _function_spans(source, f"{module} (after stubbing)")
        files[name] = source.encode("utf-8")
    return files


def support_from_reference(paths: KitPaths, course: Course) -> dict[str, bytes]:
    """Reference files no assignment asks students to write: data and loaders, handed out as they are."""
    submitted = {name for a in course.assignments.values() for name in a.files}
    return {p.relative_to(paths.reference).as_posix(): p.read_bytes()
            for p in _reference_files(paths.reference, course)
            if p.relative_to(paths.reference).as_posix() not in submitted}


def _engine_files(paths: KitPaths) -> dict[Path, bytes]:
    """cli.py, the gradekit package and requirements.txt: what `check` and `package` need to run."""
    engine = Path(gradekit.__file__).resolve().parent
    files = {Path("cli.py"): (paths.root / "cli.py").read_bytes()}
    files.update({Path("gradekit") / p.relative_to(engine): p.read_bytes() for p in sorted(engine.rglob("*"))
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"})
    files[Path("requirements.txt")] = "".join(f"{r}\n" for r in _requirements(paths.root)).encode("utf-8")
    return files


def _requirements(root: Path) -> list[str]:
    """The kit's dependencies (pyproject.toml) but nbgrader, which only instructors use."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib

        dependencies = tomllib.loads(text)["project"].get("dependencies", [])
    except ModuleNotFoundError:  # Python 3.10: the list's quoted entries
        block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.S | re.M)
        dependencies = re.findall(r'"([^"]+)"', block.group(1)) if block else []
    return [r for r in dependencies if not r.lower().startswith("nbgrader")]


# -- the public tests -----------------------------------------------------------------------------

def public_graders(graders: Path, assignment: Assignment) -> dict[str, str]:
    """The grader files a handout ships (name -> source), and the conftest.py that fixes their inputs.

    A file whose tests all grade public parts ships as it is; one mixing public and hidden parts
    ships without the hidden parts' tests and the helpers only they use; one without public tests
    stays behind. A test's part is the first word of its docstring, as in the grading run.
    """
    public = {name for name, part in assignment.parts.items() if part.public}
    shipped = {}
    for path in sorted(graders.glob("test_*.py")):
        source = public_tests_source(path.read_text(encoding="utf-8"), public, path.relative_to(graders.parent))
        if source is not None:
            shipped[path.name] = source
    if shipped:
        shipped["conftest.py"] = HANDOUT_CONFTEST.format(seed=CHECK_SEED)
    return shipped


HANDOUT_CONFTEST = '''\
"""The public tests of this handout draw the same inputs at every check.

The reference solution's answers to these inputs are recorded in ../reference/; the course's
grade runs these tests, and hidden ones, on new inputs.
"""

import zlib

import numpy as np
import pytest

SEED = {seed}


@pytest.fixture
def rng(request):
    """A generator seeded from SEED and the test: the inputs the answers in reference/ were recorded for."""
    return np.random.default_rng([SEED, zlib.crc32(request.node.nodeid.encode())])
'''


def public_tests_source(source: str, public: set[str], name: Path | str) -> str | None:
    """`source` without the tests of non-public parts and the definitions only they need; None if no test is public."""
    tree = _parse(source, name)
    tests = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name.startswith("test")}
    hidden = {name for name, node in tests.items() if _tested_part(node) not in public}
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
    drop = [n for n in definitions if id(n) not in keep]
    return _without(source, drop)


def _tested_part(test: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The part a test grades: the first line of its docstring up to ':' (the test's name without one)."""
    doc = (ast.get_docstring(test) or "").strip().splitlines()
    return doc[0].split(":")[0].strip() if doc else test.name


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


def _without(source: str, nodes: list[ast.stmt]) -> str:
    """`source` with the lines of `nodes` (decorators and comments just above included) removed."""
    lines = source.splitlines(keepends=True)
    gone: set[int] = set()
    for node in nodes:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while first > 0 and (not lines[first - 1].strip() or lines[first - 1].lstrip().startswith("#")):
            first -= 1  # the comments above it, such as a section's title
        gone.update(range(first, block_end(node, lines)))
    text = "".join(line for i, line in enumerate(lines) if i not in gone)
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n") + "\n"


def _parse(source: str, name: Path | str) -> ast.Module:
    try:
        return ast.parse(source, filename=str(name))
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path=name, fix="make the file valid Python") from None


# -- the reference's answers, recorded ----------------------------------------------------------------
#
# A handout's public tests compare the student's functions with the reference's, but the handout
# must not hold the reference. So the release runs those tests once with the reference as the
# student, on the fixed inputs of graders/conftest.py, and records every answer the tests asked
# of the reference; the handout's reference/ modules answer from that record.

ANSWERS = "answers.json"
REPLAY_MODULE = '''\
"""The reference solution's answers to this handout's public tests, recorded when it was released.

`python cli.py check` compares your functions with these answers; the solutions are not in the handout.
"""

from gradekit.release import recorded_functions

globals().update(recorded_functions(__file__))
'''


@dataclass
class Call:
    """One call a grader made of the reference: from which test, with what, and its answer."""

    test: str
    part: str
    function: str
    args: tuple
    kwargs: dict
    seed: int | None
    value: Any


class Recorder:
    """Stands in for the reference in a grading run and notes every call the graders make of it."""

    def __init__(self, reference: ReferenceProxy):
        self.reference = reference
        self.calls: list[Call] = []
        self.test = self.part = ""

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_") or func == "reference":
            raise AttributeError(func)
        getattr(self.reference, func)  # an AttributeError for a function the reference does not have
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False,
             **kwargs: Any) -> CallResult:
        args_in, kwargs_in = copy.deepcopy((args, kwargs))
        result = self.reference.call(func, *args, seed=seed, echo_args=echo_args, **kwargs)
        self.calls.append(Call(self.test, self.part, func, args_in, kwargs_in, seed, result.value))
        return result


class RecordingPlugin(GradingPlugin):
    """A grading run whose `reference` fixture is a Recorder that knows which test is asking."""

    @pytest.fixture(name="reference")
    def reference_fixture(self, request: pytest.FixtureRequest) -> Recorder:
        self.reference.test = request.node.nodeid
        self.reference.part = test_name(request.node).split(":")[0].strip()
        return self.reference


def record_reference(paths: KitPaths, course: Course, assignment: Assignment, graders: Path,
                     seed: int = CHECK_SEED) -> Recorder:
    """Run `graders` for `assignment` with the reference as the student; its recorder holds the calls they made."""
    recorder = Recorder(load_reference(paths.reference, assignment.modules))
    with tempfile.TemporaryDirectory(prefix="gradekit-record-") as tmp:
        submission = prepare(paths.reference, Path(tmp) / "reference")
        with Worker(submission.folder, assignment.modules, course.limits_for(assignment)) as worker, \
                _own_test_modules(graders):
            plugin = RecordingPlugin(course, assignment, worker, recorder, seed)
            code = run_graders(graders, plugin)
    failed = [o.name for o in plugin.outcomes if not o.passed]
    if code not in (0, 5) or failed:
        raise KitError(f"the reference does not pass its own tests ({'; '.join(failed[:3]) or f'pytest exit {code}'})",
                       path=paths.reference, fix="run `python cli.py validate` and fix what it names")
    return recorder


@contextlib.contextmanager
def _own_test_modules(graders: Path) -> Iterator[None]:
    """Import `graders`' modules afresh and forget them after.

    Pytest imports a test file by its name (test_conv2d, conftest): a handout's graders and the kit's
    share those names, and a process that ran one folder would refuse to collect the other.
    """
    names = {path.stem for path in graders.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name in names}
    try:
        yield
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def _recorded_answers(paths: KitPaths, course: Course, key: str, graders: dict[str, str],
                      data: dict[str, bytes]) -> dict[Path, bytes]:
    """reference/ of a handout: a module per assignment module answering from reference/answers.json.

    `data` are the files the graders may read from reference/ (the handout has them there too).
    """
    assignment = course.assignments[key]
    public = assignment.model_copy(update={"parts": {k: v for k, v in assignment.parts.items() if v.public}})
    calls: list[Call] = []
    if graders and public.parts:
        with tempfile.TemporaryDirectory(prefix="gradekit-public-") as tmp:
            for name, source in graders.items():
                write_atomic(Path(tmp) / "graders" / name, source)
            for name, content in data.items():
                write_atomic(Path(tmp) / "reference" / name, content)
            calls = record_reference(paths, course, public, Path(tmp) / "graders").calls
    files = {Path("reference") / f"{module}.py": REPLAY_MODULE.encode("utf-8") for module in assignment.modules}
    files[Path("reference") / ANSWERS] = answers_json(calls).encode("utf-8")
    return files


def answers_json(calls: list[Call]) -> str:
    """The recorded answers: function -> inputs' key -> the answers given, in order, in the wire format."""
    table: dict[str, dict[str, list]] = {}
    for call in calls:
        answers = table.setdefault(call.function, {}).setdefault(call_key(call.function, call.args, call.kwargs), [])
        answers.append(wire.encode(plain(call.value)))
    return json.dumps({"seed": CHECK_SEED, "answers": table}, sort_keys=True) + "\n"


def recorded_functions(module_file: str | Path) -> dict[str, Callable]:
    """The functions of a handout's reference/ module: each answers the recorded inputs with the recorded answer."""
    path = Path(module_file).with_name(ANSWERS)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))["answers"]
    except (OSError, ValueError, KeyError) as exc:
        raise KitError(f"the recorded answers are missing or damaged ({type(exc).__name__})", path=path,
                       fix="release the handout again") from None
    return {name: _answering(name, answers) for name, answers in table.items()}


def _answering(name: str, answers: dict[str, list]) -> Callable:
    served: dict[str, int] = {}

    def answer(*args: Any, **kwargs: Any) -> Any:
        key = call_key(name, args, kwargs)
        if key not in answers:
            raise LookupError(f"{name}: no recorded answer for these inputs. The public tests changed since this "
                              "handout was released: release it again.")
        count = served[key] = served.get(key, 0) + 1
        return _with_figures(wire.decode(answers[key][(count - 1) % len(answers[key])]))

    answer.__name__ = name
    return answer


def call_key(function: str, args: tuple, kwargs: dict) -> str:
    """A digest of a call's inputs, the same for the graders' `Fn(name)` and the helper it names."""
    data = wire.encode([function, list(plain(tuple(args))), plain(dict(kwargs))])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def plain(value: Any) -> Any:
    """`value` with the kit's named helpers as `Fn(name)` and matplotlib figures as their summaries."""
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if callable(value) and any(value is f for f in FUNCTIONS.values()):
        return wire.Fn(next(name for name, f in FUNCTIONS.items() if f is value))
    if type(value).__name__ == "Figure" and type(value).__module__.startswith("matplotlib"):
        return figure_summary(value)
    return value


def figure_summary(fig: Any) -> wire.FigureSummary:
    """A figure's axes: their titles and the images they show."""
    return wire.FigureSummary([wire.AxesSummary(ax.get_title(), [np.asarray(im.get_array(), dtype=float)
                                                                 for im in ax.get_images()]) for ax in fig.get_axes()])


def _with_figures(value: Any) -> Any:
    """Recorded figure summaries back as matplotlib figures, as the reference returned them."""
    if isinstance(value, tuple):
        return tuple(_with_figures(v) for v in value)
    if isinstance(value, list):
        return [_with_figures(v) for v in value]
    if isinstance(value, wire.FigureSummary):
        from matplotlib.figure import Figure

        fig = Figure()
        for i, axes in enumerate(value.axes, start=1):
            ax = fig.add_subplot(1, len(value.axes), i)
            ax.set_title(axes.title)
            for image in axes.images:
                ax.imshow(image)
        return fig
    return value


# -- the handout's README -------------------------------------------------------------------------------

def assignment_readme(course: Course, key: str, files: dict[Path, bytes], notebook: bool) -> str:
    """The README of one assignment's handout: what to do, what is in the folder, how to check and hand in."""
    assignment = course.assignments[key]
    sections = [_handout_intro(course, key, notebook), _handout_files(files),
                _readme_assignment(key, assignment, course)]
    if "conv2d" in assignment.parts:
        sections.append(convention_markdown(course))
    sections.append(_handout_workflow(course, key, files, notebook))
    return "\n\n".join(sections) + "\n"


def _handout_intro(course: Course, key: str, notebook: bool) -> str:
    assignment = course.assignments[key]
    where = (f"`exercises/{key}.ipynb`: a notebook with a code cell per function" if notebook
             else ", ".join(f"`exercises/{name}`" for name in assignment.files))
    provided = (" The functions of earlier parts it builds on are handed out whole." if assignment.provided else "")
    return (
        f"# {assignment.title}\n\n"
        f"{course.course}, course version {course.version}: your handout for the assignment `{key}`.\n\n"
        f"Your work goes in {where}.\n"
        "Every function that raises `NotImplementedError` is yours to write: keep its name, signature\n"
        f"and docstring, and replace the `raise` line by your code.{provided}"
    )


def _handout_files(files: dict[Path, bytes]) -> str:
    lines = [f"- `{path.as_posix()}`" + (f": {_module_summary(data)}" if path.suffix == ".py" else "")
             for path, data in sorted(files.items()) if path.parts[0] == "exercises"]
    lines += [
        "- `graders/`: the public tests `python cli.py check` runs, on fixed inputs",
        "- `reference/`: the reference solution's answers to those inputs, recorded (not the solutions)",
        "- `cli.py`, `gradekit/`, `course.yaml`, `requirements.txt`: the course kit's command line, which runs them",
    ]
    return "## Files\n\n" + "\n".join(lines)


def _handout_workflow(course: Course, key: str, files: dict[Path, bytes], notebook: bool) -> str:
    setup = "Once, in this folder:\n\n```\npython -m pip install -r requirements.txt\n```\n\n"
    if notebook:
        work = ("Open the notebook in Jupyter (`python -m pip install jupyterlab` if you have none) and run\n"
                f"its cells top to bottom as you go:\n\n```\njupyter lab exercises/{key}.ipynb\n```\n\n")
        hand_in = (f"Hand in `exercises/{key}.ipynb` itself: the grade reads a notebook's code cells (magics, "
                   "shell lines and outputs are ignored) and grades it exactly like `.py` files.")
    else:
        scripts = [p.as_posix() for p, data in sorted(files.items()) if p.parts[0] == "exercises"
                   and p.suffix == ".py" and b'if __name__ == "__main__":' in data]
        work = ("Try your code as you go (plots open in a window, or are saved as PNG without a display):\n\n"
                "```\n" + "".join(f"python {s}\n" for s in scripts) + "```\n\n") if scripts else ""
        hand_in = "`package` checks your files are complete and compile, then writes `submission.zip` to hand in."
    return (
        "## Your workflow\n\n" + setup + work
        + "Check your work against the public tests (a line per part: done, failing and why, or not started):\n\n"
        "```\npython cli.py check\n" + ("" if notebook else "python cli.py package\n") + "```\n\n"
        + hand_in + " The grade runs the public tests and hidden ones, on new inputs."
    )
