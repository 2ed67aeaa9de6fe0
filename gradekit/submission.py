"""Turning what a student hands in (a folder, a .zip, notebooks) into a clean folder to grade.

Extraction refuses absolute paths, `..`, links, encrypted, oversize and over-compressed members
and damaged zips; a folder's links that leave it (or lead nowhere) and special files are refused
too. The assignment's files are put at the top wherever they were (`locate` chooses them), and
notebooks become .py files (code cells only).
"""

from __future__ import annotations

import re
import shutil
import stat
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from gradekit import nbformat_import
from gradekit.errors import KitError
from gradekit.fsio import tree_digest
from gradekit.layout import ANSWERS, ENGINE, GRADERS, REFERENCE, files_under, ignored
from gradekit.locate import Choice, NotebookFacts, choose_modules, choose_notebooks, common_folder, placement_notes

MAX_FILES = 200
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed size of one zip member


@dataclass(frozen=True)
class ZipLimits:
    """How much one extraction may write."""

    files: int = MAX_FILES
    file_bytes: int = MAX_FILE_BYTES
    total_bytes: int = MAX_TOTAL_BYTES


SUBMISSION_LIMITS = ZipLimits()


@dataclass(frozen=True)
class Submission:
    folder: Path  # a private copy, safe to hand to the worker
    source: Path
    digest: str  # sha256 of the files' names and contents
    notes: list[str] = field(default_factory=list)  # where the assignment's files were found, under which names


def prepare(source: Path, dest: Path, support: list[Path] = (), modules: Iterable[str] = ()) -> Submission:
    """Copy or extract `source` into the empty folder `dest`; put the assignment's `modules` at its top; add missing
    support files there.

    The modules may be one or more folders down, renamed copies, in a zip inside the submission or in a notebook
    (see `place_modules`); each decision is a note.
    """
    source = Path(source)
    if not source.exists():
        raise KitError("submission not found", path=source, fix="pass a folder, a .zip or a .ipynb file")
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        _copy_folder(source, dest)
    elif zipfile.is_zipfile(source):
        extract_zip(source, dest)
    elif source.suffix.lower() == ".zip":
        raise KitError("not a readable zip file (damaged or cut short?)", path=source,
                       fix="re-create it from your files, e.g. with `python cli.py package`")
    elif source.suffix == ".ipynb" or source.suffix == ".py":
        shutil.copyfile(source, dest / source.name)
    else:
        raise KitError("not a folder, a .zip, a .py or a .ipynb file", path=source,
                       fix="hand in the folder of your .py files, or a zip made by `python cli.py package`")
    notes = place_modules(dest, modules, _lift_single_folder(dest))
    digest = tree_digest(dest)
    _add_support(support, dest)
    return Submission(dest, source, digest, notes)


def folder_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """Each file `prepare` takes from the folder `source`, by its path there, checked as it is reached: at most
    MAX_FILES, no link leaving the folder, ordinary files only, within the size limits."""
    root = source.resolve()
    files = [p for p in sorted(source.rglob("*")) if not ignored(p.relative_to(source))]
    if len(files) > MAX_FILES:
        raise KitError(f"{len(files)} files is too many", path=source, fix=f"hand in at most {MAX_FILES} files")
    total = 0
    for path in files:
        rel = path.relative_to(source)
        if path.is_symlink():
            _check_link(path, rel, root, source)
        if not path.is_dir():
            total += _check_regular(path, rel, source, total)
            yield rel, path


def _copy_folder(source: Path, dest: Path) -> None:
    for rel, path in folder_files(source):
        _copy(path, dest / rel)


def copy_files(files: Iterable[tuple[str, Path]], dest: Path) -> None:
    """Copy the (name, file) pairs of a flat download (one student's files in an LMS's folder) into `dest`, each under
    its own name, refused as `prepare` refuses a folder's links, special files and oversize files. A folder among
    them (a zip unpacked where it lay) is copied as `prepare` copies one."""
    total = 0
    for name, path in files:
        if PurePosixPath(name).name != name or name in ("", ".", ".."):
            raise KitError(f"'{name}' is not a file name", path=path, fix="rename the file")
        if path.is_symlink():
            raise KitError(f"{path.name} is a link", path=path.parent, fix="replace the link by the file itself")
        if path.is_dir():
            _copy_folder(path, dest / name)
        else:
            total += _check_regular(path, path.name, path.parent, total)
            _copy(path, dest / name)


def _check_regular(path: Path, rel: Path | str, source: Path, total: int) -> int:
    """The size of one ordinary file (links resolved and checked by the caller), or why it is refused."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise KitError(f"{rel} is not a regular file", path=source, fix="hand in only ordinary files")
    return _check_size(path.stat().st_size, total, path)


def _copy(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)


def _check_link(path: Path, rel: Path, root: Path, source: Path) -> None:
    """A link may point at a file inside the submission, nowhere else."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # broken, or a loop
        raise KitError(f"the link {rel} points nowhere (broken or a loop)", path=source,
                       fix="replace the link by the file itself") from None
    if not _inside(target, root):
        raise KitError(f"the link {rel} points outside the submission", path=source,
                       fix="replace the link by the file itself")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_size(size: int, total: int, where: Path | str, limits: ZipLimits = SUBMISSION_LIMITS) -> int:
    if size > limits.file_bytes:
        raise KitError(f"{where} is {size // 1024 // 1024} MB",
                       fix=f"keep each file under {limits.file_bytes >> 20} MB")
    if total + size > limits.total_bytes:
        raise KitError("the submission is too large", path=where, fix=f"keep it under {limits.total_bytes >> 20} MB")
    return size


def extract_zip(source: Path, dest: Path, limits: ZipLimits = SUBMISSION_LIMITS) -> None:
    """Extract the zip `source` into `dest`, refusing what could write outside it or without bounds."""
    try:
        _extract_members(source, dest, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        # damaged data, a bad CRC, an unknown compression, a member that clashes with a folder
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise KitError(f"the zip cannot be extracted ({reason})", path=source,
                       fix="re-create it from your files, e.g. with `python cli.py package`") from None


def _extract_members(source: Path, dest: Path, limits: ZipLimits) -> None:
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.files:
            raise KitError(f"the zip holds {len(members)} files", path=source, fix=f"zip at most {limits.files} files")
        total = 0
        for member in members:
            name = _safe_name(member, source)
            if name is None:
                continue
            total += _check_size(member.file_size, total, f"{source.name}:{member.filename}", limits)
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                raise KitError(f"{member.filename} is compressed {member.file_size // member.compress_size}:1 "
                               "(a zip bomb?)", path=source, fix="zip ordinary source files")
            _extract_member(archive, member, dest / name, source, limits)


def _safe_name(member: zipfile.ZipInfo, source: Path) -> PurePosixPath | None:
    name = PurePosixPath(member.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
        raise KitError(f"the zip member '{member.filename}' would be written outside the submission",
                       path=source, fix="zip the files with relative names, e.g. `python cli.py package`")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise KitError(f"the zip member '{member.filename}' is a link", path=source,
                       fix="zip the file itself, not a link to it")
    if member.flag_bits & 0x1:
        raise KitError(f"the zip member '{member.filename}' is encrypted", path=source,
                       fix="zip your files without a password")
    return None if ignored(name) else name


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, source: Path,
                    limits: ZipLimits) -> None:
    """Copy a member, counting real bytes: a lying header cannot make it larger than declared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(member) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 16):
            written += len(chunk)
            if written > member.file_size or written > limits.file_bytes:
                raise KitError(f"{member.filename} is larger than its zip header says", path=source,
                               fix="re-create the zip")
            out.write(chunk)


def _lift_single_folder(dest: Path) -> str:
    """A zip of one folder (`mywork/solution.py`) is graded as that folder's content; the folder's name and a slash,
    or "" when there is none."""
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        name = entries[0].name
        inner = entries[0].rename(dest / f".{uuid.uuid4().hex}")  # it may hold a name equal to its own
        for child in list(inner.iterdir()):
            child.rename(dest / child.name)
        inner.rmdir()
        return f"{name}/"
    return ""


def place_modules(dest: Path, modules: Iterable[str] = (), prefix: str = "") -> list[str]:
    """Put each of the `modules` at the top of the prepared submission `dest` as `<module>.py`; the notes saying how.

    A module's .py file is chosen wherever it is and however renamed (see `locate`); zips inside the submission are
    extracted when a module is not found without them; a notebook stands for the modules it holds. When every chosen
    file is in one folder (the handout's `exercises/`), the submission is graded from that folder. Every notebook left
    at the top also becomes the module it is named after, unless that .py was handed in. `prefix` is the folder the
    submission was lifted out of, for the notes.
    """
    modules = list(modules)
    choices = choose_modules(_relative_files(dest), modules)
    if len(choices) < len(modules) and _extract_inner_zips(dest):
        prefix += _lift_single_folder(dest)
        choices = choose_modules(_relative_files(dest), modules)
    notebooks, skipped = _notebook_facts(dest, set(modules) - set(choices))
    wanted = list(dict.fromkeys([*modules, *(m for facts in notebooks.values() for m in facts.named)]))
    choices = choose_modules(_relative_files(dest), wanted)  # with the modules the notebooks name
    choices |= choose_notebooks(notebooks, [m for m in wanted if m not in choices], known=wanted)
    base = common_folder(choices.values())
    notes = [_unreadable(f"{prefix}{path}") for path in skipped]
    notes += placement_notes(choices, prefix, base)
    if base is not None:
        _graded_from(dest, base)
        choices = {m: Choice(m, c.path.relative_to(base)) for m, c in choices.items()}
    for module, choice in sorted(choices.items()):
        target = dest / f"{module}.py"
        if choice.notebook:
            target.write_text(_code_cells(_read_notebook(dest / choice.path, shown=choice.path.as_posix())),
                              encoding="utf-8")
        elif choice.path != PurePosixPath(target.name):
            (dest / choice.path).rename(target)
    return notes + [n for n in _top_notebooks(dest, prefix, base) if n not in notes]


def _top_notebooks(dest: Path, prefix: str, base: PurePosixPath | None) -> list[str]:
    """Each notebook at the top becomes the module it is named after, unless that .py is there. One that cannot be
    read is an error, unless it was further down (the submission graded from its folder): then a note."""
    notes = []
    for path in sorted(dest.glob("*.ipynb")):
        if path.with_suffix(".py").exists():
            continue
        try:
            nb = _read_notebook(path, shown=path.name)
        except KitError:
            if base is None:
                raise
            notes.append(_unreadable(f"{prefix}{base.as_posix()}/{path.name}"))
            continue
        path.with_suffix(".py").write_text(_code_cells(nb), encoding="utf-8")
    return notes


def _unreadable(shown: str) -> str:
    return f"{shown} not graded: it is not a readable notebook"


def _relative_files(dest: Path) -> list[PurePosixPath]:
    """The submission's files, but a handed-in handout's own kit folders (its recorded answers' reference/, its
    graders/ and gradekit/): those are the kit's, never the student's work."""
    files = [PurePosixPath(p.relative_to(dest).as_posix()) for p in files_under(dest)]
    handouts = {p.parent.parent for p in files if p.name == ANSWERS and p.parent.name == REFERENCE}
    kit = {root / folder for root in handouts for folder in (REFERENCE, GRADERS, ENGINE)}
    return [p for p in files if not kit.intersection(p.parents)]


def _extract_inner_zips(dest: Path) -> bool:
    """Extract each zip inside the submission into a folder of the zip's name; False when there is none."""
    zips = [p for p in files_under(dest) if p.suffix.lower() == ".zip" and zipfile.is_zipfile(p)]
    for path in zips:
        inner = path.with_name(f".{uuid.uuid4().hex}")
        extract_zip(path, inner)
        path.unlink()
        inner.rename(path)
    files = files_under(dest)
    if len(files) > MAX_FILES or sum(p.stat().st_size for p in files) > MAX_TOTAL_BYTES:
        raise KitError("the submission is too large once the zips in it are extracted", path=zips[0] if zips else dest,
                       fix=f"hand in at most {MAX_FILES} files and {MAX_TOTAL_BYTES >> 20} MB")
    return bool(zips)


def _graded_from(dest: Path, base: PurePosixPath) -> None:
    """Make the folder `base` of the submission its top; what lies outside it is not graded."""
    inner = (dest / base).rename(dest / f".{uuid.uuid4().hex}")
    for child in list(dest.iterdir()):
        if child.is_dir() and child != inner:
            shutil.rmtree(child)
        elif child != inner:
            child.unlink()
    for child in list(inner.iterdir()):
        child.rename(dest / child.name)
    inner.rmdir()


def _notebook_facts(dest: Path, missing: set[str]) -> tuple[dict[PurePosixPath, NotebookFacts], list[str]]:
    """The notebooks at the top, and those further down when a module is `missing`, with what they hold; and those
    further down that cannot be read (one at the top that cannot is an error)."""
    found, skipped = {}, []
    for rel in _relative_files(dest):
        top = rel.parent == PurePosixPath(".")
        if rel.suffix.lower() != ".ipynb" or not (missing or top):
            continue
        try:
            nb = _read_notebook(dest / rel, shown=rel.as_posix())
        except KitError:
            if top:
                raise
            skipped.append(rel.as_posix())
            continue
        functions = len(re.findall(r"^(?:async\s+)?def\s", _code_cells(nb), re.MULTILINE))
        found[rel] = NotebookFacts(tuple(_named_modules(nb)), functions)
    return found, skipped


def _named_modules(nb) -> list[str]:
    """The modules a released notebook stands for (its metadata's gradekit.modules)."""
    named = _mapping(_mapping(nb.get("metadata")).get("gradekit")).get("modules")
    return [m for m in named if isinstance(m, str) and m.isidentifier()] if isinstance(named, list) else []


def _mapping(value: object) -> dict:
    """Metadata as written by a student's tools: anything but a mapping counts as empty."""
    return value if isinstance(value, dict) else {}


def notebook_modules(path: Path) -> list[str]:
    """The modules a notebook written by `release --format notebook` stands for."""
    return _named_modules(_read_notebook(path))


def notebook_source(path: Path) -> str:
    """The code cells of a notebook as a module (see _code_cells)."""
    return _code_cells(_read_notebook(path))


NOTEBOOK_FIX = "re-save it from Jupyter, or hand in .py files"


def _read_notebook(path: Path, shown: str | None = None):
    """The notebook at `path` (named `shown` in errors), if its code cells can be read."""
    nbformat = nbformat_import.imported()  # only when a notebook is handed in

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several types for a damaged file
        raise KitError(f"not a readable notebook ({type(exc).__name__})", path=shown or path,
                       fix=NOTEBOOK_FIX) from None
    problem = _notebook_problem(nb)
    if problem:
        raise KitError(f"not a readable notebook: {problem}", path=shown or path, fix=NOTEBOOK_FIX)
    return nb


def _notebook_problem(nb) -> str | None:
    """What keeps the kit from reading a notebook's cells (a hand-edited or damaged file), if anything."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return f"its cells are {_kind(cells)}, not a list"
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            return f"cell {number} is {_kind(cell)}, not a cell"
        for key in ("cell_type", "source"):
            if not isinstance(cell.get(key), str):
                return f"cell {number}'s {key} is {_kind(cell.get(key))}, not text"
    return None


def _kind(value: object) -> str:
    return "missing" if value is None else "a mapping" if isinstance(value, dict) else type(value).__name__


PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}  # %%magics whose body is Python: it is kept
IPYTHON_LINE = re.compile(r"^\s*(?:[%!]|[\w.,\[\] ]+=\s*[%!]|.*\bget_ipython\(\)|[\w.]+\?\??\s*$|\?)")


def _code_cells(nb) -> str:
    """The code cells as one module, graded like a .py: outputs, markdown and raw cells are left out, and
    so are nbgrader's autograded test cells (the kit grades with its own graders).

    IPython syntax is not Python: magics (`%matplotlib`, `x = %time f()`), shell escapes (`!pip`),
    `get_ipython()` calls and `obj?` help become `pass  # <the line>` at their indentation, so the
    blocks around them stay valid. A cell magic (`%%bash`) comments out its whole cell, except
    %%time, %%timeit, %%capture and %%prun, whose body is Python.
    """
    lines: list[str] = []
    for cell in nb.cells:
        nbgrader = _mapping(_mapping(cell.get("metadata")).get("nbgrader"))
        if cell.cell_type != "code" or nbgrader.get("grade") and not nbgrader.get("solution"):
            continue
        source = cell.source.splitlines()
        magic = source[0].strip()[2:].split()[0] if source and source[0].lstrip().startswith("%%") and \
            len(source[0].strip()) > 2 else None
        if magic is not None:
            keep = magic in PYTHON_CELL_MAGICS
            lines.append(f"# {source[0]}")
            lines += source[1:] if keep else [f"# {line}" for line in source[1:]]
        else:
            lines += [_python_line(line) for line in source]
        lines.append("")
    return "\n".join(lines) + "\n"


def _python_line(line: str) -> str:
    if not IPYTHON_LINE.match(line) or line.lstrip().startswith("#"):
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass  # {line.strip()}"


def _add_support(support: list[Path], dest: Path) -> None:
    """Files the handout provides (data, loaders) that the student need not hand in."""
    for path in support:
        if not (dest / path.name).exists():
            shutil.copyfile(path, dest / path.name)
