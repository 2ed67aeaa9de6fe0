"""Code every student had, which the similarity check never counts as evidence.

- The handout: the code `release` hands out for the assignment (its stubs, the functions it
  provides whole, the support modules, as .py files or one notebook) and the course's exercises/
  (every assignment's stubs), computed from reference/ as `release` writes them.
- The blog's published code, as the course holds it: every function some assignment hands out
  whole (its `provided` functions: the blog's listings of the earlier parts, from reference/).
  The blog's listings of an assignment's own parts are not in the kit: pass them with --exclude.
- The files an instructor passes with --exclude.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.layout import EXERCISES, KitPaths
from gradekit.release.stubs import EVERYTHING, function_spans, stub_source
from gradekit.submission import notebook_source

Files = dict[str, bytes]  # a name to show -> its source


def handout_code(paths: KitPaths, course: Course, key: str) -> Files:
    """The code `release` hands out for assignment `key`: its handout's .py files, its notebook's code cells (as
    `grade` reads a notebook), and the course's exercises/."""
    # Imported here, not by every command (cli.py reads this package's defaults): the release imports the grading's.
    from gradekit.release.handout import exercises_files, handout_work

    files = {f"{key}'s {path.as_posix()}": data for path, data in handout_work(paths, course, key).items()}
    files.update({f"the course's {EXERCISES}/{path.as_posix()}": data
                  for path, data in exercises_files(paths, course).items()})
    with tempfile.TemporaryDirectory(prefix="gradekit-handout-") as tmp:
        for path, data in handout_work(paths, course, key, notebook=True).items():
            if path.suffix == ".ipynb":
                (Path(tmp) / path.name).write_bytes(data)
                files[f"{key}'s {path.as_posix()}"] = notebook_source(Path(tmp) / path.name).encode("utf-8")
    return {name: data for name, data in files.items() if name.endswith((".py", ".ipynb"))}


def blog_code(paths: KitPaths, course: Course) -> Files:
    """The functions the course's assignments provide whole, from reference/ without the solution markers."""
    provided = {name for assignment in course.assignments.values() for name in assignment.provided}
    modules = {name for a in course.assignments.values() if a.provided for name in a.files if name.endswith(".py")}
    found: Files = {}
    for module in sorted(modules):
        source = stub_source((paths.reference / module).read_text(encoding="utf-8"), module=module, keep=EVERYTHING)
        lines = source.splitlines(keepends=True)
        picked = ["".join(lines[first - 1:last]) for first, last, name in function_spans(source, module)
                  if name in provided]
        if picked:
            found[f"the provided functions of {module}"] = "".join(picked).encode("utf-8")
    return found


def listings(files: tuple[Path, ...]) -> Files:
    """The files passed with --exclude, by their path."""
    for path in map(Path, files):
        if not path.is_file():
            raise KitError("file to exclude not found", path=path,
                           fix="pass a .py file of code everyone had, such as a listing of the blog")
    return {str(path): path.read_bytes() for path in map(Path, files)}
