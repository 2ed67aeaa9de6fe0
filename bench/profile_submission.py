"""Profile: where one submission's time goes inside a class run.

Grades a class as a grading process of `grade CLASS -j 1` does (one warm zygote, the reference and
graders imported once), with a timer around each step of the pipeline, and reports the median time
of each step per submission, against the floor F of starting Python with the course's imports
(measured before and after the class; their median). The worker's side is timed from the grader's:
the worker copies the submission into its sandbox and imports it while pytest's session starts, and
the first call waits for what is left of it ("waiting for the import"); "calls to the worker" are the
round trips of the graders' calls, of which "in the worker" is what the worker reports (the student's
code; the figures it returns are drawn into PNGs by forked children meanwhile, timed apart here on the
reference's figures, and fetched once the tests are done). A worker's sandbox is reaped while the
grader writes its results: the next spawn waits for what is left of that.

    python bench/profile_submission.py [--students 24] [--cprofile N]
"""

from __future__ import annotations

import argparse
import cProfile
import contextlib
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from grade_class import FLOOR, ROOT, make_class, timed

sys.path.insert(0, str(ROOT))

from gradekit.content import content_digest, course_content, helper_functions, helpers_source
from gradekit.course import open_course  # noqa: E402
from gradekit.grade import batch, pipeline  # noqa: E402
from gradekit.grade.late import Timing  # noqa: E402
from gradekit.grade.proxies import load_reference  # noqa: E402
from gradekit.intake import class_entries, entry_digest, staged  # noqa: E402
from gradekit.sandbox.pool import launch_zygotes  # noqa: E402
from gradekit.sandbox.worker import Worker  # noqa: E402
from gradekit.sandbox.zygote import Zygote  # noqa: E402

FORK, START, IMPORT = "fork of the worker (zygote spawn; first the last worker's reap)", \
    "init message sent (helpers, datasets)", "waiting for the import of the submission (in the first call)"
CALLS, SCRIPTS, PYTEST = "calls to the worker (round trips)", "scripts run in the worker", \
    "pytest session (graders, reference, comparisons; without the calls)"
STEPS = {  # label: (owner, attribute) of the function timed for it, in the order a submission meets them
    "grader check (require_sound_graders)": (pipeline, "require_sound_graders"),
    "intake (copy, support files, manifest)": (pipeline, "take_in"),
    FORK: (Zygote, "spawn"),
    START: (Worker, "start"),
    IMPORT: (Worker, "wait_ready"),
    CALLS: (Worker, "call"),
    SCRIPTS: (Worker, "run_script"),
    PYTEST: (pipeline, "run_session"),
    "figures' PNGs fetched from the children drawing them": (Worker, "finish_figures"),
    "worker ended (its sandbox is reaped before the next spawn)": (Worker, "close"),
    "scoring and results (build_results)": (pipeline, "build_results"),
    "feedback, figures and results.json written": (pipeline, "write_outputs"),
}
# Steps timed inside another, taken out of it, in this order: the calls without the import they waited for, then
# the session without both.
NESTED = {START: (FORK,), CALLS: (IMPORT,), PYTEST: (CALLS, SCRIPTS, IMPORT)}
IN_WORKER = "  of the calls: in the worker (the student's code, and forking the children that draw its figures)"
PNG = "  beside them: drawing the figures' PNGs in those children, on another core (timed apart)"


class Timers:
    """Seconds spent in each step during the submission being graded now, and the calls' time in the worker."""

    def __init__(self) -> None:
        self.now: dict[str, float] = defaultdict(float)

    def wrap(self, label: str, function):
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                self.now[label] += time.perf_counter() - start
            if label == CALLS:
                self.now[IN_WORKER] += result.elapsed
            return result
        return timed_call

    @contextlib.contextmanager
    def installed(self):
        saved = [(owner, name, getattr(owner, name)) for owner, name in STEPS.values()]
        for label, (owner, name) in STEPS.items():
            setattr(owner, name, self.wrap(label, getattr(owner, name)))
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)

    def take(self, total: float, figures: int, png_seconds: float) -> dict[str, float]:
        """This submission's steps (each without the steps nested in it), and the rest of its time."""
        steps = {label: self.now.get(label, 0.0) for label in STEPS}
        for outer, inner in NESTED.items():
            steps[outer] -= sum(steps[label] for label in inner)
        steps["rest (temporary folders, lateness, bookkeeping)"] = total - sum(steps.values())
        steps[IN_WORKER], steps[PNG] = self.now.get(IN_WORKER, 0.0), figures * png_seconds
        steps["total"] = total
        self.now.clear()
        return steps


def png_seconds(reference) -> float:
    """The median time to render one of the blog's exercise figures as the worker does (its titles placed lightly)."""
    from gradekit.sandbox.runner import import_hooks, titles
    from gradekit.sandbox.runner.pngs import png_of
    import matplotlib.pyplot as plt
    import numpy as np

    import_hooks.after_import(titles.MODULE, titles.place_lightly)

    image = np.random.default_rng(0).random((28, 28))
    times = []
    for exercise in ("exercise_3", "exercise_4") * 5:
        fig = getattr(reference, exercise)(image, "5")[-1]
        start = time.perf_counter()
        png_of(fig)
        times.append(time.perf_counter() - start)
        plt.close(fig)
    return statistics.median(times)


def grade_class_profiled(class_folder: Path, out: Path, paths, course, profile: cProfile.Profile | None):
    """Grade each entry as a grading process does; the steps of each submission, in order."""
    name = course.default_assignment
    chosen = course.assignment(name)
    (zygote,) = launch_zygotes(1, course.limits_for(chosen))
    reference = load_reference(paths.reference, chosen.modules, helper_functions(helpers_source(paths)))
    png = png_seconds(reference)
    timers, rows, content = Timers(), [], content_digest(course_content(paths, course))
    try:
        with timers.installed():
            for entry in class_entries(class_folder):
                if profile is not None:
                    profile.enable()
                start = time.perf_counter()
                batch.grade_staged(entry, staged(entry), out / entry.student, entry_digest(entry), paths=paths,
                                   course=course, assignment=name, course_sha256=content, seed=1, timing=Timing(),
                                   zygote=zygote)
                total = time.perf_counter() - start
                batch.settle_heap()  # as a grading process does after each submission
                if profile is not None:
                    profile.disable()
                rows.append(timers.take(total, len(list((out / entry.student).glob("figures/*.png"))), png))
    finally:
        zygote.close()
    return rows[1:]  # the first waits for the zygote's imports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print the N functions of the grader's side with the most cumulative time")
    opts = parser.parse_args()
    paths, course = open_course(ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp) / "class", opts.students)
        timed(FLOOR)  # warm the page cache
        floors = [timed(FLOOR) for _ in range(3)]
        profile = cProfile.Profile() if opts.cprofile else None
        rows = grade_class_profiled(Path(tmp) / "class", Path(tmp) / "out", paths, course, profile)
        floors += [timed(FLOOR) for _ in range(3)]
    floor = statistics.median(floors)
    print(f"| step (median of {len(rows)} submissions, alternately correct and mistaken) | per submission | / F |")
    print("|---|---|---|")
    for label in rows[0]:
        seconds = statistics.median(row[label] for row in rows)
        bold = "**" if label == "total" else ""
        print(f"| {bold}{label}{bold} | {bold}{seconds * 1000:.0f} ms{bold} | {bold}{seconds / floor:.3f}{bold} |")
    print(f"| floor F (median of 6: 3 before, 3 after) | {floor:.2f} s | 1.000 |")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(opts.cprofile)


if __name__ == "__main__":
    main()
