"""The handouts, generated from the instructor's reference/: the course's exercises/, or one assignment's folder.

`release_handout` writes the course's exercises/: collect the reference files, stub every
solution block of the Python ones, copy the rest verbatim, add a README generated from
course.yaml, write it all atomically. The output depends only on its inputs (no timestamps), so
the committed handout can be checked for drift by releasing again and comparing bytes.

`release_assignment` writes one assignment's handout to a folder a student can work in on their own:

    README.md           the assignment: parts, points, notes, due date, how to check and hand in
    exercises/          their work: stubs (or one notebook), the earlier parts' functions it
                        builds on (whole), and the data; no other assignment's functions
    graders/            the public tests only, on fixed inputs (graders/conftest.py), and the helpers
    reference/          the reference's answers to those inputs, recorded here: no solutions
    cli.py, gradekit/, course.yaml, requirements.txt
                        the student's command line (check, package: nothing that could write over
                        their work) and the engine, so `python cli.py check` and `python cli.py
                        package` run in DIR
"""

from __future__ import annotations

from pathlib import Path

import gradekit
from gradekit.content import assignment_notes
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.fsio import runtime_dependencies
from gradekit.layout import COURSE_FILE, ENGINE, EXERCISES, GRADERS, REFERENCE, KitPaths, files_under
from gradekit.release.folder import Released, claim_folder, course_yaml, single_assignment, write_release
from gradekit.release.public_tests import graders_folder, public_tests
from gradekit.release.readme import readme
from gradekit.release.record import recorded_answers
from gradekit.release.stubs import function_spans, others_work, stub_source, without

PLOTS = (".png",)  # saved by running the exercises: not part of a handout
HANDOUT_CLI = '''"""This handout's command line: `python cli.py check` your work, then `python cli.py package` it (README.md)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradekit.cli.common import run  # noqa: E402
from gradekit.cli.student import student  # noqa: E402

if __name__ == "__main__":
    run(student)
'''


def release_handout(root: Path, course: Course, dest: Path | None = None) -> Released:
    """Write the course's exercises/ (default dest: root / "exercises"), keeping files changed since the last
    release; a folder that is not such a release is refused (a handout's exercises/ is the student's work)."""
    paths = KitPaths(Path(root))
    dest = Path(dest) if dest is not None else paths.exercises
    elsewhere = f"move {dest} away (or delete it if nothing in it is yours), then release again"
    previous = claim_folder(dest, "exercises", None, elsewhere).get("files", {})
    contents = exercises_files(paths, course)
    notes = {key: assignment_notes(paths, course, key) for key in course.assignments}
    contents[Path("README.md")] = readme(course, contents, notes).encode("utf-8")
    written, kept = write_release(dest, contents, previous, {"format": "exercises", "course_version": course.version})
    return Released(dest, "the course's exercises", written, kept)


def exercises_files(paths: KitPaths, course: Course) -> dict[Path, bytes]:
    """The course's exercises/ but its README: reference/ with every solution stubbed."""
    return {path.relative_to(paths.reference): _stubbed(path, paths, course) if path.suffix == ".py"
            else path.read_bytes() for path in reference_files(paths, course)}


def reference_files(paths: KitPaths, course: Course) -> list[Path]:
    """Every file of reference/ but caches and plots; each assignment's files must be there."""
    for key, assignment in course.assignments.items():
        for name in assignment.files:
            if not (paths.reference / name).is_file():
                raise KitError(f"assignment '{key}' lists '{name}', which is not in {paths.reference}",
                               path="course.yaml", fix=f"add reference/{name} or remove it from 'files'")
    return [p for p in files_under(paths.reference) if p.suffix not in PLOTS]


def support_from_reference(paths: KitPaths, course: Course) -> dict[str, bytes]:
    """Reference files no assignment asks students to write: data and loaders, handed out as they are."""
    found = {p.relative_to(paths.reference).as_posix(): p for p in reference_files(paths, course)}
    return {name: path.read_bytes() for name, path in found.items() if name not in course.submitted_files}


def _stubbed(path: Path, paths: KitPaths, course: Course, assignment: Assignment | None = None) -> bytes:
    """A reference module with its solutions stubbed out, each stub naming the assignment that grades it.

    For one `assignment`'s handout, the functions of other assignments that hold a solution are
    left out, its provided functions are handed out whole, and every stub names it.
    """
    module = path.relative_to(paths.root).as_posix()
    source = path.read_text(encoding="utf-8")
    keep: set[str] = set()
    if assignment is not None:
        others = others_work(source, module, {*assignment.parts, *assignment.provided})
        source = without(source, others) if others else source
        keep = set(assignment.provided)
    stubbed = stub_source(source, module=module, course=course, assignment=assignment, keep=keep)
    function_spans(stubbed, f"{module} (after stubbing)")  # the handout must still be valid Python
    return stubbed.encode("utf-8")


def release_assignment(paths: KitPaths, course: Course, key: str, dest: Path, *, notebook: bool = False) -> Released:
    """Write assignment `key`'s handout (see the module's docstring) to `dest`; `notebook`: its code in a notebook."""
    fmt = "notebook" if notebook else "py"
    previous = claim_folder(dest, fmt, key).get("files", {})
    one = single_assignment(course, key)
    work = handout_work(paths, course, key, notebook=notebook)
    data = {name: content for name, content in support_from_reference(paths, course).items()
            if not name.endswith(".py")}
    tests = public_tests(paths, one.assignments[key])
    graders = graders_folder(paths, tests)
    files = {**work, **_engine_files(paths), Path(COURSE_FILE): course_yaml(one, key, list(tests)).encode("utf-8")}
    files.update({Path(REFERENCE) / name: content for name, content in data.items()})
    files.update({Path(GRADERS) / name: source.encode("utf-8") for name, source in graders.items()})
    files.update(recorded_answers(paths, one, key, graders, data))
    notes = {key: assignment_notes(paths, one, key)}
    files[Path("README.md")] = readme(one, work, notes, key=key, notebook=notebook).encode("utf-8")
    written, kept = write_release(dest, files, previous, {"format": fmt, "assignment": key,
                                                          "course_version": course.version})
    return Released(dest, f"the {'notebook ' if notebook else ''}handout of {key}", written, kept)


def handout_work(paths: KitPaths, course: Course, key: str, *, notebook: bool = False) -> dict[Path, bytes]:
    """Assignment `key`'s exercises/ as handed out: the course's support files, the assignment's stubs and its
    provided functions whole (or its notebook)."""
    support = support_from_reference(paths, course)  # the whole course's: no assignment's files are support
    work = {Path(EXERCISES) / name: data for name, data in support.items()}
    own = _student_files(paths, single_assignment(course, key), key, notebook)
    work.update({Path(EXERCISES) / name: data for name, data in own.items()})
    return work


def _student_files(paths: KitPaths, course: Course, key: str, notebook: bool) -> dict[str, bytes]:
    """The assignment's files with stubs for its parts and the provided functions whole (or its notebook)."""
    assignment = course.assignments[key]
    if notebook:
        # Imported here: nbformat and what it loads take ~0.9 s, which the similarity check, reading a .py handout,
        # would pay.
        from gradekit.release.notebook import handout_notebook, notebook_bytes

        return {f"{key}.ipynb": notebook_bytes(handout_notebook(paths, course, key))}
    return {name: _stubbed(paths.reference / name, paths, course, assignment) for name in assignment.files}


def _engine_files(paths: KitPaths) -> dict[Path, bytes]:
    """cli.py (the student's commands only), the gradekit package and requirements.txt: what `check` and
    `package` need to run."""
    engine = Path(gradekit.__file__).resolve().parent
    files = {Path("cli.py"): HANDOUT_CLI.encode("utf-8")}
    files.update({Path(ENGINE) / p.relative_to(engine): p.read_bytes() for p in files_under(engine)})
    requirements = runtime_dependencies(paths.root / "pyproject.toml")
    files[Path("requirements.txt")] = "".join(f"{r}\n" for r in requirements).encode("utf-8")
    return files
