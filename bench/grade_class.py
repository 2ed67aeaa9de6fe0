"""Benchmark: a class of N submissions graded with --jobs 1 and --jobs J, per submission, against
the floor of starting Python with the course's imports, all measured in this run. Scaling is also
given for the marginal cost of a submission (a class of 2N minus a class of N), which leaves out
the fixed start-up and gradebook of a run. Each round times all five back to back and every ratio
is taken within a round, so a machine whose speed drifts during the run weighs on both sides alike;
the figures are the medians over the rounds. Last, one more run of the class with --jobs J gives
its peak memory: of its largest process, and of all its processes together (their proportional set
sizes, which count pages that forks share once, summed every 0.1 s; psutil, a `bench` extra).

    python bench/grade_class.py [--students 12] [--jobs 2] [--runs 5]
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


PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")  # KiB, of the largest process it waited for


def largest_process_mb(argv: list[str]) -> float:
    """Peak resident size (MB) of the largest process of the command `argv` (itself or one of its descendants)."""
    peak = subprocess.run([sys.executable, "-c", PEAK, *argv], cwd=ROOT, check=True, capture_output=True, text=True)
    return int(peak.stdout.split()[-1]) / 1024


def whole_run_mb(argv: list[str]) -> float:
    """Peak (MB) of the summed proportional set sizes of the command `argv` and all its descendants."""
    import psutil

    proc, peak = psutil.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL), 0
    while proc.poll() is None:
        total = 0
        for member in [proc, *proc.children(recursive=True)]:
            try:
                total += member.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        peak = max(peak, total)
        time.sleep(0.1)
    return peak / 2**20


def make_class(folder: Path, students: int) -> None:
    for i in range(students):
        shutil.copytree(SAMPLES[i % len(SAMPLES)], folder / f"student{i:02d}")


def class_argv(folder: Path, out: str, jobs: int) -> list[str]:
    """A full (--force) class run."""
    return [sys.executable, "cli.py", "grade", str(folder), "--out", out, "-j", str(jobs), "--seed", "1", "--force"]


def class_time(folder: Path, jobs: int) -> float:
    """Wall time of a full class run."""
    with tempfile.TemporaryDirectory() as out:
        return timed(class_argv(folder, out, jobs))


def one_round(folder: Path, double: Path, jobs: int) -> dict[str, float]:
    """The floor and the four class runs, back to back."""
    return {"floor": timed(FLOOR), "serial": class_time(folder, 1), "parallel": class_time(folder, jobs),
            "serial_2n": class_time(double, 1), "parallel_2n": class_time(double, jobs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    n = opts.students
    with tempfile.TemporaryDirectory() as tmp:
        folder, double = Path(tmp) / "class", Path(tmp) / "double"
        make_class(folder, n)
        make_class(double, 2 * n)
        timed(FLOOR)  # warm the page cache
        rounds = [one_round(folder, double, opts.jobs) for _ in range(opts.runs)]
        with tempfile.TemporaryDirectory() as out:
            largest = largest_process_mb(class_argv(folder, out, opts.jobs))
        with tempfile.TemporaryDirectory() as out:
            whole = whole_run_mb(class_argv(folder, out, opts.jobs))

    def median(figure) -> float:
        return statistics.median(figure(r) for r in rounds)

    floor, serial, parallel = (statistics.median(r[key] for r in rounds) for key in ("floor", "serial", "parallel"))
    marginal_serial = median(lambda r: (r["serial_2n"] - r["serial"]) / n)
    marginal_parallel = median(lambda r: (r["parallel_2n"] - r["parallel"]) / n)
    print(f"| measure ({n} submissions, median of {opts.runs} rounds) | wall | per submission | / floor |")
    print("|---|---|---|---|")
    print(f"| floor: `python -c \"import numpy, scipy.signal, matplotlib.pyplot, pytest\"` | {floor:.2f} s | | 1.00 |")
    print(f"| `grade CLASS -j 1` | {serial:.2f} s | {serial / n:.2f} s | "
          f"{median(lambda r: r['serial'] / n / r['floor']):.3f} |")
    print(f"| `grade CLASS -j {opts.jobs}` | {parallel:.2f} s | {parallel / n:.2f} s | "
          f"**{median(lambda r: r['parallel'] / n / r['floor']):.3f}** (target <= 0.25) |")
    print(f"| scaling -j 1 -> -j {opts.jobs}, wall | {median(lambda r: r['serial'] / r['parallel']):.2f}x | | "
          f"(ideal {opts.jobs:.1f}x) |")
    print(f"| marginal submission ({2 * n} minus {n}), -j 1 / -j {opts.jobs} | | {marginal_serial:.3f} s / "
          f"{marginal_parallel:.3f} s | **{median(lambda r: (r['serial_2n'] - r['serial']) / n / r['floor']):.3f}**"
          f" (target <= 0.15) / {median(lambda r: (r['parallel_2n'] - r['parallel']) / n / r['floor']):.3f} |")
    print(f"| scaling of the marginal submission, -j 1 -> -j {opts.jobs} | | | "
          f"{median(lambda r: (r['serial_2n'] - r['serial']) / (r['parallel_2n'] - r['parallel'])):.2f}x |")
    print(f"| peak memory of `grade CLASS -j {opts.jobs}`: largest process / all processes (PSS) | | "
          f"{largest:.0f} MB / {whole:.0f} MB | |")


if __name__ == "__main__":
    main()
