"""Benchmark: a class of N submissions graded with --jobs 1 and --jobs J, per submission, against
the floor of starting Python with the course's imports, all measured in this run. Scaling is also
given for the marginal cost of a submission (a class of 2N minus a class of N), which leaves out
the fixed start-up and gradebook of a run.

    python bench/grade_class.py [--students 12] [--jobs 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import numpy, scipy.signal, matplotlib.pyplot, pytest"]
SAMPLES = [ROOT / "samples" / "blog_solution", ROOT / "samples" / "typical_student"]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def make_class(folder: Path, students: int) -> None:
    for i in range(students):
        shutil.copytree(SAMPLES[i % len(SAMPLES)], folder / f"student{i:02d}")


def class_time(folder: Path, jobs: int, runs: int) -> float:
    """Median wall time of a full (--force) class run."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            times.append(timed([sys.executable, "cli.py", "grade", str(folder), "--out", out, "-j", str(jobs),
                                "--seed", "1", "--force"]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    n = opts.students
    with tempfile.TemporaryDirectory() as tmp:
        folder, double = Path(tmp) / "class", Path(tmp) / "double"
        make_class(folder, n)
        make_class(double, 2 * n)
        timed(FLOOR)
        floor = statistics.median(timed(FLOOR) for _ in range(5))
        serial, parallel = class_time(folder, 1, opts.runs), class_time(folder, opts.jobs, opts.runs)
        marginal_serial = (class_time(double, 1, opts.runs) - serial) / n
        marginal_parallel = (class_time(double, opts.jobs, opts.runs) - parallel) / n
    print(f"| measure ({n} submissions, median of {opts.runs}) | wall | per submission | / floor |")
    print("|---|---|---|---|")
    print(f"| floor: `python -c \"import numpy, scipy.signal, matplotlib.pyplot, pytest\"` | {floor:.2f} s | | 1.00 |")
    print(f"| `grade CLASS -j 1` | {serial:.2f} s | {serial / n:.2f} s | {serial / n / floor:.2f} |")
    print(f"| `grade CLASS -j {opts.jobs}` | {parallel:.2f} s | {parallel / n:.2f} s | "
          f"**{parallel / n / floor:.2f}** (target <= 0.6) |")
    print(f"| scaling -j 1 -> -j {opts.jobs}, wall | {serial / parallel:.2f}x | | (ideal {opts.jobs:.1f}x) |")
    print(f"| marginal submission ({2 * n} minus {n}), -j 1 / -j {opts.jobs} | | {marginal_serial:.2f} s / "
          f"{marginal_parallel:.2f} s | scaling **{marginal_serial / marginal_parallel:.2f}x** |")

if __name__ == "__main__":
    main()
