"""Every file and folder name of the kit, of a grading run, a class run, a release and a handout.

One owner: other modules ask here for a path or a name, and `ignored` is the one filter of what
no part of the kit reads (hidden files, caches, bytecode, the debris of archivers and editors).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Iterable

from gradekit.errors import KitError

# A course: its file, and its content beside it; a handout has the same folders.
COURSE_FILE = "course.yaml"
REFERENCE = "reference"
GRADERS = "graders"
EXERCISES = "exercises"
HELPERS = "helpers.py"
CONFTEST = "conftest.py"
MUTANTS = "mutants"

# What one grading writes in its --out folder.
RESULTS = "results.json"
FEEDBACK = "feedback.md"
FEEDBACK_PAGE = "feedback.html"  # the same feedback as a page, written by `report`
FIGURES = "figures"

# What the kit writes into a class's --out folder, beside one folder per student.
GRADEBOOK = "gradebook.csv"
REPORT = "report.html"
REPORT_FIGURES = "report"  # the report's PNG files
SIMILARITY = ("similarity.html", "similarity.csv")
CLASS_OUTPUTS = frozenset({GRADEBOOK, REPORT, REPORT_FIGURES, *SIMILARITY})

# What an LMS puts beside the submissions it exports.
GRADESCOPE_METADATA = "submission_metadata.yml"  # Gradescope's "Export Submissions": who handed in each folder, when

# A packaged submission, and what a release leaves in its folder.
MANIFEST = "MANIFEST.json"
SUBMISSION_ZIP = "submission.zip"
RELEASE_MARKER = ".gradekit-release.json"
ANSWERS = "answers.json"  # the reference's recorded answers, in a handout's reference/
ENGINE = "gradekit"  # the kit's package, in the kit and in every handout
HANDOUT_FOLDERS = (EXERCISES, GRADERS, REFERENCE)

JUNK = frozenset({"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".pytest_cache", ".git", ".DS_Store"})
BYTECODE = (".pyc", ".pyo")


def ignored(relative: PurePath | str) -> bool:
    """True for what the kit never reads: a hidden file or folder, a cache, bytecode, an archiver's debris."""
    parts = PurePath(relative).parts
    return any(part in JUNK or part.startswith(".") for part in parts) or PurePath(relative).suffix in BYTECODE


def files_under(folder: Path) -> list[Path]:
    """Every file under `folder` that is not `ignored`, in path order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not ignored(p.relative_to(folder)))


def grader_modules(folder: Path, patterns: Iterable[str] = ()) -> list[Path]:
    """The grader modules in `folder` that `patterns` name (an assignment's `graders`; none: every test_*.py), in the
    order the patterns name them (each pattern's matches sorted): the order their tests run in."""
    chosen = list(patterns) or ["test_*.py"]
    found = [p for pattern in chosen for p in sorted(folder.glob(pattern))
             if p.is_file() and p.suffix == ".py" and not ignored(p.name)]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class KitPaths:
    """Where the course's content lives, from the folder holding course.yaml."""

    root: Path

    @classmethod
    def find(cls, course_file: Path | str = COURSE_FILE) -> "KitPaths":
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
        return self.root / COURSE_FILE

    @property
    def reference(self) -> Path:
        return self.root / REFERENCE

    @property
    def exercises(self) -> Path:
        return self.root / EXERCISES

    @property
    def graders(self) -> Path:
        return self.root / GRADERS

    @property
    def helpers(self) -> Path:
        """The course's named helper functions (graders pass them by name to students' functions)."""
        return self.graders / HELPERS

    @property
    def conftest(self) -> Path:
        """The course's own fixtures for its graders, if it has any."""
        return self.graders / CONFTEST

    @property
    def mutants(self) -> Path:
        return self.graders / MUTANTS

    @property
    def release_marker(self) -> Path:
        """Present when this folder is a released handout, not the instructor's course."""
        return self.root / RELEASE_MARKER

    def support_files(self, submitted: set[str]) -> list[Path]:
        """Handout files a student need not hand in (data and loaders, not the `submitted` stubs)."""
        return sorted(p for p in self.exercises.glob("*") if p.is_file() and p.suffix in (".py", ".npz")
                      and p.name not in submitted and not ignored(p.name))


@dataclass(frozen=True)
class RunPaths:
    """The files a grading run writes for one submission."""

    out: Path

    @property
    def results(self) -> Path:
        return self.out / RESULTS

    @property
    def feedback(self) -> Path:
        return self.out / FEEDBACK

    @property
    def feedback_page(self) -> Path:
        return self.out / FEEDBACK_PAGE

    @property
    def figures(self) -> Path:
        return self.out / FIGURES
