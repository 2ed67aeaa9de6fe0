"""Packaging a student's work: check it is complete, write a manifest, zip it.

`grade` verifies the manifest: a file changed after packaging is reported, not hidden.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import gradekit
from gradekit.course import Assignment, Course
from gradekit.errors import KitError

MANIFEST = "MANIFEST.json"
MAX_FILE_BYTES = 5 * 1024 * 1024
PACKED_SUFFIXES = (".py", ".ipynb")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package(folder: Path, out: Path, course: Course, assignment_name: str | None = None) -> dict:
    """Zip the assignment's files from `folder` with a manifest; returns the manifest."""
    assignment = course.assignment(assignment_name)
    files = _files_to_pack(Path(folder), assignment)
    manifest = {
        "assignment": assignment_name or course.default_assignment,
        "kit_version": gradekit.__version__,
        "course_version": course.version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {p.name: sha256(p) for p in files},
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
    if not folder.is_dir():
        raise KitError("not a folder", path=folder, fix="pass the folder holding your .py files")
    files = []
    for name in assignment.files:
        path = folder / name
        notebook = path.with_suffix(".ipynb")
        chosen = path if path.is_file() else notebook if notebook.is_file() else None
        if chosen is None:
            raise KitError(f"{name} is missing", path=folder, fix=f"put your {name} in {folder}")
        _check_file(chosen)
        files.append(chosen)
    return files


def _check_file(path: Path) -> None:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise KitError(f"{path.name} is larger than {MAX_FILE_BYTES >> 20} MB", path=path,
                       fix="remove data or outputs from it")
    if path.suffix == ".py":
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as exc:
            raise KitError(f"line {exc.lineno}: {exc.msg}", path=path,
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
               if not (folder / name).is_file() or sha256(folder / name) != digest]
    return manifest, changed
