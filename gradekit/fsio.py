"""Files written so that no reader sees half of one, text files people hand the kit, digests of files and folders,
the pyproject reader."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

from gradekit import stopping
from gradekit.errors import KitError, not_utf8, os_error


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file so that readers see the old or the new content, never a part of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide results and handouts from their readers
    try:
        with stopping.cleanup_on_stop(Path(tmp).unlink):
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_user_text(path: Path, *, fix: str) -> str:
    """A text file someone handed the kit, newlines as written and a byte-order mark skipped; a missing file, or
    one in another encoding than UTF-8, is one clear message."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return fh.read()
    except FileNotFoundError:
        raise KitError("file not found", path=path, fix=fix) from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def ensure_writable(folder: Path) -> None:
    """Check that `folder` can be made and written, leaving nothing behind: before any work, not after it."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".gradekit-probe-"))
    except OSError as exc:
        raise os_error(exc, folder) from None


def file_version(path: Path) -> tuple[int, int]:
    """What changes when the file at `path` does (its modification time and size): with the path, a cache key."""
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def tree_digest(path: Path | Sequence[Path], *, base: Path | None = None) -> str:
    """sha256 over the names (relative to `base`, default `path`) and contents of a file or a folder's files.

    `path` may also be several files and folders (one student's files in a flat download), all under `base`.
    Symbolic links are not followed: what a link points to is not part of what was handed in.
    """
    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    base = base or paths[0]
    files = sorted({file for p in paths for file in ([p] if p.is_file() else
                                                        (f for f in p.rglob("*") if f.is_file() and not f.is_symlink()))})
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(base).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def pyproject_dependencies(pyproject: Path) -> list[str]:
    """`[project].dependencies` of a pyproject.toml."""
    try:
        text = Path(pyproject).read_text(encoding="utf-8")
    except OSError as exc:
        raise KitError(f"cannot read the kit's dependencies ({type(exc).__name__})", path=pyproject,
                       fix="run from a checkout of the kit, whose pyproject.toml lists them") from None
    try:
        return list(tomllib.loads(text)["project"]["dependencies"])
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise KitError(f"cannot read [project].dependencies ({type(exc).__name__})", path=pyproject,
                       fix="list the dependencies under [project] in pyproject.toml") from None


def requirement_name(requirement: str) -> str:
    """The distribution a requirement names ('numpy>=1.24; ...' -> 'numpy')."""
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


AUTHORING_ONLY = frozenset({"nbgrader"})  # writes nbgrader courses; neither grading nor a handout imports it


def runtime_dependencies(pyproject: Path) -> list[str]:
    """The kit's dependencies that grading and a handout's `check` need: all but the authoring-only ones."""
    return [r for r in pyproject_dependencies(pyproject) if requirement_name(r) not in AUTHORING_ONLY]
