"""Grading a whole class: parallel, resumable, and robust to any one submission.

The parent imports the grader, pytest and the reference once, then forks warm grading
processes. A submission whose content hash, assignment and course/kit versions match its
existing results.json is not graded again; every file is written atomically and the
gradebook is rebuilt from the results files, so a killed run resumes without duplicates.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Callable, Literal

import gradekit
from gradekit import nbformat_import, stopping
from gradekit.authoring import named_reference_functions, require_sound_graders
from gradekit.content import content_digest, course_content
from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.gradebook import Ended, write_gradebook
from gradekit.grade.late import Timing, still_applies
from gradekit.grade.pipeline import grade_or_kit_error
from gradekit.grade.times import entry_record, timing_for
from gradekit.grade.proxies import import_reference
from gradekit.intake import Entry, class_entries, entry_digest, entry_meta, has_notebooks, open_class, staged
from gradekit.layout import RESULTS, KitPaths
from gradekit.results import GRADED, NO_SUBMISSION, Results, TestResult, load_results, save_results
from gradekit.sandbox.pool import ZygotePool, class_sandboxes
from gradekit.sandbox.zygote import Zygote

STOP_TIMEOUT_S = 10.0  # for the grading processes to close their sandboxes when the run is stopped
POLL_S = 0.2  # how soon the parent hears that a grading process took up a submission


@dataclass
class Progress:
    """One event of a class run: it `began` (no student yet), a student's submission `started` or `finished`
    (with its results); `started` is when the run began, by time.monotonic()."""
    done: int
    total: int
    student: str
    results: Results | None
    started: float
    event: Literal["began", "started", "finished"]

    @property
    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-9)

    @property
    def eta(self) -> float:
        return (self.total - self.done) / self.rate if self.done else float("nan")


@dataclass(frozen=True)
class ClassTask:
    """One entry of a class to grade into `out/<student>/`, and what its grading needs."""
    entry: Entry
    out: Path
    paths: KitPaths
    course: Course
    assignment: str
    seed: int | None
    timing: Timing
    course_sha256: str  # content_digest of the course: the results are current for it only


# Grades a class's tasks elsewhere: remote(tasks, paths, course, assignment, on_progress), as cluster.ClusterGrader.
Remote = Callable[[list[ClassTask], KitPaths, Course, str, Callable[[Progress], None]], None]


def is_current(entry: Entry, out: Path, course: Course, assignment: str, course_sha256: str,
               timing: Timing = Timing()) -> bool:
    """True when the stored results were made from the same submission, course (its content: `course_sha256`, of
    content_digest), kit and times, and stand.

    A kit error is never current: the next run regrades it.
    """
    try:
        meta = load_results(out / entry.student / RESULTS).extra_data
    except (OSError, ValueError):
        return False
    return (meta.get("status") in (GRADED, NO_SUBMISSION) and meta.get("entry_sha256") == entry_digest(entry)
            and meta.get("course_version") == course.version and meta.get("course_sha256") == course_sha256
            and meta.get("kit_version") == gradekit.__version__ and meta.get("assignment") == assignment
            and still_applies(meta.get("late"), timing, course.assignment(assignment)))


def grade_class(folder: Path, out: Path, *, paths: KitPaths, course: Course, assignment: str | None = None,
                jobs: int | None = None, force: bool = False, seed: int | None = None,
                times: dict[str, datetime] | None = None, extensions: dict[str, float] | None = None,
                shard: tuple[int, int] | None = None, on_progress: Callable[[Progress], None] = lambda p: None,
                on_warning: Callable[[str], None] = lambda text: None,
                remote: Remote | None = None, zygotes: list[Zygote] | None = None) -> dict[str, Ended]:
    """Grade every entry of the class `folder` (or an LMS's zip of it) into `out/<student>/`, then write
    `out/gradebook.csv`; returns how each student's grading under `out` ended. A time from `times` wins over the
    LMS's; `extensions` (days, by student or LMS id) move due dates, and those of no one in the class are named in
    one warning. `remote` grades the entries elsewhere (on a Dask cluster) instead of in `jobs` local processes;
    `zygotes` are warm sandboxes the caller started for them (class_sandboxes), else they are started here."""
    name = assignment or course.default_assignment
    with open_class(Path(folder)) as root:
        entries = class_entries(root)
        strangers = sorted(set(extensions or {}) - {key for e in entries for key in (e.student, e.lms_id)})
        if strangers:
            on_warning(f"no submission in {folder} is from {', '.join(strangers)}: their extensions are not used")
        if shard is not None:
            everyone, entries = len(entries), [e for i, e in enumerate(entries) if i % shard[1] == shard[0]]
            if not entries:
                raise KitError(f"shard {shard[0]}/{shard[1]} holds no submission: the class has {everyone}",
                               path=folder, fix=f"use at most {everyone} shards")
        timings = {e.student: timing_for((e.student, e.lms_id), entry_record(e), times or {}, extensions or {})
                   for e in entries}
        content = content_digest(course_content(paths, course))  # a grader or the reference changed: regrade
        todo = [e for e in entries if force or not is_current(e, out, course, name, content, timings[e.student])]
        tasks = [ClassTask(e, out, paths, course, name, seed, timings[e.student], content) for e in todo]
        if remote is None:
            _grade_tasks(tasks, jobs or os.cpu_count() or 1, paths, course, name, on_progress, zygotes)
        else:
            remote(tasks, paths, course, name, on_progress)
    return write_gradebook(out, course.assignment(name))


def _grade_tasks(tasks: list[ClassTask], jobs: int, paths: KitPaths, course: Course, key: str,
                 on_progress: Callable[[Progress], None], started: list[Zygote] | None = None) -> None:
    """Grade each task's entry of assignment `key` in warm sandboxes (those `started` by the caller, or started
    now), `jobs` at a time."""
    if not tasks:  # all up to date: no sandbox to start, no reference to import (a resume costs the run's start only)
        on_progress(Progress(0, 0, "", None, time.monotonic(), "began"))
        return
    todo, chosen = [task.entry for task in tasks], course.assignment(key)
    count = min(jobs, len(todo))
    context = multiprocessing.get_context("fork")
    with contextlib.ExitStack() as stack:
        if started is None:  # they import while we do
            started = stack.enter_context(class_sandboxes(count, course.limits_for(chosen)))
        for spare in started[count:]:
            spare.close()
        zygotes = started[:count]
        stack.enter_context(stopping.cleanup_on_stop(_stop_grading_processes))
        # imported once here, inherited warm by the forks
        import_reference(paths.reference, chosen.modules,
                         named_reference_functions(require_sound_graders(paths, course, key)))
        if any(has_notebooks(e) for e in todo):
            nbformat_import.imported()  # once here rather than in every fork
        gc.freeze()  # the forks' collections then skip this heap: a full one took up to 0.2 s of a submission
        try:
            _grade_all(tasks, jobs, zygotes, on_progress, context)
        finally:
            gc.unfreeze()  # a caller that goes on (a test, a library) collects its own heap again


def _grade_all(tasks: list[ClassTask], jobs: int, zygotes: list[Zygote], on_progress: Callable[[Progress], None],
               context: multiprocessing.context.BaseContext) -> None:
    """Run `_grade_entry(task)` for each task in `jobs` forked grading processes, reporting each as it starts
    (told by the grading process) and as it completes."""
    started, done, starts = time.monotonic(), 0, context.SimpleQueue()
    on_progress(Progress(0, len(tasks), "", None, started, "began"))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_grading_process,
                             initargs=(zygotes, context.Value("i", 0), os.getpid(), starts)) as pool:
        futures = {pool.submit(_grade_entry, task): task.entry for task in tasks}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            while not starts.empty():  # before the finishes: a grading process tells of a start before its end
                on_progress(Progress(done, len(tasks), starts.get(), None, started, "started"))
            for future in finished:  # popped: a class of thousands does not hold every submission's results
                done += 1
                student = futures.pop(future).student
                on_progress(Progress(done, len(tasks), student, future.result(), started, "finished"))


def _stop_grading_processes() -> None:
    """SIGTERM every grading process (each closes its sandbox), wait for them, SIGKILL any left."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    waiting = {child.sentinel: child for child in children}
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while waiting and deadline > time.monotonic():
        for ready in multiprocessing.connection.wait(list(waiting), deadline - time.monotonic()):
            waiting.pop(ready)
    for child in waiting.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)


def _closed_at_exit(zygote: Zygote) -> None:
    multiprocessing.util.Finalize(zygote, zygote.close, exitpriority=10)
    stopping.at_stop(zygote.close)


_pool = ZygotePool(on_start=_closed_at_exit)  # per grading process: its warm sandbox
_starts: SimpleQueue | None = None  # per grading process: where it tells the parent of each start
_settled = False  # per grading process: its heap frozen (settle_heap)


def _init_grading_process(zygotes: list[Zygote], taken, parent: int, starts: SimpleQueue) -> None:
    """Pool initializer: adopt a zygote and the queue of starts; close it and stop on SIGTERM or when the parent
    dies."""
    global _starts
    stopping.forget_inherited()
    _starts = starts
    with taken.get_lock():
        index, taken.value = taken.value, taken.value + 1
    if index < len(zygotes):
        _pool.adopt(zygotes[index])
        stopping.at_stop(zygotes[index].close)
    stopping.follow(parent)


def _grade_entry(task: ClassTask) -> Results:
    """Grade one entry: a kit fault is retried, then a kit error; a user error is a zero that says why."""
    entry, course = task.entry, task.course
    _starts.put(entry.student)
    limits = course.limits_for(course.assignment(task.assignment))
    try:
        return grade_staged(entry, staged(entry), task.out / entry.student, entry_digest(entry), paths=task.paths,
                            course=course, assignment=task.assignment, course_sha256=task.course_sha256,
                            seed=task.seed, timing=task.timing, zygote=_pool.get(limits))
    finally:
        settle_heap()


def settle_heap() -> None:
    """Freeze a grading process's heap once it has graded a submission (pytest and the graders are imported by
    then): its later full collections traverse only what later gradings leave, not ~100k objects (50-200 ms each)."""
    global _settled
    if not _settled:
        gc.freeze()
        _settled = True


def grade_staged(entry: Entry, staging: contextlib.AbstractContextManager[Path], target: Path, digest: str, *,
                 course: Course, assignment: str, course_sha256: str, timing: Timing, **options) -> Results:
    """Grade what `staging` gives of `entry` into `target`: a kit fault is retried, then a kit error; a user error is
    a zero that says why. `options` go to grade_or_kit_error (paths, seed, zygote)."""
    extra = {"entry_sha256": digest, "student": entry.student, "course_sha256": course_sha256,
             **entry_meta(entry, timing.submitted_at)}
    try:
        with staging as source:
            return grade_or_kit_error(source, target, course=course, assignment=assignment, timing=timing,
                                      extra=extra, **options)
    except KitError as exc:  # about this submission (a damaged zip): it must not stop the class
        results = error_results(entry, course, assignment, digest, course_sha256, exc)
        save_results(results, target / RESULTS)
        return results


def error_results(entry: Entry, course: Course, assignment: str, digest: str, course_sha256: str,
                  exc: KitError) -> Results:
    """A zero for a submission that could not be graded as handed in, saying why."""
    chosen = course.assignment(assignment)
    message = str(exc)
    test = TestResult(name="submission: could not be graded", score=0, max_score=chosen.max_score,
                      status="failed", part="submission", message=message,
                      instructor=repr(exc)[:2000])
    meta = {**entry_meta(entry, entry.submitted_at), "entry_sha256": digest, "course_sha256": course_sha256,
            "student": entry.student,
            "assignment": assignment,
            "course_version": course.version, "kit_version": gradekit.__version__, "error": message,
            "status": GRADED}
    return Results(score=0, max_score=chosen.max_score, execution_time=0, output=message, tests=[test],
                   extra_data=meta)
