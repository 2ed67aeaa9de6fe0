"""release: the committed handout is exactly what the reference generates, and its stubs are sound;
one assignment's handout holds its stubs, data and public tests only, and `check` runs in it."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, load_module
from gradekit.errors import KitError
from gradekit.layout import RELEASE_MARKER, KitPaths
from gradekit.release import release
from gradekit.release.handout import release_assignment, release_handout
from gradekit.release.public_tests import CHECK_SEED, public_tests_source
from gradekit.release.stubs import BEGIN, END, stub_source

HANDOUT = ROOT / "exercises"
STUBBED = ("neural_network.py", "conv_exercises.py")


@pytest.fixture(scope="module")
def handout_modules():
    """The committed handout's two stub modules, imported from exercises/."""
    return {name: load_module(HANDOUT / name, f"handout_{Path(name).stem}") for name in STUBBED}


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    """A copy of the kit's reference/ and notes/ under a temporary root."""
    shutil.copytree(ROOT / "reference", tmp_path / "reference", ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    shutil.copytree(ROOT / "notes", tmp_path / "notes")
    return tmp_path


def functions(source: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


def solution_functions(name: str) -> list[str]:
    """The reference functions of a file that hold a solution block."""
    source = (ROOT / "reference" / name).read_text(encoding="utf-8")
    return [f for f, node in functions(source).items() if BEGIN in ast.get_source_segment(source, node)]


# drift -------------------------------------------------------------------------------------

def test_release_reproduces_committed_handout(course, tmp_path):
    written = release_handout(ROOT, course, tmp_path).written
    relative = sorted(p.relative_to(tmp_path) for p in written)
    drifted = [str(r) for r in relative
               if not (HANDOUT / r).is_file() or (HANDOUT / r).read_bytes() != (tmp_path / r).read_bytes()]
    assert not drifted, f"exercises/ is out of date for {drifted}: run `python cli.py release` and commit the result"
    extra = sorted(str(p.relative_to(HANDOUT)) for p in HANDOUT.rglob("*")
                   if p.is_file() and p.suffix in (".py", ".md", ".npz") and p.relative_to(HANDOUT) not in relative)
    assert not extra, f"exercises/ holds files the release does not write: {extra}"
    assert [str(r) for r in relative] == ["README.md", "conv_exercises.py", "mnist_data.py", "mnist_sample.npz",
                                          "neural_network.py"]
    assert (HANDOUT / RELEASE_MARKER).read_bytes() == (tmp_path / RELEASE_MARKER).read_bytes()


def test_release_default_dest_keeps_unrelated_files_and_skips_caches(course, kit_copy):
    (kit_copy / "reference" / "__pycache__").mkdir()
    (kit_copy / "reference" / "__pycache__" / "neural_network.cpython-311.pyc").write_bytes(b"\0")
    (kit_copy / "reference" / "exercise_3.png").write_bytes(b"png")
    release_handout(kit_copy, course)
    (kit_copy / "exercises" / "my_notes.txt").write_text("mine")
    written = release_handout(kit_copy, course).written
    assert {p.parent for p in written} == {kit_copy / "exercises"}
    assert (kit_copy / "exercises" / "my_notes.txt").read_text() == "mine"
    assert not (kit_copy / "exercises" / "exercise_3.png").exists()
    assert not (kit_copy / "exercises" / "__pycache__").exists()
    assert not list((kit_copy / "exercises").glob(".*.tmp"))


def test_releasing_exercises_again_keeps_a_file_changed_since_and_says_so(course, kit_copy):
    release_handout(kit_copy, course)
    edited = kit_copy / "exercises" / "neural_network.py"
    edited.write_text(edited.read_text() + "# my edit\n")
    before = edited.read_bytes()
    done = release_handout(kit_copy, course)
    assert edited.read_bytes() == before
    assert done.kept == [edited] and edited not in done.written


def test_release_refuses_an_exercises_folder_it_did_not_write(course, kit_copy):
    folder = kit_copy / "exercises"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "neural_network.py").write_text("my own work\n")
    with pytest.raises(KitError, match="not empty and is not a handout released by this kit"):
        release_handout(kit_copy, course)
    assert (folder / "neural_network.py").read_text() == "my own work\n"


def test_release_names_a_missing_assignment_file(course, kit_copy):
    (kit_copy / "reference" / "conv_exercises.py").unlink()
    with pytest.raises(KitError, match="lists 'conv_exercises.py'"):
        release_handout(kit_copy, course, kit_copy / "out")


def test_release_names_a_broken_marker_in_the_reference(course, kit_copy):
    path = kit_copy / "reference" / "neural_network.py"
    lines = path.read_text().splitlines(keepends=True)
    end = max(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
    path.write_text("".join(lines[:end] + lines[end + 1:]))
    never_closed = "reference/neural_network.py: line [0-9]+: '### BEGIN SOLUTION' is never closed"
    with pytest.raises(KitError, match=never_closed):
        release_handout(kit_copy, course, kit_copy / "out")


# stubs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", STUBBED)
def test_release_stubs_raise_naming_function_and_assignment(course, handout_modules, name):
    module = handout_modules[name]
    stubbed = solution_functions(name)
    assert stubbed
    for function in stubbed:
        fn = getattr(module, function)
        required = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
        with pytest.raises(NotImplementedError) as info:
            fn(*[None] * len(required))
        title = course.assignments[course.owners(function)[0]].title
        assert str(info.value) == f"{function}: your code here ({title})"


@pytest.mark.parametrize("name", STUBBED)
def test_release_stubs_keep_signatures_hints_and_docstrings(name):
    reference = (ROOT / "reference" / name).read_text(encoding="utf-8")
    handout = (HANDOUT / name).read_text(encoding="utf-8")
    assert BEGIN not in [line.strip() for line in handout.splitlines()]
    assert ast.get_docstring(ast.parse(handout)) == ast.get_docstring(ast.parse(reference))
    ref_fns, stub_fns = functions(reference), functions(handout)
    assert list(stub_fns) == list(ref_fns)
    stubbed = set(solution_functions(name))
    for function, ref in ref_fns.items():
        stub = stub_fns[function]
        assert ast.dump(stub.args) == ast.dump(ref.args), function
        assert ast.dump(stub.returns) == ast.dump(ref.returns), function
        assert ast.get_docstring(stub) == ast.get_docstring(ref), function
        if function not in stubbed:  # provided helpers are handed out whole
            assert ast.dump(stub) == ast.dump(ref), function


def test_release_stub_modules_import_their_own_siblings(handout_modules):
    conv_exercises = handout_modules["conv_exercises.py"]
    assert Path(inspect.getfile(conv_exercises.conv2d)).parent == HANDOUT
    assert Path(inspect.getfile(conv_exercises.first_digit)).parent == HANDOUT


# stub_source -------------------------------------------------------------------------------

SOURCE = '''\
class Net:
    def conv2d(self, image):
        """Doc."""
        if image is None:
            ### BEGIN SOLUTION
            return 1
            ### END SOLUTION
        return 2


def helper() -> int:
    ### BEGIN SOLUTION
    return 3
    ### END SOLUTION

### BEGIN SOLUTION
X = 1
### END SOLUTION
'''


def test_stub_source_replaces_blocks_at_their_indentation(course):
    title = course.assignments[course.owners("conv2d")[0]].title
    lines = SOURCE.splitlines(keepends=True)
    expected = "".join(
        lines[:4] + [f'            raise NotImplementedError("conv2d: your code here ({title})")\n']
        + lines[7:11] + ['    raise NotImplementedError("helper: your code here")\n']
        + lines[14:15] + ['raise NotImplementedError("your code here")\n']
    )
    assert stub_source(SOURCE, module="m.py", course=course) == expected


def test_stub_source_without_markers_is_unchanged(course):
    source = "def f():\n    return 1\n"
    assert stub_source(source, module="m.py", course=course) == source


@pytest.mark.parametrize("source, line, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", 2, "'### BEGIN SOLUTION' is never closed"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", 3,
     "'### BEGIN SOLUTION' inside the block opened on line 2"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", 3, "'### END SOLUTION' without a '### BEGIN SOLUTION' above it"),
])
def test_stub_source_marker_errors_name_file_and_line(course, source, line, problem):
    with pytest.raises(KitError) as info:
        stub_source(source, module="reference/m.py", course=course)
    assert str(info.value).startswith(f"reference/m.py: line {line}: {problem}.")
    assert "Fix: " in str(info.value)


# README ------------------------------------------------------------------------------------

def test_release_readme_explains_assignments_convention_and_workflow(course):
    readme = (HANDOUT / "README.md").read_text(encoding="utf-8")
    for key, assignment in course.assignments.items():
        assert f"## {assignment.title} (`{key}`)" in readme
        assert f"Due {assignment.due:%Y-%m-%d %H:%M}" in readme
        assert f"| **total** | | **{assignment.max_score:g}** | |" in readme
    assert "| `conv2d` | `neural_network.py` | 40 | yes |" in readme
    assert "`conv2d` must compute a true convolution (kernel flipped)" in readme
    for command in ("python conv_exercises.py", "python cli.py check", "python cli.py package"):
        assert command in readme


def test_release_readme_follows_the_course_convention(course, kit_copy):
    graded = course.assignments["part-4.2"]
    graded = graded.model_copy(update={"options": {**graded.options, "convention": "either"}})
    either = course.model_copy(update={"assignments": {**course.assignments, "part-4.2": graded}})
    release_handout(kit_copy, either, kit_copy / "out")
    readme = (kit_copy / "out" / "README.md").read_text(encoding="utf-8")
    assert "`conv2d` must compute either convention" in readme


# one assignment's handout ---------------------------------------------------------------------

KIT = KitPaths(ROOT)
SAMPLE = ROOT / "samples" / "typical_student"


@pytest.fixture(scope="module")
def handout(course, tmp_path_factory) -> Path:
    """The py handout of part-4.2, released once for these tests (do not change it: copy it)."""
    dest = tmp_path_factory.mktemp("handout") / "my-work"
    release_assignment(KIT, course, "part-4.2", dest)
    return dest


@pytest.fixture(scope="module")
def library_handout(course, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("library") / "my-work"
    release_assignment(KIT, course, "library", dest)
    return dest


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def parts_tested_in(graders: Path) -> set[str]:
    """The part of every test in a folder of graders (the first word of its docstring, as the grading run reads it)."""
    parts = set()
    for path in graders.glob("test_*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                parts.add((ast.get_docstring(node) or node.name).split(":")[0].strip())
    return parts


def solution_lines(names: list[str]) -> set[str]:
    """The distinctive lines of the reference's solution blocks in the functions `names` (markers excluded)."""
    lines = set()
    for path in (ROOT / "reference").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for name, node in functions(source).items():
            if name in names:
                block = ast.get_source_segment(source, node).split(BEGIN)[1:]
                lines |= {line.strip() for part in block for line in part.split(END)[0].splitlines()
                          if len(line.strip()) > 30}
    return lines


def test_handout_holds_stubs_data_public_tests_and_the_kit(course, handout):
    files = sorted(p.relative_to(handout).as_posix() for p in handout.rglob("*")
                   if p.is_file() and "gradekit" not in p.parts)
    assert files == [RELEASE_MARKER, "README.md", "cli.py", "course.yaml", "exercises/conv_exercises.py",
                     "exercises/mnist_data.py", "exercises/mnist_sample.npz", "exercises/neural_network.py",
                     "graders/conftest.py", "graders/test_conv2d.py", "graders/test_exercises.py",
                     "reference/answers.json", "reference/conv_exercises.py", "reference/mnist_sample.npz",
                     "reference/neural_network.py", "requirements.txt"]
    assert (handout / "gradekit" / "grade" / "pipeline.py").is_file()
    sample = (ROOT / "reference" / "mnist_sample.npz").read_bytes()
    assert (handout / "exercises" / "mnist_sample.npz").read_bytes() == sample
    assert "nbgrader" not in (handout / "requirements.txt").read_text()
    assert "tomli>=2; python_version < '3.11'" in (handout / "requirements.txt").read_text().splitlines()  # 3.10
    readme = (handout / "README.md").read_text()
    for text in ("## Part 4.2: Convolutional Layers for CNNs (`part-4.2`)",
                 "| `exercise_3` | `conv_exercises.py` | 20 | no |",
                 "python cli.py check\npython cli.py package", "python exercises/conv_exercises.py"):
        assert text in readme


def test_handout_ships_only_public_tests(course, handout, library_handout):
    for folder, key in ((handout, "part-4.2"), (library_handout, "library")):
        public = {name for name, part in course.assignments[key].parts.items() if part.public}
        assert parts_tested_in(folder / "graders") == public
    shipped = (library_handout / "graders" / "test_activations.py").read_text()
    assert "softmax_mistakes" not in shipped and "def check_relu" in shipped  # the hidden part's helpers stay behind
    assert not (library_handout / "graders" / "test_training.py").exists()


def test_handout_holds_no_solution_of_what_it_asks(course, handout, library_handout):
    for folder, key in ((handout, "part-4.2"), (library_handout, "library")):
        assignment = course.assignments[key]
        asked = [f for a in course.assignments.values() for f in a.parts if f not in assignment.provided]
        secret = solution_lines(asked)
        assert secret
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".md", ".json", ".yaml", ".txt"):
                text = path.read_text(encoding="utf-8")
                leaked = [line for line in secret if line in text]
                assert not leaked, f"{path.relative_to(folder)} holds solution lines: {leaked[:2]}"


def test_handout_hands_out_the_functions_it_builds_on_whole(handout, library_handout, nn):
    module = load_module(handout / "exercises" / "neural_network.py", "handout_part42_neural_network")
    Z = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(module.softmax(Z), nn.softmax(Z))
    with pytest.raises(NotImplementedError, match="conv2d: your code here"):
        module.conv2d(np.ones((3, 3)), np.ones((2, 2)))
    library = load_module(library_handout / "exercises" / "neural_network.py", "handout_library_neural_network")
    with pytest.raises(NotImplementedError, match="softmax: your code here"):
        library.softmax(Z)


@pytest.mark.parametrize("work, expected", [
    (None, "Public tests: 0 / 60: 3 of 3 parts not done yet."),
    (ROOT / "reference", "Public tests: 60 / 60: every part passes."),
    (SAMPLE, None),  # the kit's own check of the same work, on the same inputs
])
def test_check_runs_in_the_handout_as_in_the_kit(course, handout, tmp_path, work, expected):
    from gradekit.grade.feedback import check_lines
    from gradekit.grade.pipeline import grade

    folder = tmp_path / "my-work"
    shutil.copytree(handout, folder)
    for name in ("neural_network.py", "conv_exercises.py"):
        if work is not None:
            shutil.copy(work / name, folder / "exercises" / name)
    proc = run_cli("check", cwd=folder)
    assert proc.returncode == (0 if work == ROOT / "reference" else 1), proc.stderr  # 1 while a test fails
    hidden_only = "exercise_3 (20 points), exercise_4 (20 points): graded when you hand in"
    assert hidden_only in proc.stdout
    if expected is None:
        results = grade(SAMPLE, tmp_path / "kit", paths=KIT, course=course, public_only=True, seed=CHECK_SEED)
        points = {name: part.points for name, part in course.assignment("part-4.2").parts.items()}
        kit = [line for line, _ in check_lines(results, points)]
        assert proc.stdout.splitlines()[:len(kit)] == kit
        expected = f"Public tests: {results.score:g} / {results.max_score:g}: 2 of 3 parts not done yet."
        assert 0 < results.score < results.max_score
    assert expected in proc.stdout


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_release_inside_a_filled_in_handout_changes_nothing(handout, tmp_path):
    folder = tmp_path / "my-work"
    shutil.copytree(handout, folder)
    for name in STUBBED:
        shutil.copy(SAMPLE / name, folder / "exercises" / name)
    before = snapshot(folder)
    proc = run_cli("release", cwd=folder)  # the handout's own command line
    assert proc.returncode == 2 and "'release' is an instructor's command" in proc.stderr, proc.stderr
    assert "check" in run_cli("--help", cwd=folder).stdout and "release" not in run_cli("--help", cwd=folder).stdout
    kit = subprocess.run([sys.executable, str(ROOT / "cli.py"), "release", "--course", "course.yaml"], cwd=folder,
                         capture_output=True, text=True, timeout=300)  # the kit's, on the handout's course
    assert kit.returncode == 1 and "not a handout released by this kit" in kit.stderr, kit.stderr
    assert snapshot(folder) == before


def test_release_refuses_a_folder_that_is_not_a_handout(course, tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "notes.py").write_text("mine")
    with pytest.raises(KitError) as info:
        release(KIT, course, assignment="part-4.2", dest=mine)
    assert str(info.value).startswith(f"{mine}: a folder that is not empty and is not a handout")
    assert "Fix: pass --to a new or empty folder" in str(info.value)
    assert [p.name for p in mine.iterdir()] == ["notes.py"]


def test_release_again_keeps_the_students_changes(course, handout, tmp_path):
    folder = tmp_path / "my-work"
    shutil.copytree(handout, folder)
    work = folder / "exercises" / "neural_network.py"
    work.write_text(work.read_text() + "\n# my work\n")
    (folder / "README.md").unlink()
    done = release(KIT, course, assignment="part-4.2", dest=folder)
    assert done.kept == [work]
    assert work.read_text().endswith("# my work\n")
    assert (folder / "README.md").is_file()
    again = release(KIT, course, assignment="part-4.2", dest=folder)
    assert again.kept == [work]  # still the student's: the record keeps what was released
    with pytest.raises(KitError, match="this folder holds the py release of part-4.2"):
        release(KIT, course, assignment="library", dest=folder)
    with pytest.raises(KitError, match="this folder holds the py release of part-4.2"):
        release(KIT, course, assignment="part-4.2", dest=folder, fmt="notebook")


def test_release_cli_needs_a_folder_for_one_assignment():
    proc = run_cli("release", "library", cwd=ROOT)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "Fix: add --to DIR, e.g. `python cli.py release library --to my-work`" in proc.stderr


# public_tests_source -----------------------------------------------------------------------------

GRADER = '''"""Graders of a and b."""

import pytest

LIMIT = 3
SECRET = "only b uses this"


def shared(x):
    return x + LIMIT


# -- b ----------------------------------------------------------------

def b_helper(student):
    return SECRET


@pytest.fixture(name="b_data")
def make_b_data():
    return 1


def test_a(student, rng):
    """a: checks a"""
    assert shared(1)


@pytest.mark.parametrize("n", [1, 2])
def test_b(student, b_data, n):
    """b: checks b with {n}"""
    assert b_helper(student)
    # b's last words
'''


def test_public_tests_source_drops_hidden_tests_and_what_only_they_use():
    kept = public_tests_source(GRADER, {"a"}, "graders/test_ab.py")
    assert "def test_a" in kept and "def shared" in kept and "LIMIT = 3" in kept
    for gone in ("test_b", "b_helper", "SECRET", "b_data", "parametrize", "# -- b", "last words"):
        assert gone not in kept
    ast.parse(kept)
    assert public_tests_source(GRADER, {"a", "b"}, "g.py") == GRADER
    assert public_tests_source(GRADER, set(), "g.py") is None
    with pytest.raises(KitError, match="g.py: line 1"):
        public_tests_source("def (:\n", {"a"}, "g.py")
