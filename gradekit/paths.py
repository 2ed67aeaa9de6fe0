"""One owner for every location of the kit and of a grading run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradekit.course import Course
from gradekit.errors import KitError

# What the kit writes into a class's --out folder, beside one folder per student.
GRADEBOOK = "gradebook.csv"
REPORT = "report.html"
REPORT_FIGURES = "report"  # the report's PNG files
SIMILARITY = ("similarity.html", "similarity.csv")
CLASS_OUTPUTS = frozenset({GRADEBOOK, REPORT, REPORT_FIGURES, *SIMILARITY})


@dataclass(frozen=True)
class KitPaths:
    """Where the course's content lives, from the folder holding course.yaml."""

    root: Path

    @classmethod
    def find(cls, course_file: Path | str = "course.yaml") -> "KitPaths":
        return cls(Path(course_file).resolve().parent)

    def require_content(self) -> None:
        """Raise unless the course's reference/ and graders/ are beside course.yaml, where the kit looks."""
        missing = [p.name + "/" for p in (self.reference, self.graders) if not p.is_dir()]
        if missing:
            raise KitError(f"no {' or '.join(missing)} beside the course file: the kit looks for the course's "
                           f"content in {self.reference} and {self.graders}", path=self.course_file,
                           fix="pass --course the course.yaml of a kit checkout or of a released handout")

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
