"""Release: generate the student handout (exercises/) from the instructor's reference/.

A short pipeline: collect the reference files, stub every solution block of the Python ones,
copy the rest verbatim, add a README generated from course.yaml, write it all atomically.
The output depends only on its inputs (no timestamps), so a committed handout can be checked
for drift by releasing again and comparing bytes.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.paths import KitPaths
from gradekit.results import write_atomic

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
IGNORED_SUFFIXES = (".pyc", ".png")  # bytecode, and plots saved by running the exercises


def stub_source(source: str, *, module: str, course: Course) -> str:
    """Replace each ### BEGIN/END SOLUTION block by `raise NotImplementedError(...)` at the block's indentation.

    `module` names the source in errors (e.g. "reference/neural_network.py"). A block that is
    not closed, a nested BEGIN or an END without BEGIN raises KitError naming the line.
    """
    lines = source.splitlines(keepends=True)
    functions = _function_spans(source, module)
    out: list[str] = []
    begin: int | None = None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise _marker_error(module, number, f"'{BEGIN}' inside the block opened on line {begin}",
                                    f"add '{END}' before line {number}")
            begin = number
            out.append(_raise_line(line, _enclosing(functions, number), course))
        elif marker == END:
            if begin is None:
                raise _marker_error(module, number, f"'{END}' without a '{BEGIN}' above it",
                                    f"add '{BEGIN}' where the solution starts, or delete line {number}")
            begin = None
        elif begin is None:
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
        os.chmod(dest / relative, 0o644)  # a handout is for reading: not the temp file's private mode
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
    sections += [_readme_convention(course), _readme_workflow(course, files)]
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


def _readme_convention(course: Course) -> str:
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
