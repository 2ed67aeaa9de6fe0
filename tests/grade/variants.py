"""Grading variants of the reference: the reference with a function or two rewritten, graded through the pipeline.

`Variants.grade(source)` appends `source` to a copy of a reference module (as the mutants of
graders/mutants/ are built), grades it with `gradekit.grade.pipeline.grade` through a warm
sandbox, and returns what each part lost and what each test said.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradekit.course import open_course
from gradekit.grade.pipeline import grade
from gradekit.results import Results
from gradekit.sandbox.pool import ZygotePool

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Graded:
    results: Results

    def lost(self) -> dict[str, float]:
        """Points lost per part, for the parts that lost any."""
        lost: dict[str, float] = {}
        for test in self.results.tests:
            if test.score < test.max_score:
                lost[test.part] = round(lost.get(test.part, 0.0) + test.max_score - test.score, 6)
        return lost

    def text(self, part: str) -> str:
        """What the tests of `part` told the student, failed or passed (notes of accepted variants included)."""
        return "\n".join(t.output for t in self.results.tests if t.part == part)


class Variants:
    """Grades rewritten copies of the reference; one warm sandbox per set of limits, closed by `close()`."""

    def __init__(self) -> None:
        self.paths, self.course = open_course(ROOT / "course.yaml")
        self.pool = ZygotePool()
        self._tmp = tempfile.TemporaryDirectory(prefix="gradekit-variants-")
        self._count = 0

    def grade(self, source: str = "", *, module: str = "neural_network", assignment: str = "library",
              seed: int = 20261201, sources: dict[str, str] | None = None) -> Graded:
        """Grade the reference with `source` appended to `module` (and `sources`: module -> source, likewise)."""
        self._count += 1
        work = Path(self._tmp.name) / str(self._count)
        folder = work / "submission"
        folder.mkdir(parents=True)
        for path in self.paths.reference.glob("*.py"):
            shutil.copyfile(path, folder / path.name)
        for name, text in {**(sources or {}), **({module: source} if source else {})}.items():
            target = folder / f"{name}.py"
            target.write_text(target.read_text(encoding="utf-8") + "\n\n# --- variant ---\n" + text, encoding="utf-8")
        chosen = self.course.assignment(assignment)
        results = grade(folder, work / "out", paths=self.paths, course=self.course, assignment=assignment, seed=seed,
                        zygote=self.pool.get(self.course.limits_for(chosen)))
        shutil.rmtree(folder)
        return Graded(results)

    def close(self) -> None:
        self.pool.close()
        self._tmp.cleanup()
