"""Benchmark: grading one correct submission against the floor of starting Python with the
course's imports, both measured in this run (medians of N runs each).

    python bench/grade_one.py [--runs 5] [--submission samples/blog_solution]
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


def median_of(argv: list[str], runs: int) -> float:
    timed(argv)  # warm the page cache
    return statistics.median(timed(argv) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--submission", default="samples/blog_solution")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        grade = [sys.executable, "cli.py", "grade", opts.submission, "--out", out, "--seed", "1"]
        floor = median_of(FLOOR, opts.runs)
        graded = median_of(grade, opts.runs)
    print("| measure | median of %d runs |" % opts.runs)
    print("|---|---|")
    print(f"| floor: `python -c \"import numpy, scipy.signal, matplotlib.pyplot, pytest\"` | {floor:.2f} s |")
    print(f"| `python cli.py grade {opts.submission}` | {graded:.2f} s |")
    print(f"| ratio (target <= 2.0) | **{graded / floor:.2f}x** |")


if __name__ == "__main__":
    main()
