"""A class as handed in: one entry per student, however an LMS packed the submissions.

Each top-level item of a class folder (or of its zip) is read by the convention it matches, so they may mix:

- **Canvas**, "Download Submissions" (canvas-lms `lib/content_zipper.rb`): flat files named
  `<name>[_LATE]_<user id>_<file id>_<file>`: the name is the sortable name ("Smith, John") lower-cased with every
  non-word character removed (`smithjohn`), `LATE` (`late` in older versions) marks a late submission, the file id is
  the attachment's; `[LATE_]anon_<id>_<file id>_<file>` when grading is anonymous; `<name>_<user id>_text.html` or
  `_link.html` for a text or URL entry. A file uploaded again under the same name is numbered before its extension
  (`work-1.py`, `Attachment.make_unique_filename`): the highest number is the one graded. A folder named so is a
  student's zip unpacked where it lay.
- **Moodle**, "Download all submissions" (`mod/assign/locallib.php`): a folder per student and plugin,
  `<Full Name>_<participant id>_assignsubmission_<plugin>_/` (underscores in the name become spaces), or flat files
  `<Full Name>_<id>_assignsubmission_file_<file>` (before Moodle 3.1, or "download as folders" off).
- **Gradescope**, "Export Submissions": `submission_metadata.yml` maps each submission's folder to its `:submitters:`
  (`:name:`, `:sid:`, `:email:`) and `:created_at:`; a group submission is graded once per submitter.
- Otherwise each folder, .zip or .ipynb is one student's submission, named by the entry.

A student is keyed by name (two students of one name, by name and LMS id); the LMS's id and lateness travel with
the entry. A file that fits no convention in a folder of flat LMS files is refused, never graded as a student.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Iterator

import yaml

from gradekit import stopping
from gradekit.course import Course
from gradekit.errors import KitError, not_utf8
from gradekit.fsio import tree_digest
from gradekit.layout import CLASS_OUTPUTS, GRADESCOPE_METADATA, ignored
from gradekit.submission import ZipLimits, copy_files, extract_zip

SUBMISSION_SUFFIXES = (".zip", ".ipynb")
KIT_OUTPUT_NAMES = {name.casefold() for name in CLASS_OUTPUTS}  # casefolded: some disks ignore case
CLASS_LIMITS = ZipLimits(files=50_000, file_bytes=256 << 20, total_bytes=8 << 30)  # a whole class's zip
LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle", "gradescope": "Gradescope"}

_ENTRY = r"(?:(?P<file_id>\d+)_(?P<file>.+)|(?P<entry>text|link)\.html)"
CANVAS_ANONYMOUS = re.compile(r"(?:(?P<late>late)_)?(?P<user>anon_[a-z0-9]+)_" + _ENTRY, re.IGNORECASE)
CANVAS = re.compile(r"(?P<name>\w*?)_(?:(?P<late>late)_)?(?P<user>\d+)_" + _ENTRY, re.IGNORECASE)
REUPLOAD = re.compile(r"(?P<base>.+)-(?P<n>[1-9]\d*)(?P<ext>\.(?:py|ipynb|zip))", re.IGNORECASE)
MOODLE = re.compile(r"(?P<name>[^_]+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_(?P<file>.*)", re.DOTALL)
EXPORT_FIX = "export the submissions again from Gradescope (the assignment's Review Grades > Export Submissions)"


@dataclass(frozen=True)
class Entry:
    """One student's submission as the class holds it, and what the LMS says of it."""

    student: str  # the key: the folder of their results and their gradebook row
    path: Path  # a folder, .zip or notebook; for a flat LMS download, its first file
    files: tuple[tuple[str, Path], ...] = ()  # a flat download's files, each with its real name: graded as one folder
    lms: str = ""  # canvas, moodle or gradescope, when an LMS packed it
    lms_id: str = ""  # the LMS's id of the student (Canvas user id, Moodle participant id, Gradescope SID)
    submitted_at: datetime | None = None  # when the LMS received it, if the download says
    late: bool = False  # the LMS marked it late
    notes: tuple[str, ...] = ()  # what intake decided, for the student's feedback


@dataclass
class _Student:
    """One student's items of a flat or per-plugin LMS download, while they are gathered."""

    lms: str
    name: str
    lms_id: str
    late: bool = False
    folders: list[Path] = field(default_factory=list)
    files: list[tuple[str, int, int, str, Path]] = field(default_factory=list)  # real name, upload, id, shown, path
    other: list[Path] = field(default_factory=list)  # what another Moodle plugin exported (online text)


def class_entries(folder: Path) -> list[Entry]:
    """One entry per student of the class `folder`, in the order of their keys."""
    items = [p for p in sorted(folder.iterdir()) if not ignored(p.name)]
    entries, taken = _gradescope_entries(folder, items)
    students: dict[tuple[str, str], _Student] = {}
    unclaimed = [p for p in items if p not in taken and not _claim(p, students)]
    flat = sorted({s.lms for s in students.values() if s.files})
    strays = [p for p in unclaimed if p.is_file()] if flat else []
    if strays:
        raise KitError(f"{_listed(strays)} {'is' if len(strays) == 1 else 'are'} not named as {LMS_NAMES[flat[0]]} "
                       f"names the files of its download ({_FORMATS[flat[0]]})", path=folder,
                       fix="rename each as the LMS would (the student's id is in its gradebook), or move it into a "
                           "folder named after its student")
    entries += [Entry(p.stem if p.is_file() else p.name, p) for p in unclaimed
                if p.is_dir() or p.suffix in SUBMISSION_SUFFIXES]
    entries += [_student_entry(s) for s in students.values()]
    entries = sorted(_keyed_apart(entries), key=lambda e: e.student)
    _check_keys(entries, folder)
    return entries


_FORMATS = {"canvas": "<name>_<user id>_<file id>_<file>", "moodle": "<Full Name>_<id>_assignsubmission_file_<file>"}


def _listed(paths: list[Path]) -> str:
    names = [p.name for p in paths]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _claim(path: Path, students: dict[tuple[str, str], _Student]) -> bool:
    """Add `path` to its student's items if an LMS named it; False when none did."""
    if match := MOODLE.fullmatch(path.name):
        student = students.setdefault(("moodle", match["user"]), _Student("moodle", match["name"], match["user"]))
        if match["plugin"] != "file":
            student.other.append(path)
        elif path.is_dir():
            student.folders.append(path)
        else:
            student.files.append((match["file"], 0, 0, match["file"], path))
        return True
    match = CANVAS_ANONYMOUS.fullmatch(path.name) or CANVAS.fullmatch(path.name)
    if not match or path.is_dir() and not match["file"]:  # a folder so named is a zip unpacked in place: a file
        return False
    name = match.groupdict().get("name") or match["user"]
    student = students.setdefault(("canvas", match["user"].casefold()), _Student("canvas", name, match["user"]))
    student.late |= bool(match["late"])
    if match["file"]:
        upload = REUPLOAD.fullmatch(match["file"])
        real, number = (upload["base"] + upload["ext"], int(upload["n"])) if upload else (match["file"], 0)
        student.files.append((real, number, int(match["file_id"]), match["file"], path))
    else:
        student.files.append((f"{match['entry']}.html", 0, 0, f"{match['entry']}.html", path))
    return True


def _student_entry(student: _Student) -> Entry:
    """The entry of one student's LMS items: their files folder, else their files, else what else they handed in."""
    notes: list[str] = []
    files: tuple[tuple[str, Path], ...] = ()
    if student.folders:
        path = student.folders[0]
        notes += [f"{p.name} not graded: {path.name} is" for p in student.folders[1:]]
        notes += [f"{shown} not graded: {path.name} is" for _, _, _, shown, _ in student.files]
    elif student.files:
        files, notes = _latest_files(student.files)
        path = files[0][1]
    else:
        path = student.other[0]
    if student.folders or student.files:
        notes += [f"{p.name} not graded: only the files handed in are" for p in student.other]
    return Entry(_safe_key(student.name, student.lms_id), path, files, student.lms, student.lms_id,
                 late=student.late, notes=tuple(notes))


def _latest_files(items: list[tuple[str, int, int, str, Path]]) -> tuple[tuple[tuple[str, Path], ...], list[str]]:
    """A flat download's files under their real names; of several uploads of one name, the highest numbered."""
    by_name: dict[str, list[tuple[str, int, int, str, Path]]] = defaultdict(list)
    for item in items:
        by_name[item[0]].append(item)
    files, notes = [], []
    for real, uploads in sorted(by_name.items()):
        uploads.sort(key=lambda item: (item[1], item[2]))
        _, number, _, shown, path = uploads[-1]
        files.append((real, path))
        if number:
            notes.append(f"{shown} (uploaded again) graded as {real}")
        notes += [f"{older[3]} not graded: {shown} is the later upload of {real}" for older in uploads[:-1]]
    return tuple(files), notes


def _keyed_apart(entries: list[Entry]) -> list[Entry]:
    """Entries of one name but different LMS ids (two students called the same) keyed by name and id."""
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_key[entry.student].append(entry)
    distinct = []
    for group in by_key.values():
        ids = [e.lms_id for e in group]
        if len(group) > 1 and all(ids) and len(set(ids)) == len(ids):
            group = [replace(e, student=f"{e.student}_{e.lms_id}") for e in group]
        distinct += group
    return distinct


def _check_keys(entries: list[Entry], folder: Path) -> None:
    names = [e.student for e in entries]
    twins = sorted({n for n in names if names.count(n) > 1})
    if twins:
        raise KitError(f"two entries for {', '.join(twins)}", path=folder, fix="keep one entry per student")
    clashes = [e.path.name for e in entries if e.student.casefold() in KIT_OUTPUT_NAMES]
    if clashes:
        raise KitError(f"{', '.join(clashes)} would be graded into a folder named like the kit's own output "
                       f"({', '.join(sorted(CLASS_OUTPUTS))})", path=folder,
                       fix="rename that entry, e.g. after the student's login")
    if not entries:
        raise KitError("no submissions found", path=folder, fix="put one folder, .zip or .ipynb per student there")


def _safe_key(name: str, fallback: str) -> str:
    """A student's name as a folder name: no separators or control characters, not hidden."""
    key = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", name).strip().lstrip(".").strip()
    return key[:100] or fallback


def _gradescope_entries(folder: Path, items: list[Path]) -> tuple[list[Entry], set[Path]]:
    """The entries `submission_metadata.yml` lists, and the items they take (the file itself included)."""
    meta = folder / GRADESCOPE_METADATA
    if meta not in items or not meta.is_file():
        return [], set()
    entries, taken = [], {meta}
    for key, record in _read_metadata(meta).items():
        path = folder / key
        if PurePosixPath(key).name != key or key in (".", "..") or not path.exists():
            raise KitError(f"{key} is listed but is not in the export", path=meta, fix=EXPORT_FIX)
        taken.add(path)
        entries += _submitters(path, record, meta)
    return entries, taken


def _read_metadata(meta: Path) -> dict[str, dict]:
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise not_utf8(meta, exc) from None
    except yaml.YAMLError as exc:
        raise KitError(f"not readable YAML ({type(exc).__name__})", path=meta, fix=EXPORT_FIX) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise KitError("not Gradescope's metadata: a mapping of each submission's folder to its details", path=meta,
                       fix=EXPORT_FIX)
    return {str(key): value for key, value in data.items()}


def _submitters(path: Path, record: dict, meta: Path) -> list[Entry]:
    """An entry per submitter of one Gradescope submission (a group's members each get their row)."""
    people = record.get(":submitters")
    if not isinstance(people, list) or not people or not all(isinstance(p, dict) for p in people):
        raise KitError(f"{path.name} has no list of :submitters:", path=meta, fix=EXPORT_FIX)
    at = _gradescope_time(record.get(":created_at"), meta, path.name)
    names = [str(p.get(":name") or p.get(":sid") or p.get(":email") or "").strip() for p in people]
    entries = []
    for person, name in zip(people, names):
        lms_id = str(person.get(":sid") or person.get(":email") or "").strip()
        mates = [n for n in names if n != name]
        notes = (f"Graded as a group submission with {', '.join(mates)}",) if mates else ()
        entries.append(Entry(_safe_key(name, path.name), path, lms="gradescope", lms_id=lms_id, submitted_at=at,
                             notes=notes))
    return entries


def _gradescope_time(value: object, meta: Path, key: str) -> datetime | None:
    """`:created_at:` (YAML reads Gradescope's `2026-12-14 23:30:05.746365000 Z` as a time; else it is text)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = re.sub(r"(\.\d{6})\d+", r"\1", str(value).strip()).replace(" Z", "+00:00").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise KitError(f"{key}'s :created_at: '{value}' is not a date and time", path=meta, fix=EXPORT_FIX) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def entry_digest(entry: Entry) -> str:
    """A hash of what the student handed in (file bytes, or a folder's names and bytes)."""
    if entry.files:
        return tree_digest([path for _, path in entry.files], base=entry.path.parent)
    return tree_digest(entry.path, base=entry.path.parent)


def entry_meta(entry: Entry, submitted_at: datetime | None) -> dict:
    """What a student's results keep of the LMS (their `extra_data`), and intake's notes for their feedback."""
    notes = list(entry.notes)
    if entry.late and submitted_at is None:
        notes.append(f"{LMS_NAMES.get(entry.lms, 'The LMS')} marks this submission late; without its time "
                     "(--times) no late penalty is applied.")
    return {"lms": entry.lms, "lms_id": entry.lms_id, "lms_late": entry.late, "intake_notes": notes}


@contextmanager
def staged(entry: Entry) -> Iterator[Path]:
    """What to prepare for `entry`: its path, or its flat download's files under their real names in a folder."""
    if not entry.files:
        yield entry.path
        return
    with stopping.temporary_directory("gradekit-intake-") as tmp:
        folder = Path(tmp) / entry.student
        folder.mkdir()
        copy_files(entry.files, folder)
        yield folder


def has_notebooks(entry: Entry) -> bool:
    if entry.files:
        return any(name.endswith(".ipynb") for name, _ in entry.files)
    return entry.path.suffix == ".ipynb" or entry.path.is_dir() and any(entry.path.rglob("*.ipynb"))


@contextmanager
def open_class(path: Path) -> Iterator[Path]:
    """The class folder: `path`, or its zip (as an LMS downloads it) extracted for as long as the class is graded.

    An export in one folder of its own (Gradescope's zip holds `assignment_<id>_export/`) is that folder.
    """
    path = Path(path)
    if path.is_dir():
        yield _export_root(path)
        return
    if not zipfile.is_zipfile(path):
        raise KitError("not a class folder or a zip of one", path=path,
                       fix="pass the folder (or the zip an LMS downloads) holding every student's submission")
    with stopping.temporary_directory("gradekit-class-") as tmp:
        extract_zip(path, Path(tmp), CLASS_LIMITS)
        yield _export_root(Path(tmp))


def _export_root(folder: Path) -> Path:
    items = [p for p in folder.iterdir() if not ignored(p.name)]
    if len(items) == 1 and items[0].is_dir() and not MOODLE.fullmatch(items[0].name) and _is_lms(_tops(items[0])):
        return items[0]
    return folder


def _tops(folder: Path) -> list[tuple[str, bool]]:
    return [(p.name, p.is_dir()) for p in folder.iterdir() if not ignored(p.name)]


def _is_lms(tops: list[tuple[str, bool]]) -> bool:
    """Items an LMS exported: Gradescope's metadata, or mostly items named as Canvas or Moodle name them."""
    return (GRADESCOPE_METADATA, False) in tops or 2 * _lms_named(tops) > len(tops)


def _lms_named(tops: list[tuple[str, bool]]) -> int:
    return sum(1 for name, _ in tops if MOODLE.fullmatch(name) or CANVAS_ANONYMOUS.fullmatch(name)
               or CANVAS.fullmatch(name))


def _zip_tops(path: Path) -> list[tuple[str, bool]] | None:
    """The top-level items of a zip (those of its only folder, when that folder holds an LMS's export)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.replace("\\", "/") for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    parts = [PurePosixPath(n).parts for n in names]
    parts = [p for p in parts if p and not ignored(PurePosixPath(*p))]
    tops = sorted({(p[0], len(p) > 1) for p in parts})
    if len(tops) == 1 and tops[0][1] and not MOODLE.fullmatch(tops[0][0]):
        inner = sorted({(p[1], len(p) > 2) for p in parts if len(p) > 1})
        return inner if _is_lms(inner) else tops
    return tops


def is_lms_download(path: Path) -> bool:
    """An LMS's download of a class, a folder or its zip: Gradescope's export, or mostly items named as Canvas or
    Moodle name them."""
    path = Path(path)
    if path.is_dir():
        return _is_lms(_tops(_export_root(path)))
    tops = _zip_tops(path) if path.suffix.lower() == ".zip" else None
    return bool(tops) and _is_lms(tops)


def is_class_folder(path: Path, course: Course, assignment: str | None) -> bool:
    """A class (a folder of submissions, or an LMS's download of them) rather than one submission.

    An LMS's download (a folder or its zip) is a class. Otherwise one submission has the assignment's files, or
    other .py files (such as a data loader), or a single notebook at its top; a class has none of these, only
    entries: folders, zips, notebooks.
    """
    path = Path(path)
    lms = is_lms_download(path)
    if lms or not path.is_dir():
        return lms
    tops = _tops(_export_root(path))
    names = course.assignment(assignment).files
    if any((path / n).exists() or (path / n).with_suffix(".ipynb").exists() for n in names):
        return False
    if _lms_named(tops):
        return True  # an LMS's download with files of other names among its own: `class_entries` says which
    if any(path.glob("*.py")):
        return False
    notebooks = [p for p in path.glob("*.ipynb") if not ignored(p.name)]
    others = [p for p in path.iterdir() if not ignored(p.name) and (p.suffix == ".zip" or p.is_dir())]
    return bool(others) or len(notebooks) > 1
