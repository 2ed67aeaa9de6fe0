"""One owner for every location of the kit and of a grading run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradekit.course import Course


@dataclass(frozen=True)
class KitPaths:
    """Where the course's content lives, from the folder holding course.yaml."""

    root: Path

    @classmethod
    def find(cls, course_file: Path | str = "course.yaml") -> "KitPaths":
        return cls(Path(course_file).resolve().parent)

    @property
    def course_file(self) -> Path:
        return self.root / "course.yaml"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def graders(self) -> Path:
        return self.root / "graders"

    @property
    def mutants(self) -> Path:
        return self.graders / "mutants"

    def support_files(self, course: Course) -> list[Path]:
        """Handout files a student need not hand in: data and loaders, not the stubs."""
        submitted = {f for a in course.assignments.values() for f in a.files}
        return sorted(p for p in self.exercises.glob("*") if p.is_file() and p.suffix in (".py", ".npz")
                      and p.name not in submitted)


@dataclass(frozen=True)
class RunPaths:
    """The files a grading run writes for one submission."""

    out: Path

    @property
    def results(self) -> Path:
        return self.out / "results.json"

    @property
    def feedback(self) -> Path:
        return self.out / "feedback.md"

    @property
    def figures(self) -> Path:
        return self.out / "figures"
