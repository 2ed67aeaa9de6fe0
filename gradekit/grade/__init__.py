"""`grade` and `check`: one submission or a class, through the pipeline (intake, worker, graders, score, write).

`grade.pipeline` grades one submission, `grade.batch` a class folder in parallel; the functions
here are the command line's, keyword-only, with the defaults the CLI shows. They check the options,
then start the warm sandbox of a single grade, or those of a class that is graded from scratch,
before the grading engine is imported (`grade.commands`): the sandboxes' own imports of numpy, scipy
and matplotlib, a run's critical path, overlap the engine's.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from types import ModuleType
from typing import ContextManager

from gradekit import stopping
from gradekit.course import Course, open_course
from gradekit.errors import KitError
from gradekit.fsio import ensure_writable
from gradekit.grade.late import Timing
from gradekit.grade.times import read_extensions, read_submission_metadata, read_times, timing_for
from gradekit.intake import is_class_folder, is_lms_download
from gradekit.layout import COURSE_FILE, EXERCISES, FEEDBACK, RESULTS, ignored
from gradekit.sandbox.pool import class_sandboxes, warm_sandbox
from gradekit.sandbox.zygote import Zygote


def main(submission: Path, *, out: Path = Path("graded"), assignment: str | None = None, seed: int | None = None,
         jobs: int | None = None, force: bool = False, times: Path | None = None, lms_metadata: Path | None = None,
         extensions: Path | None = None, shard: str | None = None, dask_scheduler: str | None = None,
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Grade SUBMISSION (a folder, .zip or notebook), or a class: a folder of them, one per student, or the folder or
    zip of submissions an LMS downloads (Canvas, Moodle, Gradescope).

    Exits 0 when every submission was graded (whatever the scores), 1 when the kit could not grade one.
    """
    stopping.exit_on_signals(message=_stopped)
    shards = parse_shard(shard)  # every option is checked before anything is graded or written
    paths, course = open_course(course_file)
    extra_days = {**course.assignment(assignment).extensions, **(read_extensions(extensions) if extensions else {})}
    _outside_submission(out, submission)
    submitted = read_times(times) if times else {}
    record = read_submission_metadata(lms_metadata) if lms_metadata else None
    ensure_writable(out)
    # Gradescope's record is of one submission: what the student uploaded, whatever folders or zips it holds.
    one_class = is_lms_download(submission) if lms_metadata else is_class_folder(submission, course, assignment)
    _check_fit(submission, one_class, shard, times, lms_metadata)
    _check_cluster(submission, one_class, dask_scheduler, jobs)
    if one_class:
        with _early_sandboxes(submission, out, course, assignment, jobs, force, dask_scheduler) as zygotes:
            return _commands().grade_a_class(submission, out, paths=paths, course=course, assignment=assignment,
                                             jobs=jobs, force=force, seed=seed, times=submitted,
                                             extensions=extra_days, shard=shards, dask_scheduler=dask_scheduler,
                                             zygotes=zygotes)
    lms, names = record or (Timing(), ())
    timing = timing_for((submission.stem, *names), lms, submitted, extra_days)
    with warm_sandbox(course.limits_for(course.assignment(assignment))) as zygote:
        return _commands().grade_one(submission, out, paths=paths, course=course, assignment=assignment, seed=seed,
                                     timing=timing, zygote=zygote)


def _early_sandboxes(folder: Path, out: Path, course: Course, assignment: str | None, jobs: int | None, force: bool,
                     dask_scheduler: str | None) -> ContextManager[list[Zygote] | None]:
    """The warm sandboxes of a class run that grades every submission here (--force, or nothing graded into `out`
    yet), started now; None for a resume (it may grade nothing: it starts them once it knows) or a Dask run."""
    if dask_scheduler is not None or (not force and any(out.glob(f"*/{RESULTS}"))):
        return contextlib.nullcontext(None)
    count = jobs or os.cpu_count() or 1
    if folder.is_dir():  # at most one a submission (a zip's are counted once it is open)
        count = min(count, max(sum(not ignored(p.name) for p in folder.iterdir()), 1))
    return class_sandboxes(count, course.limits_for(course.assignment(assignment)))


def _commands() -> ModuleType:
    """What the commands do once their options are checked: imported only now, while a warm sandbox starts."""
    from gradekit.grade import commands

    return commands


def _check_fit(submission: Path, one_class: bool, shard: str | None, times: Path | None,
               lms_metadata: Path | None) -> None:
    """Refuse options that do not fit what is graded: --shard splits a class; --lms-metadata is one submission's
    record, and gives its time (so no --times beside it)."""
    if shard is not None and not one_class:
        raise KitError(f"--shard {shard} splits a class, but {submission} is one submission", path=submission,
                       fix="leave out --shard, or give the folder that holds the class's submissions")
    if lms_metadata is not None and one_class:
        raise KitError(f"--lms-metadata is one submission's record, but {submission} is a class's download from an "
                       "LMS", path=lms_metadata,
                       fix="leave out --lms-metadata: a class's download (Gradescope's export) or --times gives "
                           "each submission's time")
    if lms_metadata is not None and times is not None:
        raise KitError("--times and --lms-metadata both give the submission's time", path=times,
                       fix="pass one of them: --lms-metadata when grading in Gradescope's autograder")


def _check_cluster(submission: Path, one_class: bool, dask_scheduler: str | None, jobs: int | None) -> None:
    """--dask-scheduler grades a class on the cluster's workers: not one submission, and with no --jobs."""
    if dask_scheduler is not None and not one_class:
        raise KitError(f"--dask-scheduler grades a class, but {submission} is one submission", path=submission,
                       fix="leave out --dask-scheduler, or give the folder that holds the class's submissions")
    if dask_scheduler is not None and jobs is not None:
        raise KitError("--jobs sets how many local processes grade, but --dask-scheduler grades on the cluster's "
                       "workers", path=submission, fix="leave out --jobs: start more Dask workers instead")


def check(folder: Path = Path(EXERCISES), *, assignment: str | None = None,
          course_file: Path = Path(COURSE_FILE)) -> int:
    """Run the public tests on your work in FOLDER: a line per part, with the same hints as the grade.

    Exits 1 while any public test fails (a commit hook or a CI workflow can gate on it), else 0.
    """
    paths, course = open_course(course_file)
    with warm_sandbox(course.limits_for(course.assignment(assignment))) as zygote:
        return _commands().check_work(folder, paths=paths, course=course, assignment=assignment, zygote=zygote)


def _outside_submission(out: Path, submission: Path) -> None:
    """--out must not be in what is graded: the results would be written among (and over) the student's files."""
    out, graded = out.resolve(), submission.resolve()
    if graded.is_dir() and (out == graded or graded in out.parents):
        raise KitError(f"--out {out} is inside the submission: results.json, feedback.md and figures/ would be "
                       "written among the student's files", path=submission,
                       fix="pass --out a folder outside it, e.g. --out graded/NAME")
    for name in (RESULTS, FEEDBACK):
        if (out / name).is_file() and not _written_by_kit(out / name):
            raise KitError(f"{name} is there and was not written by the kit; nothing was changed", path=out,
                           fix="pass --out a new folder, or one that holds an earlier grading")


def _written_by_kit(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.name == FEEDBACK:
        return text.startswith("# Feedback")
    return '"kit_version"' in text


def _stopped(signum: int) -> str:
    return (f"Error: grading stopped by {signal.Signals(signum).name}; what was graded is kept, "
            "run the same command again to grade the rest.")


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`K/N` as (K, N) with 0 <= K < N, or a KitError."""
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
        if 0 <= k < n:
            return k, n
    except ValueError:
        pass
    raise KitError(f"--shard {text} is not K/N with 0 <= K < N", fix="e.g. --shard 0/4 for the first of four shards")
