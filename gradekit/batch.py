"""Grading a whole class: parallel, resumable, and robust to any one submission.

The parent imports the grader, pytest and the reference once, then forks warm grading
processes. A submission whose content hash, assignment and course/kit versions match its
existing results.json is not graded again; every file is written atomically and the
gradebook is rebuilt from the results files, so a killed run resumes without duplicates.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.util
import os
import secrets
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import gradekit
from gradekit.course import Course, Limits
from gradekit.errors import KitError
from gradekit.gradebook import RESULTS, write_gradebook
from gradekit.grading.plugin import load_reference
from gradekit.grading.run import grade
from gradekit.paths import CLASS_OUTPUTS, KitPaths
from gradekit.results import Results, TestResult, load_results, save_results
from gradekit.sandbox.zygote import Zygote
from gradekit.submission import IGNORED

SUBMISSION_SUFFIXES = (".zip", ".ipynb")
KIT_OUTPUT_NAMES = {name.casefold() for name in CLASS_OUTPUTS}  # casefolded: some disks ignore case


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


@dataclass
class Progress:
    done: int
    total: int
    student: str
    results: Results | None
    started: float

    @property
    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-9)

    @property
    def eta(self) -> float:
        return (self.total - self.done) / self.rate if self.done else float("nan")


def is_class_folder(path: Path, course: Course, assignment: str | None) -> bool:
    """A folder of submissions rather than one submission.

    One submission has the assignment's files, or other .py files (such as mnist_data.py), or a
    single notebook at its top; a class has none of these, only entries: folders, zips, notebooks.
    """
    if not path.is_dir():
        return False
    names = course.assignment(assignment).files
    if any((path / n).exists() or (path / n).with_suffix(".ipynb").exists() for n in names):
        return False
    if any(path.glob("*.py")):
        return False
    notebooks = [p for p in path.glob("*.ipynb") if not p.name.startswith(".")]
    others = [p for p in path.iterdir() if p.suffix == ".zip" or p.is_dir() and p.name not in IGNORED
              and not p.name.startswith(".")]
    return bool(others) or len(notebooks) > 1


def class_entries(folder: Path) -> list[Entry]:
    """One entry per student: each subfolder, .zip or .ipynb, named by the entry."""
    entries = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED:
            continue
        if path.is_dir() or path.suffix in SUBMISSION_SUFFIXES:
            entries.append(Entry(path.stem if path.is_file() else path.name, path))
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
    return entries


def entry_digest(path: Path) -> str:
    """A hash of what the student handed in (file bytes, or a folder's names and bytes)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    for file in files:
        digest.update(file.relative_to(path.parent).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def is_current(entry: Entry, out: Path, course: Course, assignment: str) -> bool:
    """True when the stored results were made from the same submission, course and kit."""
    try:
        meta = load_results(out / entry.student / RESULTS).extra_data
    except (OSError, ValueError):
        return False
    return (meta.get("entry_sha256") == entry_digest(entry.path) and meta.get("course_version") == course.version
            and meta.get("kit_version") == gradekit.__version__ and meta.get("assignment") == assignment)


def grade_class(folder: Path, out: Path, *, paths: KitPaths, course: Course, assignment: str | None = None,
                jobs: int | None = None, force: bool = False, seed: int | None = None,
                times: dict[str, datetime] | None = None, shard: tuple[int, int] | None = None,
                on_progress: Callable[[Progress], None] = lambda p: None) -> Path:
    """Grade every entry of `folder` into `out/<student>/`, then write `out/gradebook.csv`."""
    name = assignment or course.default_assignment
    chosen = course.assignment(name)
    entries = class_entries(Path(folder))
    if shard is not None:
        entries = [e for i, e in enumerate(entries) if i % shard[1] == shard[0]]
    todo = [e for e in entries if force or not is_current(e, out, course, name)]
    jobs = jobs or os.cpu_count() or 1
    zygotes = _launch_zygotes(min(jobs, len(todo)), course.limits_for(chosen))  # they import while we do
    load_reference(paths.reference, chosen.modules)  # imported once here, inherited warm by the forks
    if any(_has_notebooks(e.path) for e in todo):
        import nbformat  # noqa: F401 - 1.5 s to import: once here rather than in every fork
    started = time.monotonic()
    on_progress(Progress(0, len(todo), "", None, started))
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_adopt_zygote,
                                 initargs=(zygotes, context.Value("i", 0))) as pool:
            futures = {pool.submit(_grade_entry, e, out, paths, course, name, seed, (times or {}).get(e.student)):
                       e for e in todo}
            for done, future in enumerate(as_completed(futures), 1):
                entry = futures[future]
                on_progress(Progress(done, len(todo), entry.student, future.result(), started))
    finally:
        for zygote in zygotes:
            zygote.close()
    return write_gradebook(out, chosen)


_zygotes: dict[Limits, Zygote] = {}  # per grading process: its warm sandbox


def _launch_zygotes(count: int, limits: Limits) -> list[Zygote]:
    """One warm sandbox per grading process, started before the forks."""
    zygotes = [Zygote(limits) for _ in range(count if Zygote.available() else 0)]
    for zygote in zygotes:
        zygote.launch()
    return zygotes


def _adopt_zygote(zygotes: list[Zygote], taken) -> None:
    """Pool initializer: each grading process takes the next zygote the parent launched."""
    with taken.get_lock():
        index, taken.value = taken.value, taken.value + 1
    if index < len(zygotes):
        _zygotes[zygotes[index].limits] = zygotes[index]


def _has_notebooks(path: Path) -> bool:
    return path.suffix == ".ipynb" or path.is_dir() and any(path.glob("*.ipynb"))


def _zygote(limits: Limits) -> Zygote | None:
    """This grading process's zygote (started on first use, killed when the process ends)."""
    if limits not in _zygotes and Zygote.available():
        _zygotes[limits] = zygote = Zygote(limits)
        multiprocessing.util.Finalize(zygote, zygote.close, exitpriority=10)
    return _zygotes.get(limits)


def _grade_entry(entry: Entry, out: Path, paths: KitPaths, course: Course, assignment: str, seed: int | None,
                 submitted_at: datetime | None) -> Results:
    """Grade one entry; any failure becomes a zero-score result that says why (never raises)."""
    target = out / entry.student
    digest = entry_digest(entry.path)
    try:
        return grade(entry.path, target, paths=paths, course=course, assignment=assignment,
                     seed=seed if seed is not None else secrets.randbelow(2**31), submitted_at=submitted_at,
                     extra={"entry_sha256": digest, "student": entry.student},
                     zygote=_zygote(course.limits_for(course.assignment(assignment))))
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the class
        results = error_results(entry, course, assignment, digest, exc)
        save_results(results, target / RESULTS)
        return results


def error_results(entry: Entry, course: Course, assignment: str, digest: str, exc: Exception) -> Results:
    chosen = course.assignment(assignment)
    message = str(exc) if isinstance(exc, KitError) else f"the grader failed ({type(exc).__name__})"
    test = TestResult(name="submission: could not be graded", score=0, max_score=chosen.max_score,
                      status="failed", output=message, tags=["submission"],
                      extra_data={"instructor": repr(exc)[:2000]})
    meta = {"entry_sha256": digest, "student": entry.student, "assignment": assignment,
            "course_version": course.version, "kit_version": gradekit.__version__, "error": message}
    return Results(score=0, max_score=chosen.max_score, execution_time=0, output=message, tests=[test],
                   extra_data=meta)
