"""release: the committed handout is exactly what the reference generates, and its stubs are sound."""

from __future__ import annotations

import ast
import inspect
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, load_module
from gradekit.errors import KitError
from gradekit.release import BEGIN, release_handout, stub_source

HANDOUT = ROOT / "exercises"
STUBBED = ("neural_network.py", "conv_exercises.py")


@pytest.fixture(scope="module")
def handout_modules():
    """The committed handout's two stub modules, imported from exercises/."""
    return {name: load_module(HANDOUT / name, f"handout_{Path(name).stem}") for name in STUBBED}


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    """A copy of the kit's reference/ under a temporary root."""
    shutil.copytree(ROOT / "reference", tmp_path / "reference", ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    return tmp_path


def functions(source: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


def solution_functions(name: str) -> list[str]:
    """The reference functions of a file that hold a solution block."""
    source = (ROOT / "reference" / name).read_text(encoding="utf-8")
    return [f for f, node in functions(source).items() if BEGIN in ast.get_source_segment(source, node)]


# drift -------------------------------------------------------------------------------------

def test_release_reproduces_committed_handout(course, tmp_path):
    written = release_handout(ROOT, course, tmp_path)
    relative = sorted(p.relative_to(tmp_path) for p in written)
    drifted = [str(r) for r in relative
               if not (HANDOUT / r).is_file() or (HANDOUT / r).read_bytes() != (tmp_path / r).read_bytes()]
    assert not drifted, f"exercises/ is out of date for {drifted}: run `python cli.py release` and commit the result"
    extra = sorted(str(p.relative_to(HANDOUT)) for p in HANDOUT.rglob("*")
                   if p.is_file() and p.suffix in (".py", ".md", ".npz") and p.relative_to(HANDOUT) not in relative)
    assert not extra, f"exercises/ holds files the release does not write: {extra}"
    assert [str(r) for r in relative] == ["README.md", "conv_exercises.py", "mnist_data.py", "mnist_sample.npz",
                                          "neural_network.py"]


def test_release_default_dest_keeps_unrelated_files_and_skips_caches(course, kit_copy):
    (kit_copy / "reference" / "__pycache__").mkdir()
    (kit_copy / "reference" / "__pycache__" / "neural_network.cpython-311.pyc").write_bytes(b"\0")
    (kit_copy / "reference" / "exercise_3.png").write_bytes(b"png")
    (kit_copy / "exercises").mkdir()
    (kit_copy / "exercises" / "my_notes.txt").write_text("mine")
    written = release_handout(kit_copy, course)
    assert {p.parent for p in written} == {kit_copy / "exercises"}
    assert (kit_copy / "exercises" / "my_notes.txt").read_text() == "mine"
    assert not (kit_copy / "exercises" / "exercise_3.png").exists()
    assert not (kit_copy / "exercises" / "__pycache__").exists()
    assert not list((kit_copy / "exercises").glob(".*.tmp"))


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
        title = course.assignments[course.part_owner(function)].title
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
    title = course.assignments[course.part_owner("conv2d")].title
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
    either = course.model_copy(update={"conv2d_convention": "either"})
    release_handout(kit_copy, either, kit_copy / "out")
    readme = (kit_copy / "out" / "README.md").read_text(encoding="utf-8")
    assert "`conv2d` must compute either convention" in readme
