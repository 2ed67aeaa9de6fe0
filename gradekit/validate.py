"""Tests of the tests: the reference scores full marks, the stubs zero, and every mutant is caught.

A mutant (graders/mutants/<name>.py) is a deliberately broken function or two. It declares
`MODULE` (the file it replaces functions in), `BREAKS` (the part that must lose points) and
`HINT` (text the feedback must contain). Its functions are appended to the reference module,
so they override the correct ones and everything else stays right.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gradekit.course import Course, Limits
from gradekit.errors import KitError
from gradekit.grading.run import grade
from gradekit.paths import KitPaths
from gradekit.results import Results
from gradekit.sandbox.zygote import Zygote

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
                       fix='declare MODULE = "neural_network", BREAKS = "<part>", HINT = "<text of the hint>"')
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
        self.zygotes: dict[Limits, Zygote] = {}

    def __call__(self, source: Path, out: Path, assignment: str) -> Results:
        limits = self.course.limits_for(self.course.assignment(assignment))
        if limits not in self.zygotes and Zygote.available():
            self.zygotes[limits] = Zygote(limits)
        return grade(source, out, paths=self.paths, course=self.course, assignment=assignment, seed=SEED,
                     zygote=self.zygotes.get(limits))

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        for zygote in self.zygotes.values():
            zygote.close()


def _check_mutant(spec: MutantSpec, paths: KitPaths, course: Course, work: Path, grade_as: Grader,
                  echo: Callable[[str], None]) -> list[str]:
    owner = course.part_owner(spec.breaks)
    if owner is None:
        return [f"{spec.name}: BREAKS '{spec.breaks}' is not a part of any assignment"]
    submission = build_mutant(paths, spec, work / f"mutant-{spec.name}")
    results = grade_as(submission, work / f"out-{spec.name}", owner)
    broken = [t for t in results.tests if t.part == spec.breaks and t.status == "failed"]
    collateral = sorted({t.part for t in results.tests if t.part != spec.breaks and t.status == "failed"})
    hinted = any(spec.hint.lower() in t.output.lower() for t in broken)
    problems = []
    if not broken:
        problems.append(f"{spec.name}: no test of {spec.breaks} failed")
    elif not hinted:
        problems.append(f"{spec.name}: no failed test of {spec.breaks} gave the hint '{spec.hint}'")
    if collateral:
        problems.append(f"{spec.name}: also lost points on {', '.join(collateral)}")
    lost = sum(t.max_score for t in broken)
    echo(f"{'ok  ' if not problems else 'FAIL'} mutant {spec.name}: {spec.breaks} loses {lost:g} points"
         + ("" if not problems else f" ({'; '.join(problems)})"))
    return problems


def _expect(ok: bool, message: str, echo: Callable[[str], None]) -> list[str]:
    echo(f"{'ok  ' if ok else 'FAIL'} {message}")
    return [] if ok else [message]


def _failed_names(results: Results) -> str:
    failed = [t.name for t in results.tests if t.status == "failed"]
    return f" (failed: {'; '.join(failed)})" if failed else ""
