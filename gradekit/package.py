"""Packaging a student's work: check it is complete, write a manifest, zip it.

`grade` verifies the manifest: a file changed after packaging is reported, not hidden.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import gradekit
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.fsio import sha256_file
from gradekit.console import echo
from gradekit.content import open_course
from gradekit.layout import COURSE_FILE, EXERCISES, MANIFEST, SUBMISSION_ZIP
from gradekit.submission import notebook_modules, notebook_source

MAX_FILE_BYTES = 5 * 1024 * 1024
PACKED_SUFFIXES = (".py", ".ipynb")


def package(folder: Path, out: Path, course: Course, assignment_name: str | None = None) -> dict:
    """Zip the assignment's files from `folder` with a manifest; returns the manifest."""
    assignment = course.assignment(assignment_name)
    files = _files_to_pack(Path(folder), assignment)
    manifest = {
        "assignment": assignment_name or course.default_assignment,
        "kit_version": gradekit.__version__,
        "course_version": course.version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {p.name: sha256_file(p) for p in files},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(out)
    return manifest


def _files_to_pack(folder: Path, assignment: Assignment) -> list[Path]:
    """Each file the assignment asks for: the .py, else a notebook of the same name, else a released
    notebook that stands for that module (an assignment's notebook holds all its modules); then the files
    its `also_accepted` patterns match (e.g. the blog's exercise scripts)."""
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
    for path in sorted({p for pattern in assignment.also_accepted for p in folder.glob(pattern) if p.is_file()}):
        if path not in files:
            _check_file(path)
            files.append(path)
    return files


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
    # decoded as grading decodes it: a byte-order mark skipped, bytes that are not UTF-8 replaced
    source = notebook_source(path) if path.suffix == ".ipynb" else path.read_bytes().decode("utf-8-sig", "replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        where = "a code cell" if path.suffix == ".ipynb" else f"line {exc.lineno}"
        raise KitError(f"{where}: {exc.msg} ({(exc.text or '').strip()[:60]})", path=path,
                       fix="fix the syntax error before packaging (python -m py_compile shows it)") from None


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
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Check your work in FOLDER is complete and compiles, then zip it with a manifest."""
    _, course = open_course(course_file, content=False)
    manifest = package(folder, output, course, assignment)
    echo(f"Wrote {output}: {', '.join(manifest['files'])} (+ {MANIFEST}, {manifest['created']})")
    return 0
