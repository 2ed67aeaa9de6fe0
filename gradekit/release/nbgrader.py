"""An nbgrader course from the kit's course: `release ASSIGNMENT --to COURSE_DIR --format nbgrader`.

COURSE_DIR gets nbgrader_config.py (the course directory, its id and gradebook, offline, and where the
kit's tests are), source/<assignment>/<assignment>.ipynb with the data files, and kit_tests/<assignment>/:
the assignment's course.yaml with the course's graders and reference, which the autograder cells run.
nbgrader copies only source/ into what it hands out and what it grades, so students never get
kit_tests/, and nbgrader's feedback (the graded notebook) shows none of it.

The notebook is the kit's notebook of the assignment (see gradekit.release.notebook) in nbgrader's terms:

- each function to write is a solution cell holding the reference code between nbgrader's
  `### BEGIN SOLUTION` / `### END SOLUTION` markers (the kit's reference uses the same ones);
- after it, an autograder test cell per test of the kit for that part, worth the test's share of the
  part's points as `grade` gives it. When nbgrader grades, the cell's `_kit_test(title)` runs the kit's
  test on the notebook's namespace (gradekit.grade.kernel) and prints the kit's verdict, hint and notes;
  when a student runs it, a public part's cell first checks the function on fixed inputs against the
  reference's answers. No cell has hidden tests: each is the same in source/ and release/, so nbgrader's
  checksums hold and its feedback holds no test code and no hidden input;
- setup cells, the functions handed out whole and the checks' helper are read-only; the helper
  cell holds the course's named helper functions (graders/helpers.py) when a check passes one.

The fixed inputs are those the kit's own graders give the reference, drawn with a fixed seed and
rounded to 4 decimals (the answers are computed again on the rounded inputs), at most one per test and
the smallest first, so the cells stay readable.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from gradekit import nbformat_import
from gradekit.content import grader_files, helpers_source
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.grade.kernel import SEED_VARIABLE
from gradekit.grade.scoring import score_tests
from gradekit.layout import COURSE_FILE, GRADERS, REFERENCE, KitPaths, ignored
from gradekit.release.folder import Released, claim_folder, course_yaml, write_release
from gradekit.release.handout import reference_files, support_from_reference
from gradekit.release.notebook import Piece, assignment_pieces, new_notebook, notebook_bytes
from gradekit.release.public_tests import CHECK_SEED
from gradekit.release.record import Call, Recorder, plain, record_reference
from gradekit.results import TestResult
from gradekit.sandbox.runner import wire

nbformat = nbformat_import.imported()

BUDGET = 12000  # characters of a part's checks (beyond the first): fixed inputs and answers
DECIMALS = 4
WIDTH = 110  # characters per line of a test cell
TESTS = "kit_tests"  # COURSE_DIR/kit_tests/<assignment>/: the kit's course, graders and reference
TESTS_VARIABLE = "GRADEKIT_NBGRADER_TESTS"  # where nbgrader_config.py tells the notebooks' kernels TESTS is


def release_nbgrader(paths: KitPaths, course: Course, key: str, dest: Path) -> Released:
    """Write (or add assignment `key` to) the nbgrader course in `dest`."""
    previous = claim_folder(dest, "nbgrader", None)
    assignment = course.assignment(key)
    recorder = record_reference(paths, course, assignment, paths.graders, seed=CHECK_SEED)
    nb = nbgrader_notebook(paths, course, key, recorder)
    files = {Path("nbgrader_config.py"): nbgrader_config(course, assignment).encode("utf-8"),
             Path("source") / key / f"{key}.ipynb": notebook_bytes(nb)}
    files.update({Path("source") / key / name: data for name, data in support_from_reference(paths, course).items()})
    files.update(kit_tests(paths, course, key))
    assignments = sorted(set(previous.get("assignments", [])) | {key})
    written, kept = write_release(dest, files, previous.get("files", {}),
                                  {"format": "nbgrader", "assignments": assignments, "course_version": course.version})
    return Released(dest, f"the nbgrader course with {', '.join(assignments)}", written, kept)


def kit_tests(paths: KitPaths, course: Course, key: str) -> dict[Path, bytes]:
    """kit_tests/<key>/: what the autograder cells of `key` run, a course of its own: its course.yaml, the
    course's graders (not their mutants) and its reference."""
    folder = Path(TESTS) / key
    graders = [path.name for path in grader_files(paths, key, course.assignment(key))]
    what = "the course file of the kit's tests that this nbgrader course's autograder cells run."
    files = {folder / COURSE_FILE: course_yaml(course, key, graders, what).encode("utf-8")}
    files.update({folder / GRADERS / path.name: path.read_bytes() for path in sorted(paths.graders.glob("*.py"))
                  if not ignored(path.name)})
    files.update({folder / REFERENCE / path.relative_to(paths.reference): path.read_bytes()
                  for path in reference_files(paths, course)})
    return files


def nbgrader_config(course: Course, assignment: Assignment) -> str:
    course_id = re.sub(r"[^a-z0-9]+", "-", course.course.lower()).strip("-")
    timeout = course.limits_for(assignment).cpu_s
    return f'''"""nbgrader's configuration for the course "{course.course}" (course version {course.version}).

Run nbgrader in this folder, e.g. `nbgrader generate_assignment <assignment>`, then with the students'
notebooks in submitted/<student>/<assignment>/, `nbgrader autograde <assignment>` and
`nbgrader generate_feedback <assignment>`. Everything stays in this folder: no network, no shared exchange.
The autograder cells run the kit's tests from {TESTS}/ (never handed out), in a Python where gradekit is
installed; `{SEED_VARIABLE}=7 nbgrader autograde <assignment>` draws the inputs of `python cli.py grade --seed 7`.
"""

import os

c = get_config()  # noqa: F821 (nbgrader defines it)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
c.Exchange.root = os.path.join(here, "exchange")
c.Execute.timeout = {timeout}  # seconds per cell
os.environ["{TESTS_VARIABLE}"] = os.path.join(here, "{TESTS}")  # for the notebooks' kernels, which inherit it
'''


def nbgrader_notebook(paths: KitPaths, course: Course, key: str, recorder: Recorder) -> nbformat.NotebookNode:
    """The source notebook of assignment `key`: solution, test and read-only cells as nbgrader wants them."""
    assignment = course.assignment(key)
    tests = kit_test_results(assignment, recorder)
    checks = {part: choose_checks(part, recorder) for part, spec in assignment.parts.items() if spec.public}
    named = "_KIT_FUNCTIONS[" in "".join(source for sources in checks.values() for source in sources.values())
    cells, helper_added = [], False
    for piece in assignment_pieces(paths, course, key, public="public tests"):
        cells.append(_nbgrader_cell(piece))
        if piece.role == "setup" and not helper_added:
            cell = nbformat.v4.new_code_cell(helper_source(key, helpers_source(paths) if named else ""))
            cells.append(_locked(cell, "kit-checks"))
            helper_added = True
        if piece.role == "part":
            part = piece.function
            cells += test_cells(part, assignment, [t for t in tests if t.part == part], checks.get(part, {}))
    return new_notebook(cells, key, assignment)


def kit_test_results(assignment: Assignment, recorder: Recorder) -> list[TestResult]:
    """The kit's tests of the assignment with their points, as `grade` gives them; a cell names each by its title."""
    tests = score_tests(recorder.outcomes, assignment)
    seen: set[str] = set()
    for test in tests:
        if test.name in seen:
            raise KitError(f"two tests of {test.part} are titled '{test.name}', so its nbgrader cells cannot tell "
                           "them apart", path="graders", fix="give each test a docstring of its own (or a {parameter})")
        seen.add(test.name)
    return tests


def _nbgrader_cell(piece: Piece) -> nbformat.NotebookNode:
    if piece.role == "markdown":
        return nbformat.v4.new_markdown_cell(piece.source, id=piece.name)
    if piece.role == "part":
        cell = nbformat.v4.new_code_cell(piece.solution.rstrip("\n"), id=piece.name)
        cell.metadata["nbgrader"] = _meta(piece.name, solution=True)
        return cell
    cell = nbformat.v4.new_code_cell(piece.source.rstrip("\n"), id=piece.name)
    return cell if piece.role == "run" else _locked(cell, piece.name)


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    return meta | ({"points": points} if points is not None else {})


def _locked(cell: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    cell.id = grade_id
    cell.metadata["nbgrader"] = _meta(grade_id, locked=True)
    return cell


def test_cells(part: str, assignment: Assignment, tests: list[TestResult],
               checks: dict[str, str]) -> list[nbformat.NotebookNode]:
    """The autograder cells of `part`: one per test of the kit, worth that test's points, with its check if it has one."""
    cells = []
    for number, test in enumerate(tests, 1):
        share = f"# {test.max_score:g} of {part}'s {assignment.parts[part].points:g} points:"
        if test.name in checks:
            lines = [f"{share} run this cell to check your function on fixed inputs. When your notebook is",
                     "# graded, the kit's test runs instead, on new inputs.", checks[test.name]]
        else:
            lines = [f"{share} the kit's test, run when your notebook is graded."]
        grade_id = f"test_{part}_{number}"
        cell = nbformat.v4.new_code_cell("\n".join([*lines, f"_kit_test({test.name!r})"]), id=grade_id)
        cell.metadata["nbgrader"] = _meta(grade_id, grade=True, locked=True, points=test.max_score)
        cells.append(cell)
    return cells


# -- the checks -----------------------------------------------------------------------------------------

def choose_checks(part: str, recorder: Recorder) -> dict[str, str]:
    """A public part's checks, by the title of the test each is from: of the part's own calls of the reference (or,
    where its tests compute what to expect otherwise, of the reference run as the student), the smallest of each
    test, the smallest tests first while they fit in BUDGET characters (the first always)."""
    titles = {outcome.nodeid: outcome.name for outcome in recorder.outcomes}
    smallest: dict[str, str] = {}
    own = [call for call in recorder.calls if call.part == part and call.function == part] or \
        [call for call in recorder.student_calls if call.part == part and call.function == part]
    for call in own:
        source = check_source(call, recorder)
        if call.test not in smallest or len(source) < len(smallest[call.test]):
            smallest[call.test] = source
    chosen, total = {}, 0
    for test, source in sorted(smallest.items(), key=lambda item: len(item[1])):
        if chosen and total + len(source) > BUDGET:
            break
        chosen[titles[test]] = source
        total += len(source)
    return chosen


def check_source(call: Call, recorder: Recorder) -> str:
    """`_kit_check(function, args, kwargs, expected)`: the call on its inputs rounded, with the reference's answer."""
    args, kwargs, value = _rounded(call, recorder)
    lines = ["_kit_check(", f"    {call.function},"]
    for name, given in (("args", tuple(args)), ("kwargs", kwargs), ("expected", value)):
        lines.append(f"    {name}={literal(plain(given, recorder.helpers), indent=4, column=5 + len(name))},")
    if call.seed is not None:
        lines.append(f"    seed={call.seed},")
    return "\n".join(lines + [")"])


def _rounded(call: Call, recorder: Recorder) -> tuple[tuple, dict, Any]:
    """The inputs with float arrays rounded to DECIMALS and the reference's answer to them (as recorded if it fails)."""
    args, kwargs = _round((call.args, call.kwargs))
    try:
        with np.errstate(all="ignore"):
            value = recorder.reference.call(call.function, *args, seed=call.seed, **kwargs).value
    except Exception:  # noqa: BLE001 - the recorded inputs still make a valid check
        return call.args, call.kwargs, call.value
    return args, kwargs, value


def _round(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.round(value, DECIMALS)
    if isinstance(value, (tuple, list)):
        return type(value)(_round(v) for v in value)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def literal(value: Any, indent: int = 0, column: int | None = None) -> str:
    """Python source that evaluates to `value` in the notebook (NumPy as np, the helpers of helper_source).

    `column` is where the text starts on its line and `indent` that line's indentation: a value too
    long for one line puts its items on lines of their own, one level deeper.
    """
    column = indent if column is None else column
    if isinstance(value, np.ndarray):
        return _array_literal(value, column)
    if isinstance(value, (tuple, list, dict)):
        return _container_literal(value, indent, column)
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return repr(number) if np.isfinite(number) else f"float({repr(number)!r})"
    if isinstance(value, wire.Fn):
        return f"_KIT_FUNCTIONS[{value.name!r}]"
    if isinstance(value, wire.FigureSummary):
        return f"_KitFigure({[tuple(ax.images[-1].shape) for ax in value.axes if ax.images]!r})"
    if value is None or isinstance(value, str):
        return repr(value)
    raise KitError(f"a recorded {type(value).__name__} cannot be written into a test cell", path="graders",
                   fix="let the reference return arrays, numbers, tuples, lists, dicts or figures")


def _array_literal(value: np.ndarray, column: int) -> str:
    digits = {"precision": 12, "floatmode": "maxprec"} if value.dtype.kind in "fc" else {}
    with np.printoptions(nanstr="np.nan", infstr="np.inf", threshold=sys.maxsize, **digits):
        body = np.array2string(value, separator=", ", max_line_width=WIDTH, prefix=" " * (column + len("np.array(")))
    return f"np.array({body}, dtype={value.dtype.name!r})"


def _container_literal(value: tuple | list | dict, indent: int, column: int) -> str:
    opening, closing = {tuple: "()", list: "[]", dict: "{}"}[type(value)]
    keys = [f"{k!r}: " for k in value] if isinstance(value, dict) else [""] * len(value)
    items = list(value.values()) if isinstance(value, dict) else list(value)
    inline = ", ".join(k + literal(v) for k, v in zip(keys, items)) + ("," if type(value) is tuple and len(items) == 1
                                                                        else "")
    if "\n" not in inline and column + len(inline) + 2 <= WIDTH:
        return opening + inline + closing
    inner = indent + 4
    lines = [" " * inner + k + literal(v, inner, inner + len(k)) + "," for k, v in zip(keys, items)]
    return opening + "\n" + "\n".join(lines) + "\n" + " " * indent + closing


HELPER = '''\
# The kit's tests and checks of the autograder cells (read-only). When nbgrader grades this notebook in
# its course's folder, `_kit_test` runs the kit's test of that title on your functions and prints what it
# found. When you run a cell, `_kit_check` calls a function on fixed inputs and compares its answer with
# the reference solution's, to a relative tolerance of 1e-6.
import copy as _kit_copy
import os as _kit_os

import numpy as np


def _kit_test(title):
    folder = _kit_os.environ.get(_KIT_TESTS)
    if not folder:
        print(f"{title}: run by the kit when your notebook is graded.")
        return
    from gradekit.grade.kernel import run_test

    run_test(_kit_os.path.join(folder, _KIT_ASSIGNMENT), _KIT_ASSIGNMENT, title, globals())


class _KitFigure:
    """What a test checks of a figure: the shapes of the images its panels show."""

    def __init__(self, shapes):
        self.shapes = [tuple(s) for s in shapes]


def _kit_check(function, args, kwargs, expected, seed=None):
    if _kit_os.environ.get(_KIT_TESTS):
        return  # graded in the course's folder: the kit's test decides
    if seed is not None:
        np.random.seed(seed)
    got = function(*_kit_copy.deepcopy(args), **_kit_copy.deepcopy(kwargs))
    _kit_same(got, expected, f"{function.__name__}(...)")


def _kit_same(got, expected, where):
    if isinstance(expected, _KitFigure):
        shapes = [tuple(np.shape(ax.images[-1].get_array())) for ax in got.get_axes() if ax.images]
        import matplotlib.pyplot as plt
        plt.close(got)
        assert sorted(shapes) == sorted(expected.shapes), f"{where}: images of {shapes}, expected {expected.shapes}"
    elif isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"{where}: a {type(got).__name__}, expected {len(expected)} values"
        assert len(got) == len(expected), f"{where}: {len(got)} values, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            _kit_same(g, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), f"{where}: expected the keys {sorted(expected)}"
        for k in expected:
            _kit_same(got[k], expected[k], f"{where}[{k!r}]")
    else:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        assert got.shape == expected.shape, f"{where}: shape {got.shape}, expected {expected.shape}"
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-8, equal_nan=True), f"{where}: not the reference's values"
'''


def helper_source(key: str, helpers: str) -> str:
    """The read-only helper cell of assignment `key`; with the course's named helper functions when a check
    passes one.

    `helpers` is the source of graders/helpers.py: the cell defines it inside `_kit_functions()`,
    which returns its public functions by name, as the kit's worker loads them.
    """
    names = (f"\n\n_KIT_ASSIGNMENT = {key!r}\n"
             f"_KIT_TESTS = {TESTS_VARIABLE!r}  # the variable nbgrader_config.py sets to where the kit's tests are\n")
    if not helpers:
        return HELPER + names
    source = re.sub(r"^from __future__ import [^\n]*\n", "", helpers, flags=re.M)
    body = "".join(f"    {line}" if line.strip() else line for line in source.splitlines(keepends=True))
    return (HELPER + "\n\ndef _kit_functions():\n" + body.rstrip("\n") + "\n\n"
            "    return {name: value for name, value in locals().items() if not name.startswith(\"_\")\n"
            "            and callable(value) and getattr(value, \"__module__\", None) == __name__}\n\n\n"
            "_KIT_FUNCTIONS = _kit_functions()  # the course's helpers, which some checks pass by name\n" + names)
