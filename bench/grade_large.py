"""Benchmark: cost as a class grows. Synthetic classes of each size (alternately a correct and a mistaken
submission, each student's copy made distinct by a comment) are graded with -j J; then the same
command again, on the unchanged class, measures a resume. Each figure is given against the floor F
of starting Python with the course's imports, measured in the same run; memory is the peak resident
size of the largest process of the run (the grader or one of its grading processes).

    python bench/grade_large.py [--sizes 100 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from grade_class import FLOOR, SAMPLES, largest_process_mb, timed  # the same floor, samples and measures


def make_class(folder: Path, students: int) -> None:
    """`students` submissions, alternately correct and mistaken, each with its own content hash."""
    for i in range(students):
        student = folder / f"student{i:04d}"
        shutil.copytree(SAMPLES[i % len(SAMPLES)], student)
        with open(student / "neural_network.py", "a", encoding="utf-8") as fh:
            fh.write(f"\n# student {i}\n")


def grade(folder: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Wall time and peak memory (MB, of its largest process) of `grade CLASS`."""
    argv = [sys.executable, "cli.py", "grade", str(folder), "--out", str(out), "-j", str(jobs), "--seed", "1"]
    start = time.perf_counter()
    peak_mb = largest_process_mb(argv)
    return time.perf_counter() - start, peak_mb


def measure(size: int, jobs: int, tmp: Path) -> dict[str, float]:
    folder, out = tmp / f"class{size}", tmp / f"out{size}"
    make_class(folder, size)
    floor = timed(FLOOR)
    first, peak_mb = grade(folder, out, jobs)
    resume, _ = grade(folder, out, jobs)
    return {"floor": floor, "per_submission": first / size, "resume": resume, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        timed(FLOOR)  # warm the page cache
        rows = {size: measure(size, opts.jobs, Path(tmp)) for size in opts.sizes}
    smallest = rows[min(rows)]
    print(f"| class (-j {opts.jobs}) | per submission | / floor | vs smallest | resume unchanged | / floor | "
          "peak memory (largest process) |")
    print("|---|---|---|---|---|---|---|")
    for size, row in rows.items():
        print(f"| {size} | {row['per_submission']:.3f} s | {row['per_submission'] / row['floor']:.3f} | "
              f"{row['per_submission'] / smallest['per_submission']:.2f}x | {row['resume']:.2f} s | "
              f"**{row['resume'] / row['floor']:.2f}** (target < 2) | {row['peak_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
