"""Tests of the tests: the reference scores full marks, the stubs zero, and every mutant is caught.

A mutant (graders/mutants/<name>.py) is a deliberately broken function or two. It declares
`MODULE` (the file it replaces functions in), `BREAKS` (the part that must lose points, as
`<assignment>/<part>` where several assignments have a part of that name) and `HINT` (text the
feedback must contain). A mutant that is not caught shows the feedback it got. Its functions are appended to the reference module,
so they override the correct ones and everything else stays right.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gradekit.authoring import course_problems
from gradekit.console import echo
from gradekit.course import Course, open_course
from gradekit.errors import KitError
from gradekit.grade.feedback import feedback_markdown
from gradekit.grade.pipeline import grade
from gradekit.layout import COURSE_FILE, KitPaths
from gradekit.results import Results
from gradekit.sandbox.pool import ZygotePool

SEED = 20261125


@dataclass(frozen=True)
class MutantSpec:
    path: Path
    module: str
    breaks: str
    hint: str

    @property
    def name(self) -> str:
        return self.path.stem


def read_mutant(path: Path) -> MutantSpec:
    """The MODULE, BREAKS and HINT constants of a mutant file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except SyntaxError as exc:
        raise KitError(f"line {exc.lineno}: {exc.msg}", path=path, fix="a mutant must be valid Python") from None
    consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
              for t in n.targets if isinstance(t, ast.Name)}
    missing = [k for k in ("MODULE", "BREAKS", "HINT") if not isinstance(consts.get(k), str)]
    if missing:
        raise KitError(f"missing {', '.join(missing)}", path=path,
                       fix='declare MODULE = "<module>", BREAKS = "<part>", HINT = "<text of the hint>"')
    return MutantSpec(path, consts["MODULE"], consts["BREAKS"], consts["HINT"])


def build_mutant(paths: KitPaths, spec: MutantSpec, dest: Path) -> Path:
    """A full submission: the reference, with the mutant's code appended to its module."""
    dest.mkdir(parents=True)
    for source in paths.reference.glob("*.py"):
        shutil.copyfile(source, dest / source.name)
    target = dest / f"{spec.module}.py"
    if not target.exists():
        raise KitError(f"MODULE '{spec.module}' is not a reference module", path=spec.path,
                       fix=f"use one of: {', '.join(p.stem for p in paths.reference.glob('*.py'))}")
    target.write_text(target.read_text(encoding="utf-8") + "\n\n# --- mutant ---\n" +
                      spec.path.read_text(encoding="utf-8"), encoding="utf-8")
    return dest


def validate_graders(paths: KitPaths, course: Course, echo: Callable[[str], None] = print) -> list[str]:
    """Run every proof; return the failures (empty when the graders are sound)."""
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gradekit-validate-") as tmp, Grader(paths, course) as grade_as:
        work = Path(tmp)
        for name, assignment in course.assignments.items():
            ref = grade_as(paths.reference, work / f"ref-{name}", name)
            failures += _expect(ref.score == ref.max_score, f"reference scores {ref.score:g}/{ref.max_score:g} "
                                f"on {name}" + _failed_names(ref), echo)
            stub = grade_as(paths.exercises, work / f"stub-{name}", name)
            failures += _expect(stub.score == 0, f"handout stubs score {stub.score:g} on {name}", echo)
        for path in sorted(paths.mutants.glob("*.py")):
            failures += _check_mutant(read_mutant(path), paths, course, work, grade_as, echo)
    return failures


class Grader:
    """Grades with the fixed seed, forking each worker from a warm sandbox (one per set of limits)."""

    def __init__(self, paths: KitPaths, course: Course):
        self.paths, self.course = paths, course
        self.pool = ZygotePool()

    def __call__(self, source: Path, out: Path, assignment: str) -> Results:
        limits = self.course.limits_for(self.course.assignment(assignment))
        return grade(source, out, paths=self.paths, course=self.course, assignment=assignment, seed=SEED,
                     zygote=self.pool.get(limits))

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()


def _check_mutant(spec: MutantSpec, paths: KitPaths, course: Course, work: Path, grade_as: Grader,
                  echo: Callable[[str], None]) -> list[str]:
    owner, part = _target(spec, course)
    if owner is None:
        return [f"{spec.name}: BREAKS '{spec.breaks}' {part}"]
    submission = build_mutant(paths, spec, work / f"mutant-{spec.name}")
    results = grade_as(submission, work / f"out-{spec.name}", owner)
    broken = [t for t in results.tests if t.part == part and t.status == "failed"]
    collateral = sorted({t.part for t in results.tests if t.part != part and t.status == "failed"})
    hinted = any(spec.hint.lower() in t.output.lower() for t in broken)
    problems = []
    if not broken:
        problems.append(f"{spec.name}: no test of {part} failed")
    elif not hinted:
        problems.append(f"{spec.name}: no failed test of {part} gave the hint '{spec.hint}'")
    if collateral:
        problems.append(f"{spec.name}: also lost points on {', '.join(collateral)}")
    lost = round(sum(t.max_score for t in broken), 2)
    echo(f"{'ok  ' if not problems else 'FAIL'} mutant {spec.name}: {part} loses {lost:g} points"
         + ("" if not problems else f" ({'; '.join(problems)})"))
    if problems:
        echo(_indented(feedback_markdown(results.for_student(), [])))
    return problems


def _target(spec: MutantSpec, course: Course) -> tuple[str | None, str]:
    """The assignment and part a mutant breaks, from `part` or `assignment/part`; else None and why not."""
    key, _, part = spec.breaks.rpartition("/")
    owners = course.owners(part)
    if key:
        owners = [key] if key in owners else []
    if len(owners) == 1:
        return owners[0], part
    if not owners:
        return None, "is not a part of any assignment"
    return None, f"is a part of {', '.join(owners)}: write BREAKS = \"<assignment>/{part}\""


def _indented(text: str) -> str:
    """The feedback a mutant got, indented under its FAIL line."""
    return "\n".join(f"     | {line}" if line else "     |" for line in text.strip().splitlines())


def _expect(ok: bool, message: str, echo: Callable[[str], None]) -> list[str]:
    echo(f"{'ok  ' if ok else 'FAIL'} {message}")
    return [] if ok else [message]


def _failed_names(results: Results) -> str:
    failed = [t.name for t in results.tests if t.status == "failed"]
    return f" (failed: {'; '.join(failed)})" if failed else ""


def main(*, course_only: bool = False, course_file: Path = Path(COURSE_FILE)) -> int:
    """Check course.yaml and its content; then prove the graders: reference full marks, stubs zero, every mutant caught."""
    paths, course = open_course(course_file, content=False)
    if paths.reference.is_dir() and paths.graders.is_dir() and not paths.release_marker.exists():
        problems = course_problems(paths, course)
        if problems:
            more = f" (and {len(problems) - 1} more: {'; '.join(str(p) for p in problems[1:4])})" if len(problems) > 1 else ""
            raise KitError(f"{problems[0].message}{more}", path=problems[0].path, fix=problems[0].fix)
    total = round(sum(a.max_score for a in course.assignments.values()), 2)
    echo(f"{course_file}: OK ({len(course.assignments)} assignments, {total:g} points)")
    if course_only:
        return 0
    paths.require_content()
    failures = validate_graders(paths, course, echo=echo)
    if failures:
        raise KitError(f"{len(failures)} grader check(s) failed: " + "; ".join(failures))
    return 0
