"""Packaging a student's work: check it is complete, write a manifest, zip it.

Unfinished work (a part that still raises NotImplementedError or is missing, a file that does not
compile) is refused unless forced, naming what is missing. `grade` verifies the manifest: a file
changed after packaging is reported, not hidden.
"""

from __future__ import annotations

import ast
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import gradekit
from gradekit.course import Assignment, Course, open_course
from gradekit.errors import KitError
from gradekit.fsio import sha256_file
from gradekit.console import echo
from gradekit.layout import COURSE_FILE, EXERCISES, MANIFEST, SUBMISSION_ZIP
from gradekit.submission import notebook_modules, notebook_source

MAX_FILE_BYTES = 5 * 1024 * 1024
PACKED_SUFFIXES = (".py", ".ipynb")


def package(folder: Path, out: Path, course: Course, assignment_name: str | None = None, *,
            force: bool = False) -> dict:
    """Zip the assignment's files from `folder` with a manifest; returns the manifest.

    A part not written yet refuses it (a KitError naming them) unless `force`; the manifest then lists them.
    """
    assignment = course.assignment(assignment_name)
    files, scripts = _files_to_pack(Path(folder), assignment)
    missing = unfinished([p for p in files if p not in scripts], assignment)
    if missing and not force and not scripts:
        raise KitError(f"not finished: {'; '.join(missing)}", path=folder,
                       fix="write them and package again, or hand in what you have with `python cli.py package "
                           "--force`")
    manifest = {
        "assignment": assignment_name or course.default_assignment,
        "kit_version": gradekit.__version__,
        "course_version": course.version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {p.name: sha256_file(p) for p in files},
        **({"unfinished": missing} if missing else {}),
    }
    _refuse_foreign_file(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(out)
    return manifest


def _refuse_foreign_file(out: Path) -> None:
    """Refuse to write over a file that is not a submission this kit packaged (the student's own zip, say)."""
    if not out.exists():
        return
    try:
        with zipfile.ZipFile(out) as archive:
            if MANIFEST in archive.namelist():
                return
    except (OSError, zipfile.BadZipFile):
        pass
    raise KitError("exists and is not a submission packaged by this kit; it was left as it is", path=out,
                   fix="pass another name with -o, or move that file away")


def _files_to_pack(folder: Path, assignment: Assignment) -> tuple[list[Path], list[Path]]:
    """Each file the assignment asks for: the .py, else a notebook of the same name, else a released
    notebook that stands for that module (an assignment's notebook holds all its modules); then the files
    its `also_accepted` patterns match (e.g. the blog's exercise scripts). Returns all, and those scripts."""
    if not folder.is_dir():
        raise KitError("not a folder", path=folder, fix="pass the folder holding your .py files or notebook")
    files: list[Path] = []
    for name in assignment.files:
        chosen = _file_for(folder, name)
        if chosen is None:
            raise KitError(f"{name} is missing", path=folder, fix=f"put your {name} (or your notebook) in {folder}")
        if chosen not in files:
            _check_file(chosen)
            files.append(chosen)
    scripts = [p for p in sorted({p for pattern in assignment.also_accepted for p in folder.glob(pattern)
                                  if p.is_file()}) if p not in files]
    for path in scripts:
        _check_file(path)
    return files + scripts, scripts


def unfinished(files: list[Path], assignment: Assignment) -> list[str]:
    """The parts not written yet in `files`, by file: functions that still raise NotImplementedError, or are missing."""
    found: dict[str, tuple[str, ast.FunctionDef]] = {}  # the last definition in a file is the one that counts
    for path in files:
        for node in ast.parse(_source(path)).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = (path.name, node)
    stubs: dict[str, list[str]] = {}
    absent: dict[str, list[str]] = {}
    for part, spec in assignment.parts.items():
        if part not in found:
            absent.setdefault(f"{spec.module}.py" if spec.module else "your files", []).append(part)
        elif _raises_not_implemented(found[part][1]):
            stubs.setdefault(found[part][0], []).append(part)
    return ([f"{', '.join(parts)} in {name} still raise{'s' * (len(parts) == 1)} NotImplementedError"
             for name, parts in stubs.items()]
            + [f"{', '.join(parts)} {'is' if len(parts) == 1 else 'are'} not in {name}"
               for name, parts in absent.items()])


def _raises_not_implemented(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return True
    return False


def _file_for(folder: Path, name: str) -> Path | None:
    path = folder / name
    for candidate in (path, path.with_suffix(".ipynb")):
        if candidate.is_file():
            return candidate
    return next((nb for nb in sorted(folder.glob("*.ipynb")) if path.stem in notebook_modules(nb)), None)


def _check_file(path: Path) -> None:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise KitError(f"{path.name} is larger than {MAX_FILE_BYTES >> 20} MB", path=path,
                       fix="remove data or outputs from it (in Jupyter: Edit > Clear All Outputs)")
    try:
        compile(_source(path), str(path), "exec")
    except SyntaxError as exc:
        where = "a code cell" if path.suffix == ".ipynb" else f"line {exc.lineno}"
        raise KitError(f"{where}: {exc.msg} ({(exc.text or '').strip()[:60]})", path=path,
                       fix="fix the syntax error before packaging (python -m py_compile shows it)") from None


def _source(path: Path) -> str:
    """The code as grading reads it: a notebook's code cells; a byte-order mark skipped, bytes not UTF-8 replaced."""
    return notebook_source(path) if path.suffix == ".ipynb" else path.read_bytes().decode("utf-8-sig", "replace")


def verify_manifest(folder: Path) -> tuple[dict | None, list[str]]:
    """The manifest in a prepared submission and the files that no longer match it."""
    path = folder / MANIFEST
    if not path.is_file():
        return None, []
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        return None, [f"{MANIFEST} is not readable"]
    changed = [name for name, digest in sorted(files.items())
               if not (folder / name).is_file() or sha256_file(folder / name) != digest]
    return manifest, changed


def main(folder: Path = Path(EXERCISES), *, output: Path = Path(SUBMISSION_ZIP), assignment: str | None = None,
         force: bool = False, course_file: Path = Path(COURSE_FILE)) -> int:
    """Check your work in FOLDER is complete and compiles, then zip it with a manifest to hand in.

    Work with a part still to write is refused (naming it) unless --force.
    """
    _, course = open_course(course_file, content=False)
    manifest = package(folder, output, course, assignment, force=force)
    echo(f"Wrote {output}: {', '.join(manifest['files'])} (+ {MANIFEST}, {manifest['created']})")
    if manifest.get("unfinished"):
        echo(f"Packaged with parts not written: {'; '.join(manifest['unfinished'])}", fg="yellow")
    return 0
