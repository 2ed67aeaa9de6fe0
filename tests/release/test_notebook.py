"""Notebooks: the handout notebook of an assignment runs top to bottom once filled in, and a notebook
submission (magics, outputs, markdown and all, one notebook for every module) grades like .py files."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from gradekit.grade.pipeline import grade
from gradekit.layout import KitPaths
from gradekit.release import release
from gradekit.release.notebook import docstring_markdown, fill_notebook, handout_notebook, notebook_bytes
from gradekit.release.stubs import BEGIN
from gradekit.submission import notebook_source, place_modules, prepare

KIT = KitPaths(ROOT)
SAMPLE = ROOT / "samples" / "typical_student"
PARTS = ("conv2d", "exercise_1", "exercise_2", "exercise_3", "exercise_4")


@pytest.fixture(scope="module")
def notebook(course) -> nbformat.NotebookNode:
    return handout_notebook(KIT, course, "part-4.2")


@pytest.fixture(scope="module")
def solved(notebook) -> nbformat.NotebookNode:
    return fill_notebook(notebook, ROOT / "reference")


def cells(nb, role: str) -> list:
    return [c for c in nb.cells if c.metadata.get("gradekit", {}).get("role") == role]


def per_test(results) -> list[tuple[str, float]]:
    return [(t.name, t.score) for t in results.tests]


def with_ipython_noise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` with what a real notebook carries: magics, shell escapes, outputs, a cell magic, stray markdown."""
    noisy = nbformat.from_dict(nb)
    noisy.cells.insert(1, nbformat.v4.new_code_cell(
        "%matplotlib inline\n%load_ext autoreload\n!pip install numpy\nfiles = !ls\n"
        "get_ipython().run_line_magic('autoreload', '2')\nnp.zeros?"))
    noisy.cells.insert(2, nbformat.v4.new_code_cell("%%bash\necho this is not Python\nexit 3"))
    noisy.cells.insert(3, nbformat.v4.new_markdown_cell("def conv2d(): return 'markdown is not code'"))
    for cell in noisy.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="def broken(:\n")]
            cell.execution_count = 7
    return noisy


# the handout notebook ------------------------------------------------------------------------

def test_notebook_has_a_cell_per_function_and_the_blogs_text(course, notebook):
    assignment = course.assignments["part-4.2"]
    parts = cells(notebook, "part")
    assert [c.metadata.gradekit.function for c in parts] == list(PARTS)
    for cell in parts:
        name = cell.metadata.gradekit.function
        assert f'raise NotImplementedError("{name}: your code here (Part 4.2' in cell.source
        (function,) = ast.parse(cell.source).body
        assert function.name == name
        about = notebook.cells[notebook.cells.index(cell) - 1]
        points = assignment.parts[name].points
        assert about.cell_type == "markdown" and about.source.startswith(f"### `{name}` ({points:g} points")
    about_ex3 = next(c.source for c in notebook.cells if c.get("id") == "about-exercise_3")
    assert "Exercise 3: horizontal edges of one MNIST digit" in about_ex3
    assert "- label: The digit's label" in about_ex3
    provided = cells(notebook, "provided")
    assert [c.metadata.gradekit.function for c in provided] == assignment.provided
    assert all("NotImplementedError" not in c.source and BEGIN not in c.source for c in provided)
    assert notebook.metadata.gradekit == {"assignment": "part-4.2", "modules": ["conv_exercises", "neural_network"]}
    assert "from neural_network import" not in "".join(c.source for c in notebook.cells)


def test_notebook_run_cells_show_the_exercises_only_when_run(notebook):
    runs = cells(notebook, "run")
    assert len(runs) == 4
    assert all(c.source.startswith('if __name__ == "__main__":\n    ') for c in runs)
    assert "show_or_save(fig, \"exercise_3\")" in runs[2].source


def test_notebook_is_reproducible_and_valid(course, notebook):
    nbformat.validate(notebook)
    assert notebook_bytes(handout_notebook(KIT, course, "part-4.2")) == notebook_bytes(notebook)


def test_library_notebook_has_no_run_cells(course):
    nb = handout_notebook(KIT, course, "library")
    assert len(cells(nb, "part")) == 15 and not cells(nb, "run") and not cells(nb, "provided")


def test_docstring_markdown_lists_arguments_and_joins_continued_lines():
    doc = """
    Do a thing.
    Args:
        x: The input, a long description
            that goes on
        y (int): Another
    Returns:
        The result, which is
        described at length

    A last remark.
    """
    assert docstring_markdown(doc) == (
        "Do a thing.\n\n**Args:**\n\n- x: The input, a long description that goes on\n- y (int): Another\n\n"
        "**Returns:**\n\n- The result, which is described at length\n\nA last remark.")


def test_filled_notebook_runs_top_to_bottom_offline(solved, tmp_path):
    for name in ("mnist_data.py", "mnist_sample.npz"):
        shutil.copy(ROOT / "reference" / name, tmp_path / name)
    (tmp_path / "part-4.2.ipynb").write_bytes(notebook_bytes(solved))
    env = {**os.environ, "MNIST_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "part-4.2.ipynb", "--output", "ran.ipynb"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert not [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    for line in ("Output Shape: (3, 3)", "Output Shape: (2, 2)", "MNIST: offline sample",
                 "Horizontal Feature Map Shape: (26, 26)"):
        assert line in text
    images = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # in Jupyter the two plots show inline, not saved as files
    assert not list(tmp_path.glob("exercise_*.png"))


# notebook submissions grade like .py files ---------------------------------------------------------

def test_solved_notebook_grades_like_the_reference_files(course, solved, tmp_path):
    path = tmp_path / "part-4.2.ipynb"
    path.write_bytes(notebook_bytes(solved))
    as_notebook = grade(path, tmp_path / "nb", paths=KIT, course=course, seed=11)
    as_files = grade(ROOT / "reference", tmp_path / "py", paths=KIT, course=course, seed=11)
    assert as_notebook.score == as_files.score == 100
    assert per_test(as_notebook) == per_test(as_files)
    assert not as_notebook.output


def test_one_notebook_with_magics_and_outputs_grades_like_the_same_py_folder(course, notebook, tmp_path):
    alice = tmp_path / "alice.ipynb"
    alice.write_bytes(notebook_bytes(with_ipython_noise(fill_notebook(notebook, SAMPLE))))
    as_notebook = grade(alice, tmp_path / "nb", paths=KIT, course=course, seed=3)
    as_files = grade(SAMPLE, tmp_path / "py", paths=KIT, course=course, seed=3)
    assert 0 < as_notebook.score == as_files.score < 100
    assert per_test(as_notebook) == per_test(as_files)
    assert [t.output for t in as_notebook.tests] == [t.output for t in as_files.tests]
    assert not as_notebook.output  # every module imported: no IPython line broke it


def test_a_class_of_notebooks_grades_each_one(course, notebook, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.ipynb").write_bytes(notebook_bytes(fill_notebook(notebook, ROOT / "reference")))
    (folder / "bob.ipynb").write_bytes(notebook_bytes(notebook))
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grade", str(folder), "--out", str(tmp_path / "out"),
                           "-j", "2", "--seed", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()
    scores = {row.split(",")[0]: row for row in rows[1:]}
    assert set(scores) == {"alice", "bob"} and ",100" in scores["alice"] and ",0" in scores["bob"]


def test_notebook_source_keeps_python_and_neutralises_ipython():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n`x = 1`"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\n!ls -l\nout = !ls\nt = %time f()"),
        nbformat.v4.new_code_cell("%%time\ny = 2"),
        nbformat.v4.new_code_cell("%%bash\nrm -rf /\nexit 1"),
        nbformat.v4.new_code_cell("def f():\n    get_ipython().system('ls')\n    return 1\nnp.mean?"),
        nbformat.v4.new_raw_cell("raw text"),
    ])
    nb.cells.append(nbformat.v4.new_code_cell("assert False, 'an nbgrader test cell'",
                                              metadata={"nbgrader": {"grade": True, "solution": False}}))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="not code")]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gradekit-test-{os.getpid()}.ipynb"
    nbformat.write(nb, path)
    try:
        source = notebook_source(path)
    finally:
        path.unlink()
    namespace: dict = {}
    exec(compile(source, "nb.py", "exec"), namespace)  # valid Python, and nothing shell-like runs
    assert namespace["y"] == 2 and namespace["f"]() == 1
    assert "pass  # %matplotlib inline" in source and "pass  # !ls -l" in source and "pass  # out = !ls" in source
    assert "# rm -rf /" in source and "Title" not in source and "raw text" not in source
    assert "not code" not in source and "nbgrader test cell" not in source


def test_a_single_notebook_serves_every_missing_module(notebook, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "alice.ipynb").write_bytes(notebook_bytes(fill_notebook(notebook, ROOT / "reference")))
    (work / "conv_exercises.py").write_text("# handed in as a file: kept\n")
    prepared = prepare(work, tmp_path / "prepared").folder
    assert (prepared / "conv_exercises.py").read_text() == "# handed in as a file: kept\n"
    assert "def conv2d(" in (prepared / "neural_network.py").read_text()
    # without the metadata a released notebook carries, the modules come from the caller
    bare = nbformat.from_dict(notebook)
    bare.metadata.pop("gradekit")
    other = tmp_path / "other"
    other.mkdir()
    (other / "bob.ipynb").write_bytes(notebook_bytes(bare))
    (other / "neural_network.ipynb").write_bytes(notebook_bytes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("def conv2d(image, kernel, stride=1):\n    return 'own notebook'")])))
    place_modules(other)
    assert not (other / "conv_exercises.py").exists()
    place_modules(other, ["neural_network", "conv_exercises"])
    assert "def exercise_1(" in (other / "conv_exercises.py").read_text()
    assert "own notebook" in (other / "neural_network.py").read_text()  # the module's own notebook wins


def test_notebook_handout_checks_in_its_folder(course, tmp_path):
    folder = tmp_path / "my-work"
    release(KIT, course, assignment="part-4.2", dest=folder, fmt="notebook")
    assert sorted(p.name for p in (folder / "exercises").iterdir()) == ["mnist_data.py", "mnist_sample.npz",
                                                                         "part-4.2.ipynb"]
    assert "jupyter lab exercises/part-4.2.ipynb" in (folder / "README.md").read_text()
    path = folder / "exercises" / "part-4.2.ipynb"
    path.write_bytes(notebook_bytes(fill_notebook(nbformat.read(path, as_version=4), ROOT / "reference")))
    proc = subprocess.run([sys.executable, "cli.py", "check"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Public tests: 60 / 60: every part passes." in proc.stdout


# the student's week with a notebook handout, through the CLI ------------------------------------

def test_notebook_handout_checks_packages_and_grades_like_the_folder(solved, tmp_path):
    work = tmp_path / "my-work"

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "cli.py", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc

    run("release", "part-4.2", "--to", str(work), "--format", "notebook", cwd=ROOT)
    (work / "exercises" / "part-4.2.ipynb").write_bytes(notebook_bytes(solved))
    checked = run("check", cwd=work)
    assert "conv2d" in checked.stdout and "done" in checked.stdout and "failing" not in checked.stdout
    packed = run("package", cwd=work)
    assert "part-4.2.ipynb" in packed.stdout
    zipped = run("grade", str(work / "submission.zip"), "--out", str(tmp_path / "zip"), "--seed", "4", cwd=ROOT)
    run("grade", str(work / "exercises"), "--out", str(tmp_path / "folder"), "--seed", "4", cwd=ROOT)
    assert "100" in zipped.stdout
    scores = [json.loads((tmp_path / name / "results.json").read_text())["score"] for name in ("zip", "folder")]
    assert scores == [100, 100]


def test_the_whole_notebook_handout_handed_in_is_graded_from_its_notebook(course, solved, tmp_path):
    """Its reference/ holds modules of the same names (the recorded answers' shims): never the student's work."""
    work = tmp_path / "my-work"
    release(KIT, course, assignment="part-4.2", dest=work, fmt="notebook")
    (work / "exercises" / "part-4.2.ipynb").write_bytes(notebook_bytes(solved))
    results = grade(work, tmp_path / "out", paths=KIT, course=course, seed=3)
    assert results.score == 100, results.output
    assert "part-4.2.ipynb found in exercises/" in results.output and "reference/" not in results.output
