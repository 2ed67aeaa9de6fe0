"""Benchmark: grading one correct submission against the floor of starting Python with the
course's imports, both measured in this run. The two alternate, so a machine that speeds up or
slows down during the run weighs on both alike; the ratio is the median of the N pairs' ratios.

    python bench/grade_one.py [--runs 7] [--submission samples/blog_solution]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import numpy, scipy.signal, matplotlib.pyplot, pytest"]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def alternating(first: list[str], second: list[str], runs: int) -> list[tuple[float, float]]:
    """`runs` pairs of timings, each pair run back to back, after one unmeasured pair."""
    timed(first), timed(second)  # warm the page cache
    return [(timed(first), timed(second)) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--submission", default="samples/blog_solution")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        grade = [sys.executable, "cli.py", "grade", opts.submission, "--out", out, "--seed", "1"]
        pairs = alternating(FLOOR, grade, opts.runs)
    ratios = sorted(g / f for f, g in pairs)
    print("| measure | median of %d runs |" % opts.runs)
    print("|---|---|")
    print(f"| floor: `python -c \"import numpy, scipy.signal, matplotlib.pyplot, pytest\"` | "
          f"{statistics.median(f for f, _ in pairs):.2f} s |")
    print(f"| `python cli.py grade {opts.submission}` | {statistics.median(g for _, g in pairs):.2f} s |")
    print(f"| ratio, median of the pairs (target <= 1.3) | **{statistics.median(ratios):.2f}x** "
          f"(pairs: {ratios[0]:.2f}-{ratios[-1]:.2f}) |")


if __name__ == "__main__":
    main()
