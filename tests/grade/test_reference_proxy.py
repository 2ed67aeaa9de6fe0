"""The `reference` fixture's functions: the instructor's modules, each imported in the grader when first needed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gradekit.authoring import named_reference_functions
from gradekit.errors import KitFault
from gradekit.grade.proxies import load_reference

ROOT = Path(__file__).resolve().parents[2]


def test_a_reference_module_is_imported_only_once_a_grader_needs_one_of_its_functions(tmp_path, monkeypatch):
    """The modules defining the functions the graders name are imported before the tests (while the worker
    starts), the others when first asked; one that cannot be imported is the kit's fault, kept to end the grade
    as a kit error."""
    fast, slow, broken = (f"{name}_{uuid.uuid4().hex[:8]}" for name in ("fast", "slow", "broken"))
    (tmp_path / f"{fast}.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / f"{slow}.py").write_text("def draw():\n    return 'drawn'\n")
    (tmp_path / f"{broken}.py").write_text("triple = lambda x: 3 * x\nraise RuntimeError('no display')\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    reference = load_reference(tmp_path, [fast, slow, broken], {}, needed={"double"})
    assert fast in sys.modules and slow not in sys.modules
    assert reference.double(2) == 4 and slow not in sys.modules
    assert reference.draw() == "drawn" and slow in sys.modules and reference.fault is None
    with pytest.raises(KitFault, match="could not be imported"):
        reference.triple(1)
    assert reference.fault == f"the reference's {broken}.py could not be imported (RuntimeError: no display)"
    with pytest.raises(AttributeError):
        load_reference(tmp_path, [fast, slow], {}).nowhere  # noqa: B018 - no module has it, as before
    for name in (fast, slow, broken):
        sys.modules.pop(name, None)


def test_graders_name_the_functions_they_call_and_a_computed_name_means_every_module(tmp_path):
    named = named_reference_functions(sorted((ROOT / "graders").glob("test_exercises.py")))
    assert "conv2d" in named and not any(name.startswith("exercise_") for name in named)
    computed = tmp_path / "test_computed.py"
    computed.write_text("def test_f(reference, name='f'):\n    assert getattr(reference, name)(1)\n")
    assert named_reference_functions([computed]) is None
    by_call = tmp_path / "test_by_call.py"
    by_call.write_text("def test_g(reference):\n    assert reference.call('g', 1, seed=3).value\n")
    assert named_reference_functions([by_call]) == {"call", "g"}


def test_grading_part_4_2_never_imports_matplotlib_in_the_grader():
    """The graders need the reference's conv2d only: its exercises module, and the matplotlib it imports (~0.3 s
    of a single grade's critical path), stay out of the grading process."""
    probe = ("import sys, tempfile; from pathlib import Path; from gradekit.course import open_course; "
             "from gradekit.grade.pipeline import grade; paths, course = open_course(Path('course.yaml')); "
             "results = grade(Path('samples/blog_solution'), Path(tempfile.mkdtemp()), paths=paths, course=course, "
             "seed=1); print(results.score, 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["100.0", "False"], done.stdout + done.stderr
