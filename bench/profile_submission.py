"""Profile: where one submission's time goes inside a class run.

Grades a class as a grading process of `grade CLASS -j 1` does (one warm zygote, the reference and
graders imported once), with a timer around each step of the pipeline, and reports the median time
of each step per submission, against the floor F of starting Python with the course's imports
measured in the same run. The worker's side is timed from the grader's: "import of the submission"
is from the fork until the worker's greeting (it copies the submission into its sandbox, then
imports it); "calls to the worker" are the round trips of the graders' calls (the student's code,
the data both ways, and the figures the worker renders, which are also timed apart in this process).

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

from grade_class import FLOOR, ROOT, SAMPLES, timed

sys.path.insert(0, str(ROOT))

from gradekit.content import helper_functions, helpers_source, open_course  # noqa: E402
from gradekit.grade import batch, pipeline  # noqa: E402
from gradekit.grade.late import Timing  # noqa: E402
from gradekit.grade.proxies import load_reference  # noqa: E402
from gradekit.intake import class_entries, entry_digest, staged  # noqa: E402
from gradekit.sandbox import zygote as zygote_module  # noqa: E402
from gradekit.sandbox.pool import launch_zygotes  # noqa: E402
from gradekit.sandbox.runner import wire  # noqa: E402
from gradekit.sandbox.worker import Worker  # noqa: E402

STEPS = {  # label: (owner, attribute) of the function timed for it
    "fork of the worker (zygote spawn)": (zygote_module.Zygote, "spawn"),
    "worker start: init message sent (helpers, datasets)": (Worker, "start"),
    "import of the submission (fork to greeting)": (Worker, "wait_ready"),
    "calls to the worker (round trips)": (Worker, "call"),
    "scripts run in the worker": (Worker, "run_script"),
    "pytest session (without the calls)": (pipeline, "run_session"),
    "intake (copy, support files, manifest)": (pipeline, "take_in"),
    "grader check (require_sound_graders)": (pipeline, "require_sound_graders"),
    "scoring and results (build_results)": (pipeline, "build_results"),
    "feedback, figures and results.json written": (pipeline, "write_outputs"),
    "worker ended and sandbox reaped": (Worker, "close"),
}
NESTED = {"worker start: init message sent (helpers, datasets)": ("fork of the worker (zygote spawn)",),
          "pytest session (without the calls)": ("calls to the worker (round trips)", "scripts run in the worker")}


class Timers:
    """Seconds spent in each step during the submission being graded now."""

    def __init__(self) -> None:
        self.now: dict[str, float] = defaultdict(float)
        self.figures = 0

    def wrap(self, label: str, function):
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.now[label] += time.perf_counter() - start
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

    def take(self, total: float) -> dict[str, float]:
        """This submission's steps (each exclusive of the steps nested in it), and the rest of its time."""
        steps = dict(self.now)
        for outer, inner in NESTED.items():
            steps[outer] = steps.get(outer, 0.0) - sum(steps.get(label, 0.0) for label in inner)
        steps["rest (temporary folders, lateness, bookkeeping)"] = total - sum(steps.values())
        steps["total"] = total
        self.now.clear()
        return steps


def grade_class_profiled(class_folder: Path, out: Path, paths, course, profile: cProfile.Profile | None):
    """Grade each entry as a grading process does; the steps of each submission, in order."""
    name = course.default_assignment
    chosen = course.assignment(name)
    (zygote,) = launch_zygotes(1, course.limits_for(chosen))
    load_reference(paths.reference, chosen.modules, helper_functions(helpers_source(paths)))
    timers, rows = Timers(), []
    try:
        with timers.installed():
            for entry in class_entries(class_folder):
                if profile is not None:
                    profile.enable()
                start = time.perf_counter()
                batch.grade_staged(entry, staged(entry), out / entry.student, entry_digest(entry), paths=paths,
                                   course=course, assignment=name, seed=1, timing=Timing(), zygote=zygote)
                rows.append(timers.take(time.perf_counter() - start))
                if profile is not None:
                    profile.disable()
    finally:
        zygote.close()
    return rows[1:]  # the first waits for the zygote's imports


def render_seconds(rows_out: Path) -> float:
    """Median time to render one figure as the worker does (Agg, PNG at its dpi), on the figures graded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    times = []
    for _ in range(9):
        fig, axes = plt.subplots(1, 3)
        for ax in axes:
            ax.imshow(np.random.default_rng(0).random((28, 28)), cmap="gray")
        start = time.perf_counter()
        wire.rendered_summary(fig, True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print the N functions of the grader's side with the most cumulative time")
    opts = parser.parse_args()
    paths, course = open_course(ROOT / "course.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        batch_make_class(folder, opts.students)
        timed(FLOOR)  # warm the page cache
        floor = statistics.median(timed(FLOOR) for _ in range(3))
        profile = cProfile.Profile() if opts.cprofile else None
        rows = grade_class_profiled(folder, Path(tmp) / "out", paths, course, profile)
    labels = [label for label in rows[0] if label != "total"] + ["total"]
    print(f"| step (median over {len(rows)} submissions, alternately correct and mistaken) | per submission | / floor |")
    print("|---|---|---|")
    for label in labels:
        seconds = statistics.median(row.get(label, 0.0) for row in rows)
        bold = "**" if label == "total" else ""
        print(f"| {bold}{label}{bold} | {bold}{seconds * 1000:.0f} ms{bold} | {bold}{seconds / floor:.3f}{bold} |")
    print(f"| floor F | {floor:.2f} s | 1.000 |")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(opts.cprofile)


def batch_make_class(folder: Path, students: int) -> None:
    import shutil

    for i in range(students):
        shutil.copytree(SAMPLES[i % len(SAMPLES)], folder / f"student{i:02d}")


if __name__ == "__main__":
    main()
