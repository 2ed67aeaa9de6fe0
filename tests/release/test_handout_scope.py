"""release.handout: an assignment's handout holds none of a later assignment's functions, and its
course.yaml names the graders it ships, without notes; the course's exercises/ keeps every stub."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, load_module
from gradekit.course import Course, Part
from gradekit.layout import KitPaths
from gradekit.release.handout import release_assignment, release_handout
from gradekit.release.notebook import assignment_pieces, handout_notebook

POOLING = '''

# -- Part 4.3: pooling ---------------------------------------------------------------------------

def max_pool(image: NDArray[np.floating], size: int = 2) -> NDArray[np.floating]:
    """The largest value of each size x size window of the image."""
    ### BEGIN SOLUTION
    rows, cols = image.shape[0] // size, image.shape[1] // size
    return image[:rows * size, :cols * size].reshape(rows, size, cols, size).max(axis=(1, 3))
    ### END SOLUTION
'''
LATER = "Part 4.3: Pooling"


@pytest.fixture(scope="module")
def later_kit(tmp_path_factory) -> KitPaths:
    """A copy of the kit whose reference/neural_network.py also holds max_pool, with a solution block."""
    root = tmp_path_factory.mktemp("kit")
    for folder in ("reference", "graders", "notes"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    for name in ("cli.py", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    with (root / "reference" / "neural_network.py").open("a", encoding="utf-8") as fh:
        fh.write(POOLING)
    return KitPaths(root)


@pytest.fixture(scope="module")
def later_course(course) -> Course:
    """The course with a part-4.3 assignment that grades max_pool, due after part-4.2."""
    pooling = course.assignments["library"].model_copy(update={
        "title": LATER, "due": None, "graders": [], "provided": [],
        "parts": {"max_pool": Part(points=10, module="neural_network")}})
    return course.model_copy(update={"assignments": {**course.assignments, "part-4.3": pooling}})


@pytest.fixture(scope="module")
def handout(later_kit, later_course, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("handout") / "my-work"
    release_assignment(later_kit, later_course, "part-4.2", dest)
    return dest


def test_handout_leaves_out_a_later_assignments_function(handout, later_kit):
    assert "def max_pool" in (later_kit.reference / "neural_network.py").read_text()
    for path in handout.rglob("*"):
        if path.is_file() and "gradekit" not in path.parts and path.suffix in (".py", ".md", ".json", ".yaml"):
            text = path.read_text(encoding="utf-8")
            assert "max_pool" not in text and LATER not in text, path.relative_to(handout)
    module = load_module(handout / "exercises" / "neural_network.py", "handout_later_neural_network")
    with pytest.raises(NotImplementedError, match=r"conv2d: your code here \(Part 4\.2"):
        module.conv2d(None, None)
    assert module.softmax  # the provided functions are still there


def test_notebook_forms_leave_out_a_later_assignments_function(later_kit, later_course):
    notebook = handout_notebook(later_kit, later_course, "part-4.2")
    assert not [cell.id for cell in notebook.cells if "max_pool" in cell.source]
    nbgrader = assignment_pieces(later_kit, later_course, "part-4.2", public="public tests")
    assert not [piece.name for piece in nbgrader if "max_pool" in piece.source + piece.solution]
    assert any("def conv2d" in piece.solution for piece in nbgrader)


def test_course_exercises_keep_every_assignments_stubs(later_kit, later_course, tmp_path):
    release_handout(later_kit.root, later_course, tmp_path)
    source = (tmp_path / "neural_network.py").read_text(encoding="utf-8")
    assert f'raise NotImplementedError("max_pool: your code here ({LATER})")' in source
    assert 'raise NotImplementedError("conv2d: your code here (Part 4.2' in source
    ast.parse(source)


def test_handout_course_yaml_names_the_graders_it_ships_and_no_notes(handout, course, tmp_path):
    library = tmp_path / "library"
    release_assignment(KitPaths(ROOT), course, "library", library)
    for folder, key in ((handout, "part-4.2"), (library, "library")):
        released = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))["assignments"][key]
        shipped = {p.name for p in (folder / "graders").glob("test_*.py")}
        assert released["graders"] == [g for g in course.assignments[key].graders if g in shipped], key  # in order
        assert set(released["graders"]) == shipped, key
        assert "notes" not in released, key
    assert course.assignments["part-4.2"].notes and "test_training.py" in course.assignments["library"].graders
    assert not (library / "graders" / "test_training.py").exists()
