"""Grading one submission, as steps that return values: intake, session in a worker, score, lateness, write.

`grade` runs them once; `grade_or_kit_error` regrades in a fresh sandbox after a kit fault and
ends a fault that persists as a kit error, never as the student's zero.
"""

from __future__ import annotations

import platform
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy

import gradekit
from gradekit import stopping
from gradekit.authoring import named_reference_functions, require_sound_graders
from gradekit.content import dataset_payload, helper_functions, helpers_source
from gradekit.course import Assignment, Course
from gradekit.errors import KitError, KitFault
from gradekit.fsio import write_atomic
from gradekit.grade.feedback import write_feedback
from gradekit.grade.late import Lateness, Timing, late_for
from gradekit.grade.proxies import ReferenceProxy, import_failure, load_reference
from gradekit.grade.scoring import score_tests, total
from gradekit.grade.session import Grading, SessionResult, run_session
from gradekit.layout import MANIFEST, KitPaths, RunPaths
from gradekit.package import verify_manifest
from gradekit.results import GRADED, KIT_ERROR, NO_SUBMISSION, Results, save_results
from gradekit.sandbox.worker import Worker
from gradekit.sandbox.zygote import Zygote
from gradekit.submission import Submission, prepare

KIT_RETRIES = 2  # regradings in a fresh sandbox after a kit fault, before the submission is a kit error
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Intake:
    """The submission as prepared for the worker, and what its manifest says."""

    submission: Submission
    status: str  # graded, or no-submission when none of the assignment's files is there
    manifest: dict | None
    changed: list[str]  # files that differ from the manifest's digests
    accepted: tuple[str, ...] = ()  # files handed in that the assignment's `also_accepted` patterns match


@dataclass(frozen=True)
class Sandbox:
    """How the worker was contained, for the provenance."""

    layer: str
    notes: list[str]
    restarts: int
    import_errors: dict


def grade(source: Path, out: Path, *, paths: KitPaths, course: Course, assignment: str | None = None,
          seed: int | None = None, force_layer: str | None = None, public_only: bool = False,
          timing: Timing = Timing(), extra: dict | None = None, zygote: Zygote | None = None) -> Results:
    """Grade `source` for one assignment and write results.json, feedback and figures to `out`.

    A `zygote` (class grading) forks the worker warm instead of starting a sandbox for it.
    `public_only` runs just the parts course.yaml marks public (what `check` shows students).
    The late policy uses `timing` (the LMS's time and due date, the student's extension), else the packaged
    manifest's time.
    """
    start = time.perf_counter()
    key = assignment or course.default_assignment
    chosen = course.assignment(key).public_only() if public_only else course.assignment(key)
    graders = require_sound_graders(paths, course, key)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    try:
        with stopping.temporary_directory("gradekit-", zygote.workdir if zygote else None) as tmp:
            intake = take_in(Path(source), Path(tmp), paths, course, chosen)
            session, sandbox = run_in_worker(intake, paths, course, chosen, graders, seed, force_layer, zygote)
        late = late_for(timing, intake.manifest, chosen, course.late_policy_for(chosen), chosen.max_score)
        meta = {**(extra or {}), **provenance(course, key, seed, sandbox), "status": intake.status}
        results = build_results(Path(source), chosen, intake, session, sandbox, late, meta,
                                time.perf_counter() - start)
        write_outputs(results, session, RunPaths(Path(out)))
    finally:
        if zygote is not None:  # the worker's sandbox, asked to be emptied as it closed, is empty before we return
            zygote.settle()
    return results


def take_in(source: Path, tmp: Path, paths: KitPaths, course: Course, chosen: Assignment) -> Intake:
    """Copy or extract the submission, add the handout's support files, read its manifest."""
    support = paths.support_files(course.submitted_files)
    submission = prepare(source, tmp / "submission", support, chosen.modules)
    accepted = also_accepted(submission.folder, chosen, {p.name for p in support})
    handed_in = accepted or any((submission.folder / name).exists() for name in chosen.files)
    manifest, changed = verify_manifest(submission.folder)
    return Intake(submission, GRADED if handed_in else NO_SUBMISSION, manifest, changed, tuple(accepted))


def also_accepted(folder: Path, chosen: Assignment, support: set[str]) -> list[str]:
    """The files in `folder` that the assignment's `also_accepted` patterns match (not counting the handout's
    `support` files, which every prepared submission holds)."""
    return sorted({path.name for pattern in chosen.also_accepted for path in folder.glob(pattern)
                   if path.is_file() and path.name not in support})


def run_in_worker(intake: Intake, paths: KitPaths, course: Course, chosen: Assignment, graders: list[Path],
                  seed: int, force_layer: str | None, zygote: Zygote | None) -> tuple[SessionResult, Sandbox]:
    """Start the worker over the submission and run the graders against it and the reference."""
    helpers = helpers_source(paths)
    worker = Worker(intake.submission.folder, chosen.modules, course.limits_for(chosen), force_layer=force_layer,
                    zygote=zygote, helpers=helpers, environment=course.environment,
                    datasets=dataset_payload(paths, course))

    def load() -> ReferenceProxy:
        return load_reference(paths.reference, chosen.modules, helper_functions(helpers),
                              named_reference_functions(graders))

    # The reference imports while the worker starts: before it, where the warm sandbox is still importing (a
    # worker's spawn waits for that); else while the worker imports the submission in its sandbox, as pytest's
    # session starts meanwhile too (its first call waits for the worker's greeting).
    early = load() if zygote is not None and not zygote.ready else None
    with stopping.cleanup_on_stop(worker.close), worker:
        reference = early if early is not None else load()
        session = run_session(graders, paths.graders, Grading(course, chosen, worker, reference, seed,
                                                              worker.import_errors))
        import_errors = worker.import_errors()
        if session.exit_code not in (0, 1, 5):  # 5: no test of this assignment's parts
            raise KitError(f"the graders did not run (pytest exit {session.exit_code}): {_tail(session.output)}",
                           path=paths.graders, fix="run `python cli.py validate` and fix the grader named")
        if worker.fault or reference.fault:
            raise KitFault(worker.fault or reference.fault)
        worker.finish_figures()
        return session, Sandbox(worker.layer, worker.notes, worker.restarts, import_errors)


def build_results(source: Path, chosen: Assignment, intake: Intake, session: SessionResult, sandbox: Sandbox,
                  late: Lateness, meta: dict, seconds: float) -> Results:
    """The submission's results, assembled once from the steps' values."""
    tests = score_tests(session.outcomes, chosen)
    raw = total([t.score for t in tests])
    lines = [_import_line(m, e, intake.accepted) for m, e in sorted(sandbox.import_errors.items())]
    if intake.changed:
        lines.insert(0, f"Files changed after packaging (they do not match {MANIFEST}): {', '.join(intake.changed)}.")
    notes = [*(meta.get("intake_notes") or []), *intake.submission.notes]  # the class's intake's, then this one's
    lines[:0] = [note if note.endswith(".") else f"{note}." for note in notes]
    lines.insert(0, late.sentence())
    if intake.status == NO_SUBMISSION:
        also = f" (nor any {' or '.join(chosen.also_accepted)})" if chosen.also_accepted else ""
        lines.insert(0, f"Nothing to grade: none of {', '.join(chosen.files)} is in the submission{also} "
                        f"(it holds {_listing(source)}).")
    extra = {"submission_sha256": intake.submission.digest, "submission": intake.submission.source.name,
             "manifest_created": (intake.manifest or {}).get("created"), "manifest_mismatch": intake.changed,
             "import_errors": {module: {"type": error.get("type"), "reason": import_failure(module, error)}
                               for module, error in sorted(sandbox.import_errors.items())},
             **meta, "intake_notes": notes, "raw_score": raw, "late": late.record()}
    return Results(score=max(0.0, total([raw, -late.penalty])), max_score=chosen.max_score,
                   execution_time=round(seconds, 3), output="\n".join(line for line in lines if line), tests=tests,
                   extra_data=extra)


def write_outputs(results: Results, session: SessionResult, run: RunPaths) -> None:
    """The figures, the feedback, and last results.json: it is there only once its grading completed."""
    for name, fig in session.figures.items():
        if fig.png.startswith(PNG):
            write_atomic(run.figures / f"{name}.png", fig.png)
    write_feedback(results, run)
    save_results(results, run.results)


def grade_or_kit_error(source: Path, out: Path, *, course: Course, assignment: str | None = None,
                       seed: int | None = None, extra: dict | None = None, zygote: Zygote | None = None,
                       **options) -> Results:
    """grade(), regraded in a fresh sandbox after a kit fault; a fault that persists ends as a kit error.

    A KitFault, or any other exception of the grading machinery (student faults never raise), is
    the kit's: the submission is graded again up to KIT_RETRIES times, then its results.json says
    "kit-error" and carries no score. A KitError (a user error) is not retried: it propagates.
    """
    seed = seed if seed is not None else secrets.randbelow(2**31)
    for _ in range(1 + KIT_RETRIES):
        try:
            return grade(source, out, course=course, assignment=assignment, seed=seed, extra=extra, zygote=zygote,
                         **options)
        except KitError:
            raise
        except Exception as exc:  # noqa: BLE001 - KitFault, ZygoteDied or a bug: the kit's fault, never a zero
            fault = exc
            if zygote is not None:
                zygote.stop()  # the next attempt starts a new sandbox
    return record_kit_error(fault, out, course=course, assignment=assignment, seed=seed, extra=extra)


def record_kit_error(fault: Exception, out: Path, *, course: Course, assignment: str | None, seed: int,
                     extra: dict | None) -> Results:
    """Write to `out` the results and feedback of a submission the kit could not grade (see kit_error_results)."""
    results = kit_error_results(fault, course, assignment, seed, extra)
    run = RunPaths(Path(out))
    write_feedback(results, run)
    save_results(results, run.results)
    return results


def kit_error_results(fault: Exception, course: Course, assignment: str | None, seed: int,
                      extra: dict | None) -> Results:
    """The results of a submission the kit could not grade: no score, the reason, regraded next run."""
    chosen = course.assignment(assignment)
    reason = f"{type(fault).__name__}: {fault}".strip().rstrip(":")[:300]
    output = (f"Not graded: the grading kit failed {1 + KIT_RETRIES} times ({reason}). This is the kit's fault, "
              "not the student's; the next run regrades it.")
    meta = {"status": KIT_ERROR, "kit_error": reason, "attempts": 1 + KIT_RETRIES, "seed": seed,
            "assignment": assignment or course.default_assignment, "course_version": course.version,
            "kit_version": gradekit.__version__, **(extra or {})}
    return Results(score=0, max_score=chosen.max_score, execution_time=0, output=output, tests=[], extra_data=meta)


def _import_line(module: str, error: dict, accepted: tuple[str, ...]) -> str:
    """Why a module did not import, for the student; a missing one is no failure when other files stand for it."""
    if error.get("type") == "MissingFile" and accepted:
        return f"{module}.py is not in the submission: {', '.join(accepted)} graded instead."
    return import_failure(module, error) + ". The functions that could still be loaded were graded."


def _listing(source: Path) -> str:
    """What a submission holds, for a student told that nothing in it could be graded."""
    names = sorted(p.name + "/" * p.is_dir() for p in source.iterdir()) if source.is_dir() else [source.name]
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "nothing"


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:600]


def provenance(course: Course, key: str, seed: int, sandbox: Sandbox) -> dict:
    return {
        "seed": seed,
        "assignment": key,
        "kit_version": gradekit.__version__,
        "course_version": course.version,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "isolation": sandbox.layer,
        "isolation_notes": sandbox.notes,
        "worker_restarts": sandbox.restarts,
        "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
