"""Benchmark: one class of notebooks graded by `nbgrader autograde` and by `python cli.py grade -j 2`.

Both grade the same part-4.2 notebooks: the release notebook solved with the reference, and copies
with typical mistakes. nbgrader grades them from the nbgrader course that `release --format nbgrader`
writes; the kit grades the folder of notebooks. Only the grading is timed (not nbgrader's
generate_assignment), offline (MNIST_OFFLINE=1), in the same run, on the same inputs (seed 1).
It reports whether the two agree on every part of every notebook.

    python bench/nbgrader_vs_kit.py [--students 12] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradekit.course import load_course  # noqa: E402
from gradekit.grade.kernel import SEED_VARIABLE  # noqa: E402
from gradekit.release.notebook import fill_notebook, notebook_bytes  # noqa: E402

KEY = "part-4.2"
PARTS = list(load_course(ROOT / "course.yaml").assignment(KEY).parts)
SEED = "1"  # the inputs' seed, the same for both
# nbgrader runs the `alembic` script by name: it must find the one installed beside this Python.
ENV = {**os.environ, "MNIST_OFFLINE": "1", SEED_VARIABLE: SEED,
       "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
# name -> (function, text in the reference, replacement): the class's typical mistakes
MISTAKES = {
    "correct": None,
    "cross-correlation": ("conv2d", "signal.convolve2d(", "signal.correlate2d("),
    "stride ignored": ("conv2d", "return output[::stride, ::stride]", "return output"),
    "exercise 2 with stride 1": ("exercise_2", "stride=2", "stride=1"),
    "vertical filter in exercise 3": ("exercise_3", "conv2d(image, HORIZONTAL_FILTER", "conv2d(image, VERTICAL_FILTER"),
    "maps swapped in exercise 4": ("exercise_4", "return horizontal_map, vertical_map, fig",
                                   "return vertical_map, horizontal_map, fig"),
}


def run(argv: list[str], cwd: Path) -> float:
    """Run a command; its wall time."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def with_mistake(solved: nbformat.NotebookNode, mistake: tuple[str, str, str] | None) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solved)
    if mistake is None:
        return nb
    function, old, new = mistake
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == function)
    if old not in cell.source:
        sys.exit(f"the reference's {function} no longer holds {old!r}: update MISTAKES")
    cell.source = cell.source.replace(old, new, 1)
    return nb


def make_class(course: Path, kit_class: Path, students: int) -> dict[str, str]:
    """The same notebooks in nbgrader's submitted/ and in a kit class folder; student -> mistake."""
    release = course / "release" / KEY
    solved = fill_notebook(nbformat.read(release / f"{KEY}.ipynb", as_version=4), ROOT / "reference")
    names = list(MISTAKES)
    roster = {f"student{i:02d}": names[i % len(names)] for i in range(students)}
    kit_class.mkdir(parents=True)
    for student, mistake in roster.items():
        data = notebook_bytes(with_mistake(solved, MISTAKES[mistake]))
        folder = course / "submitted" / student / KEY
        folder.mkdir(parents=True)
        (folder / f"{KEY}.ipynb").write_bytes(data)
        for name in ("mnist_data.py", "mnist_sample.npz"):
            shutil.copy(release / name, folder / name)
        (kit_class / f"{student}.ipynb").write_bytes(data)
    return roster


def nbgrader_parts(course: Path, key: str, student: str) -> dict[str, float]:
    """A student's points per part in nbgrader's gradebook: the sum of the part's cells (test_<part>_<n>)."""
    from nbgrader.api import Gradebook

    parts: dict[str, float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for grade in gradebook.find_submission_notebook(key, key, student).grades:
            part = grade.name.removeprefix("test_").rsplit("_", 1)[0]
            parts[part] = round(parts.get(part, 0.0) + (grade.score or 0.0), 2)
    return parts


def kit_parts(out: Path, parts: list[str]) -> dict[str, dict[str, float]]:
    """Each student's points per part in the kit's gradebook.csv."""
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: {part: float(row[part]) for part in parts} for row in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        course, kit_class, out = Path(tmp) / "course", Path(tmp) / "class", Path(tmp) / "graded"
        run([sys.executable, "cli.py", "release", KEY, "--to", str(course), "--format", "nbgrader"], ROOT)
        run([sys.executable, "-m", "nbgrader", "generate_assignment", KEY, "--force"], course)
        roster = make_class(course, kit_class, opts.students)
        nbgrader_time = run([sys.executable, "-m", "nbgrader", "autograde", KEY], course)
        kit_time = run([sys.executable, "cli.py", "grade", str(kit_class), "--out", str(out), "-a", KEY,
                        "-j", str(opts.jobs), "--seed", SEED, "--force"], ROOT)
        by_nbgrader, by_kit = {s: nbgrader_parts(course, KEY, s) for s in roster}, kit_parts(out, PARTS)
    n = len(roster)
    agree = [s for s in roster if by_nbgrader[s] == by_kit[s]]
    print(f"| grader ({n} part-4.2 notebooks, offline) | wall | per submission |")
    print("|---|---|---|")
    print(f"| `nbgrader autograde {KEY}` | {nbgrader_time:.1f} s | {nbgrader_time / n:.2f} s |")
    print(f"| `python cli.py grade CLASS --out DIR -j {opts.jobs}` | {kit_time:.1f} s | {kit_time / n:.2f} s |")
    print(f"| **ratio nbgrader / kit** | **{nbgrader_time / kit_time:.1f}x** | |")
    print()
    print("| student | notebook | nbgrader | kit | same points per part |")
    print("|---|---|---|---|---|")
    for student, mistake in roster.items():
        nb, kit = by_nbgrader[student], by_kit[student]
        print(f"| {student} | {mistake} | {sum(nb.values()):g} | {sum(kit.values()):g} | "
              f"{'yes' if student in agree else f'no: {nb} / {kit}'} |")
    print(f"\nnbgrader and the kit agree on every part of {len(agree)} of {n} notebooks.")


if __name__ == "__main__":
    main()
