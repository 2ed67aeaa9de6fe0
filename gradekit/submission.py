"""Turning what a student hands in (a folder, a .zip, notebooks) into a clean folder to grade.

Extraction refuses absolute paths, `..`, links, oversize and over-compressed members; a folder's
links that leave it are refused too. Notebooks become .py files (code cells only).
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gradekit.errors import KitError

MAX_FILES = 200
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed size of one zip member
IGNORED = {"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


@dataclass(frozen=True)
class Submission:
    folder: Path  # a private copy, safe to hand to the worker
    source: Path
    digest: str  # sha256 of the files' names and contents


def prepare(source: Path, dest: Path, support: list[Path] = ()) -> Submission:
    """Copy or extract `source` into the empty folder `dest`; add missing support files."""
    source = Path(source)
    if not source.exists():
        raise KitError("submission not found", path=source, fix="pass a folder, a .zip or a .ipynb file")
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        _copy_folder(source, dest)
    elif zipfile.is_zipfile(source):
        _extract_zip(source, dest)
    elif source.suffix == ".ipynb" or source.suffix == ".py":
        shutil.copyfile(source, dest / source.name)
    else:
        raise KitError("not a folder, a .zip, a .py or a .ipynb file", path=source,
                       fix="hand in the folder of your .py files, or a zip made by `python cli.py package`")
    _lift_single_folder(dest)
    _notebooks_to_modules(dest)
    digest = _digest(dest)
    _add_support(support, dest)
    return Submission(dest, source, digest)


def _copy_folder(source: Path, dest: Path) -> None:
    root = source.resolve()
    files = [p for p in sorted(source.rglob("*")) if not IGNORED & set(p.relative_to(source).parts)]
    if len(files) > MAX_FILES:
        raise KitError(f"{len(files)} files is too many", path=source, fix=f"hand in at most {MAX_FILES} files")
    total = 0
    for path in files:
        if path.is_symlink() and not _inside(path.resolve(), root):
            raise KitError(f"the link {path.relative_to(source)} points outside the submission", path=source,
                           fix="replace the link by the file itself")
        if path.is_dir():
            continue
        total += _check_size(path.stat().st_size, total, path)
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_size(size: int, total: int, where: Path | str) -> int:
    if size > MAX_FILE_BYTES:
        raise KitError(f"{where} is {size // 1024 // 1024} MB", fix=f"keep each file under {MAX_FILE_BYTES >> 20} MB")
    if total + size > MAX_TOTAL_BYTES:
        raise KitError("the submission is too large", path=where, fix=f"keep it under {MAX_TOTAL_BYTES >> 20} MB")
    return size


def _extract_zip(source: Path, dest: Path) -> None:
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise KitError(f"the zip holds {len(members)} files", path=source, fix=f"zip at most {MAX_FILES} files")
        total = 0
        for member in members:
            name = _safe_name(member, source)
            if name is None:
                continue
            total += _check_size(member.file_size, total, f"{source.name}:{member.filename}")
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise KitError(f"{member.filename} is compressed {member.file_size // member.compress_size}:1 "
                               "(a zip bomb?)", path=source, fix="zip ordinary source files")
            _extract_member(archive, member, dest / name, source)


def _safe_name(member: zipfile.ZipInfo, source: Path) -> PurePosixPath | None:
    name = PurePosixPath(member.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
        raise KitError(f"the zip member '{member.filename}' would be written outside the submission",
                       path=source, fix="zip the files with relative names, e.g. `python cli.py package`")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise KitError(f"the zip member '{member.filename}' is a link", path=source,
                       fix="zip the file itself, not a link to it")
    return None if IGNORED & set(name.parts) else name


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, source: Path) -> None:
    """Copy a member, counting real bytes: a lying header cannot make it larger than declared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(member) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 16):
            written += len(chunk)
            if written > member.file_size or written > MAX_FILE_BYTES:
                raise KitError(f"{member.filename} is larger than its zip header says", path=source,
                               fix="re-create the zip")
            out.write(chunk)


def _lift_single_folder(dest: Path) -> None:
    """A zip of one folder (`mywork/neural_network.py`) is graded as that folder's content."""
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        for child in list(inner.iterdir()):
            child.rename(dest / child.name)
        inner.rmdir()


def _notebooks_to_modules(dest: Path) -> None:
    """`neural_network.ipynb` becomes `neural_network.py` unless the .py was handed in too."""
    for notebook in sorted(dest.glob("*.ipynb")):
        module = notebook.with_suffix(".py")
        if not module.exists():
            module.write_text(notebook_source(notebook), encoding="utf-8")


def notebook_source(path: Path) -> str:
    """The code cells of a notebook as a module; magics and shell escapes are commented out."""
    import nbformat  # slow to import (1.5 s): only when a notebook is handed in

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several types for a damaged file
        raise KitError(f"not a readable notebook ({type(exc).__name__})", path=path,
                       fix="re-save it from Jupyter, or hand in .py files") from None
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.lstrip()
            lines.append(f"# {line}" if stripped.startswith(("%", "!")) else line)
        lines.append("")
    return "\n".join(lines) + "\n"


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _add_support(support: list[Path], dest: Path) -> None:
    """Files the handout provides (data, loaders) that the student need not hand in."""
    for path in support:
        if not (dest / path.name).exists():
            shutil.copyfile(path, dest / path.name)
