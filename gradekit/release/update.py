"""`update`: a corrected handout applied to the student's own, never touching a function they started.

The instructor releases the assignment again (a fixed test, a clearer docstring, a new helper)
and hands out the new folder or its zip. In their handout, `python cli.py update NEW`:

- replaces each file the student has not changed since it was released (its digest is the one
  recorded in .gradekit-release.json), and adds the new ones;
- in a Python file they changed (their solutions), replaces only the functions they have not
  started (whose body still only raises NotImplementedError) and adds the functions the new
  handout has and theirs lacks; everything else in it stays theirs, byte for byte;
- keeps any other file they changed (a notebook, the README) as it is, and says so.
"""

from __future__ import annotations

import ast
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gradekit.console import echo
from gradekit.errors import KitError
from gradekit.fsio import write_atomic
from gradekit.layout import COURSE_FILE, RELEASE_MARKER
from gradekit.release.folder import write_release
from gradekit.release.stubs import block_end

NEW_FIX = "pass the folder (or its zip) of the corrected handout your instructor released"


@dataclass
class Updated:
    """What an update replaced, merged function by function, and kept as the student has it."""

    written: list[str] = field(default_factory=list)
    merged: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # file -> (replaced, added)
    kept: list[str] = field(default_factory=list)


def update(handout: Path, new: Path) -> Updated:
    """Apply the released handout `new` (folder or zip) to the student's `handout` folder."""
    mine = _record(handout / RELEASE_MARKER, handout, "this folder is not a handout released by the kit",
                   "run `python cli.py update` in your handout's folder (the one holding cli.py)")
    theirs, files = _new_handout(Path(new))
    if (theirs.get("format"), theirs.get("assignment")) != (mine.get("format"), mine.get("assignment")):
        raise KitError(f"this is the {theirs.get('format')} handout of {theirs.get('assignment')}, yours is the "
                       f"{mine.get('format')} handout of {mine.get('assignment')}; nothing was changed", path=new,
                       fix=NEW_FIX)
    meta = {k: v for k, v in theirs.items() if k not in ("files", "kit_version")}
    written, kept = write_release(handout, files, mine["files"], meta)
    done = Updated(written=[p.relative_to(handout).as_posix() for p in written])
    for path in kept:
        name = path.relative_to(handout).as_posix()
        functions = _merge(path, files[Path(name)]) if path.suffix == ".py" else None
        if functions is None:
            done.kept.append(name)
        elif any(functions):
            done.merged[name] = functions
    return done


def _record(path: Path, where: Path, problem: str, fix: str) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["files"] = dict(record["files"])
        return record
    except (OSError, ValueError, KeyError, TypeError):
        raise KitError(problem, path=where, fix=fix) from None


def _new_handout(new: Path) -> tuple[dict, dict[Path, bytes]]:
    """The new handout's record and the files it lists, read from its folder or zip (nothing else is taken)."""
    if new.is_dir():
        record = _record(new / RELEASE_MARKER, new, "not a handout released by the kit", NEW_FIX)
        return record, {Path(name): (new / name).read_bytes() for name in _handout_names(record, new)}
    try:
        with zipfile.ZipFile(new) as archive:
            marker = min((n for n in archive.namelist() if PurePosixPath(n).name == RELEASE_MARKER),
                         key=len, default=None)
            if marker is None:
                raise KitError("this zip holds no handout released by the kit", path=new, fix=NEW_FIX)
            record = json.loads(archive.read(marker))
            base = PurePosixPath(marker).parent
            return record, {Path(name): archive.read(str(base / name)) for name in _handout_names(record, new)}
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise KitError(f"cannot read the new handout ({exc})", path=new, fix=NEW_FIX) from None


def _handout_names(record: dict, new: Path) -> list[str]:
    names = list(record.get("files") or {})
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise KitError(f"the handout lists '{name}', outside itself", path=new, fix=NEW_FIX)
    return names


def _merge(path: Path, new_data: bytes) -> tuple[list[str], list[str]] | None:
    """Put the new handout's version of each function the student has not started into `path`, and the functions
    it lacks at the end; the names replaced and added, or None when the file cannot be merged (it is kept)."""
    try:
        mine = path.read_text(encoding="utf-8")
        new = new_data.decode("utf-8")
        my_tree, new_tree = ast.parse(mine), ast.parse(new)
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return None
    fresh = {node.name: _segment(new, node) for node in _functions(new_tree)}
    lines, changed = mine.splitlines(keepends=True), []
    mine_by_name = {node.name: node for node in _functions(my_tree)}
    for node in sorted(mine_by_name.values(), key=lambda n: n.lineno, reverse=True):
        if node.name in fresh and _not_started(node) and _segment(mine, node) != fresh[node.name]:
            lines[_first_line(node) - 1:block_end(node, lines)] = [fresh[node.name]]
            changed.append(node.name)
    added = [name for name in fresh if name not in mine_by_name]
    text = "".join(lines)
    text += "".join(f"\n\n{fresh[name]}" for name in added) if added else ""
    if changed or added:  # its digest is then neither handout's: it stays the student's for the next update
        write_atomic(path, text)
    return sorted(changed), added


def _functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)]


def _first_line(node: ast.FunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _segment(source: str, node: ast.FunctionDef) -> str:
    """The function's lines, decorators and trailing indented comments included, ending with a newline."""
    lines = source.splitlines(keepends=True)
    text = "".join(lines[_first_line(node) - 1:block_end(node, lines)])
    return text if text.endswith("\n") else text + "\n"


def _not_started(node: ast.FunctionDef) -> bool:
    """The body is still the stub: at most a docstring, then only `raise NotImplementedError(...)`."""
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def main(new: Path, *, course_file: Path = Path(COURSE_FILE)) -> int:
    """Apply the corrected handout NEW (a folder or zip your instructor released) to this handout.

    \b
    Files you have not changed are replaced; in your solution files only the functions you have
    not started (still raising NotImplementedError) are, and new ones are added; every other
    change of yours stays as it is.
    """
    done = update(Path(course_file).resolve().parent, Path(new))
    echo(f"Updated {len(done.written)} file(s) you had not changed.")
    for name, (replaced, added) in done.merged.items():
        them = "it" if len(replaced) == 1 else "them"
        changes = ([f"the new handout's {', '.join(replaced)} (you had not started {them})"] * bool(replaced)
                   + [f"its new {', '.join(added)}"] * bool(added))
        echo(f"{name}: yours, with {' and '.join(changes)}")
    if done.kept:
        echo(f"Kept as you changed them (compare with the new handout by hand): {', '.join(done.kept)}", fg="yellow")
    return 0
