"""The course's own code and data that the engine runs: its named helper functions, its notes, its datasets.

All are content (graders/helpers.py, the Markdown files an assignment's `notes` lists, the files of
course.yaml's `datasets`); the engine only loads them, the same way for the grading process, the
worker and the handouts.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any, Callable

import jinja2
import numpy as np

from gradekit.course import Assignment, Course, line_of
from gradekit.errors import KitError, not_utf8
from gradekit.fsio import file_version
from gradekit.layout import KitPaths, files_under, grader_modules
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.wire import HELPERS_MODULE, named_functions

MAX_DATASET_BYTES = 64 * 2**20  # each dataset travels to every worker: a sample, not a whole corpus


def helpers_source(paths: KitPaths) -> str:
    """The source of the course's helper functions ("" when the course has none)."""
    try:
        return paths.helpers.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise not_utf8(paths.helpers, exc) from None


def helper_functions(source: str) -> dict[str, Callable]:
    """The helper functions `source` defines, by name, as the worker sees them too."""
    namespace: dict[str, Any] = {"__name__": HELPERS_MODULE}
    try:
        exec(compile(source, f"{HELPERS_MODULE}.py", "exec"), namespace)  # noqa: S102 - the course's own code
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path="graders/helpers.py", fix="make it valid Python") from None
    return named_functions(namespace)


def assignment_notes(paths: KitPaths, course: Course, key: str) -> list[str]:
    """The assignment's notes as Markdown, each rendered with its options (`{{ options.NAME }}`, `{{ assignment.title }}`)."""
    assignment = course.assignment(key)
    options = {**course.options, **assignment.options}
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    notes = []
    for name in assignment.notes:
        path = paths.root / name
        try:
            template = environment.from_string(path.read_text(encoding="utf-8"))
            notes.append(template.render(options=options, assignment=assignment, key=key).strip())
        except FileNotFoundError:
            raise KitError(f"assignment '{key}' lists the notes '{name}', which do not exist", path=paths.course_file,
                           fix=f"add {name} or remove it from the assignment's notes") from None
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from None
        except jinja2.TemplateError as exc:
            line = f"line {exc.lineno}: " if getattr(exc, "lineno", None) else ""
            raise KitError(f"{line}{exc.message}", path=path,
                           fix="use {{ options.NAME }} with an option the assignment sets, and close every {% if %}") from None
    return notes


def grader_files(paths: KitPaths, key: str, assignment: Assignment) -> list[Path]:
    """The grader files of an assignment: those its `graders` name (patterns allowed), else every test_*.py."""
    for pattern in assignment.graders:
        if not grader_modules(paths.graders, [pattern]):
            raise KitError(f"assignment '{key}' lists the grader '{pattern}', which is not in {paths.graders}",
                           path=paths.course_file, fix=f"add graders/{pattern} or remove it from the assignment's graders")
    return grader_modules(paths.graders, assignment.graders)


def content_files(paths: KitPaths, course: Course) -> list[Path]:
    """Every file of the course that grading reads: course.yaml (and a handout's release marker), reference/,
    graders/, exercises/, and the notes and datasets course.yaml names under the course's folder."""
    named = [paths.course_file, paths.release_marker, *(paths.root / spec.file for spec in course.datasets.values()),
             *(paths.root / name for assignment in course.assignments.values() for name in assignment.notes)]
    folders = [path for folder in (paths.reference, paths.graders, paths.exercises) for path in files_under(folder)]
    return sorted({path for path in [*named, *folders] if path.is_file() and path.resolve().is_relative_to(paths.root)})


def course_content(paths: KitPaths, course: Course) -> dict[str, bytes]:
    """The content_files by their paths from the course's folder: what a Dask worker is given."""
    return {path.relative_to(paths.root).as_posix(): path.read_bytes() for path in content_files(paths, course)}


def content_digest(content: dict[str, bytes]) -> str:
    """The SHA-256 of a course's content (course_content): results made with other graders, another reference or
    another course.yaml do not stand for it."""
    digest = hashlib.sha256()
    for name in sorted(content):
        digest.update(hashlib.sha256(name.encode()).digest() + hashlib.sha256(content[name]).digest())
    return digest.hexdigest()


def dataset_payload(paths: KitPaths, course: Course) -> dict[str, dict]:
    """course.yaml's `datasets` as the worker receives them: {name: {"data": array, "target": array or strings}}."""
    payload = {}
    for name, spec in course.datasets.items():
        path = paths.root / spec.file
        try:
            payload[name] = _encoded_dataset(path, file_version(path), spec.data, spec.target)
        except (KeyError, OSError, ValueError, _BadShape) as exc:
            raise _dataset_error(paths, name, spec, exc) from None
    return payload


def _dataset_error(paths: KitPaths, name: str, spec: Any, exc: Exception) -> KitError:
    """Why dataset `name` cannot be served, naming its line of course.yaml."""
    line = line_of(paths.course_file, ["datasets", name])
    where = f"{f'line {line}: ' if line else ''}dataset '{name}': {spec.file}"
    if isinstance(exc, _BadShape):
        return KitError(f"{where} holds {exc}", path=paths.course_file,
                        fix=f"one row per target, at most {MAX_DATASET_BYTES >> 20} MB in all")
    fix = f"give datasets.{name} a .npz file holding the arrays '{spec.data}' and '{spec.target}'"
    if isinstance(exc, FileNotFoundError):
        return KitError(f"{where} does not exist", path=paths.course_file, fix=fix)
    return KitError(f"{where} cannot be read ({str(exc)[:120]})", path=paths.course_file, fix=fix)


class _BadShape(Exception):
    """A dataset's arrays are not one row per target, or too large."""


@functools.lru_cache(maxsize=8)
def _encoded_dataset(path: Path, version: tuple[int, int], data_key: str, target_key: str) -> dict:
    """One dataset file as wire data, read once per version of the file (a class run sends it to every worker)."""
    with np.load(path, allow_pickle=False) as npz:
        data, target = np.asarray(npz[data_key]), np.asarray(npz[target_key])
    if data.ndim != 2 or target.ndim != 1 or len(target) != len(data) or \
            data.nbytes + target.nbytes > MAX_DATASET_BYTES:
        raise _BadShape(f"data of shape {data.shape} and targets of shape {target.shape}")
    labels = [str(v) for v in target.tolist()] if target.dtype.kind in "US" else wire.encode(target)
    return {"data": wire.encode(data), "target": labels}
