"""Grading one submission: prepare it, start its worker, run the graders, write the results."""

from __future__ import annotations

import platform
import secrets
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy

import gradekit
from gradekit.course import Assignment, Course
from gradekit import stopping
from gradekit.errors import KitError, KitFault
from gradekit.grading.plugin import GradingPlugin, Outcome, import_failure, load_reference, run_graders
from gradekit.late import lateness, parse_time
from gradekit.package import MANIFEST, verify_manifest
from gradekit.paths import KitPaths, RunPaths
from gradekit.results import GRADED, KIT_ERROR, NO_SUBMISSION, Results, TestResult, save_results, write_atomic
from gradekit.sandbox.worker import Worker
from gradekit.sandbox.zygote import Zygote
from gradekit.submission import Submission, prepare

KIT_RETRIES = 2  # regradings in a fresh sandbox after a kit fault, before the submission is a kit error


def grade(source: Path, out: Path, *, paths: KitPaths, course: Course, assignment: str | None = None,
          seed: int | None = None, force_layer: str | None = None, public_only: bool = False,
          submitted_at: datetime | None = None, extra: dict | None = None, zygote: Zygote | None = None) -> Results:
    """Grade `source` for one assignment and write results.json, feedback and figures to `out`.

    A `zygote` (class grading) forks the worker warm instead of starting a sandbox for it.
    `public_only` runs just the parts course.yaml marks public (what `check` shows students).
    The late policy uses `submitted_at`, else the packaged manifest's timestamp.
    """
    from gradekit.grading.feedback import write_feedback

    start = time.perf_counter()
    chosen = course.assignment(assignment)
    if public_only:
        chosen = chosen.model_copy(update={"parts": {k: v for k, v in chosen.parts.items() if v.public}})
    seed = seed if seed is not None else secrets.randbelow(2**31)
    with stopping.temporary_directory("gradekit-", zygote.workdir if zygote else None) as tmp:
        submission = prepare(source, Path(tmp) / "submission", paths.support_files(course), chosen.modules)
        status = GRADED if any((submission.folder / name).exists() for name in chosen.files) else NO_SUBMISSION
        manifest, changed = verify_manifest(submission.folder)
        worker = Worker(submission.folder, chosen.modules, course.limits_for(chosen), force_layer=force_layer,
                        zygote=zygote)
        with stopping.cleanup_on_stop(worker.close), worker:
            reference = load_reference(paths.reference, chosen.modules)
            plugin = GradingPlugin(course, chosen, worker, reference, seed)
            code = run_graders(paths.graders, plugin)
            if code not in (0, 1, 5):  # 5: no grader for this assignment yet
                raise KitError(f"the graders did not run (pytest exit {code}): {_tail(plugin.pytest_output)}",
                               path=paths.graders, fix="run `python cli.py validate` and fix the grader named")
            layer, notes, restarts = worker.layer, worker.notes, worker.restarts
            if worker.fault:
                raise KitFault(worker.fault)
    run = RunPaths(Path(out))
    results = assemble(plugin.outcomes, course, chosen, submission, plugin.import_errors)
    if changed:
        results.output = (f"Files changed after packaging (they do not match {MANIFEST}): {', '.join(changed)}.\n"
                          + results.output).strip()
    results.extra_data.update(manifest_created=(manifest or {}).get("created"), manifest_mismatch=changed)
    results.extra_data.update(extra or {})
    apply_late_policy(results, course, chosen, submitted_at, manifest)
    results.execution_time = round(time.perf_counter() - start, 3)
    results.extra_data.update(_provenance(course, assignment or course.default_assignment, seed, layer, notes,
                                          restarts), status=status)
    if status == NO_SUBMISSION:
        results.output = (f"Nothing to grade: none of {', '.join(chosen.files)} is in the submission "
                          f"(it holds {_listing(Path(source))}).\n" + results.output).strip()
    for name, fig in plugin.figures.items():
        if fig.png.startswith(b"\x89PNG\r\n\x1a\n"):
            write_atomic(run.figures / f"{name}.png", fig.png)
    write_feedback(results, run)
    save_results(results, run.results)  # last: a results.json is there only once its grading completed
    return results


def grade_or_kit_error(source: Path, out: Path, *, course: Course, assignment: str | None = None,
                       seed: int | None = None, extra: dict | None = None, zygote: Zygote | None = None,
                       **options) -> Results:
    """grade(), regraded in a fresh sandbox after a kit fault; a fault that persists ends as a kit error.

    A KitFault, or any other exception of the grading machinery (student faults never raise), is
    the kit's: the submission is graded again up to KIT_RETRIES times, then its results.json says
    "kit-error" and carries no score. A KitError (a user error) is not retried: it propagates.
    """
    from gradekit.grading.feedback import write_feedback

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


def _listing(source: Path) -> str:
    """What a submission holds, for a student told that nothing in it could be graded."""
    names = sorted(p.name + "/" * p.is_dir() for p in source.iterdir()) if source.is_dir() else [source.name]
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "nothing"


def apply_late_policy(results: Results, course: Course, assignment: Assignment, submitted_at: datetime | None,
                      manifest: dict | None) -> None:
    """Take the late penalty off the score and say so in the student's output."""
    source = "submission times"
    if submitted_at is None and manifest and isinstance(manifest.get("created"), str):
        submitted_at, source = parse_time(manifest["created"], MANIFEST), "manifest"
    late = lateness(submitted_at, source, assignment, course.late_policy_for(assignment), results.max_score)
    results.extra_data["raw_score"] = results.score
    results.extra_data["late"] = {"submitted_at": late.submitted_at, "days_late": late.days_late,
                                  "penalty": late.penalty, "source": late.source}
    results.score = round(max(0.0, results.score - late.penalty), 4)
    if late.sentence():
        results.output = (late.sentence() + "\n" + results.output).strip()


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:600]


def assemble(outcomes: list[Outcome], course: Course, assignment: Assignment, submission: Submission,
             import_errors: dict) -> Results:
    """Attach points to outcomes: each part's points are shared equally by its tests."""
    per_part = Counter(o.part for o in outcomes)
    tests = [_test_result(o, assignment, per_part[o.part]) for o in outcomes]
    for part, spec in assignment.parts.items():
        if part not in per_part:
            tests.append(TestResult(name=f"{part}: graded", score=0, max_score=spec.points, status="failed",
                                    output="No grader checks this part yet; your instructor has been told.",
                                    tags=[part], extra_data={"instructor": "no grader test names this part"}))
    order = {part: index for index, part in enumerate(assignment.parts)}
    tests.sort(key=lambda t: order[t.part])  # course.yaml's order, graders' order within a part
    score = round(sum(t.score for t in tests), 4)
    return Results(score=score, max_score=assignment.max_score, execution_time=0.0,
                   output=_summary(import_errors), tests=tests,
                   extra_data={"submission_sha256": submission.digest, "submission": submission.source.name})


def _test_result(outcome: Outcome, assignment: Assignment, count: int) -> TestResult:
    part = assignment.parts[outcome.part]
    most = part.points / count
    text = outcome.message
    if outcome.hint:
        text += f"\nHint: {outcome.hint}"
    if outcome.notes:
        text += ("\n" if text else "") + "\n".join(outcome.notes)
    return TestResult(
        name=outcome.name, score=most if outcome.passed else 0.0, max_score=most,
        status="passed" if outcome.passed else "failed", output=text.strip(), visibility=part.visibility,
        tags=[outcome.part, "not-started" if outcome.not_started else "started"],
        extra_data={"instructor": outcome.detail.strip(), "hint": outcome.hint, "seconds": round(outcome.duration, 3)},
    )


def _summary(import_errors: dict) -> str:
    lines = []
    for module, err in sorted(import_errors.items()):
        lines.append(f"{import_failure(module, err)}. The functions that could still be loaded were graded.")
    return "\n".join(lines)


def _provenance(course: Course, assignment: str, seed: int, layer: str, notes: list[str], restarts: int) -> dict:
    return {
        "seed": seed,
        "assignment": assignment,
        "kit_version": gradekit.__version__,
        "course_version": course.version,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "isolation": layer,
        "isolation_notes": notes,
        "worker_restarts": restarts,
        "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
