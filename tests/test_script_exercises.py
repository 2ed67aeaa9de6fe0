"""The blog's exercises as the blog writes them, graded end to end through `python cli.py grade`.

tests/data/scripts/ holds ex_1.py ... ex_4.py in the blog's style (top-level code that calls conv2d,
prints, shows its figure and loads MNIST with fetch_openml): beside the reference's neural_network.py,
as they are or pasted into one conv_exercises.py, they score what the function form scores, mistakes
and hints included. Scripts are engine machinery: a made-up assignment grades its own scripts with
content only. No test needs a network: the sandbox has none, fetch_openml is served offline.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).with_name("data") / "scripts"
ASSIGNMENT = "part-4.2"
FULL = {"conv2d": 40, "exercise_1": 10, "exercise_2": 10, "exercise_3": 20, "exercise_4": 20}

pytestmark = pytest.mark.slow


def grade(folder: Path, out: Path, *, course: Path = ROOT / "course.yaml", assignment: str = ASSIGNMENT) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grade", str(folder), "-a", assignment, "--out",
                           str(out), "--course", str(course)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((out / "results.json").read_text())


def parts(results: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for test in results["tests"]:
        scores[test["tags"][0]] = round(scores.get(test["tags"][0], 0) + test["score"], 2)
    return scores


def outputs(results: dict, part: str) -> str:
    return "\n".join(t["output"] for t in results["tests"] if t["tags"][0] == part)


def submission(tmp_path: Path, name: str, *, one_file: bool = False, edits: list[tuple[str, str, str]] = ()) -> Path:
    """The blog's scripts and the reference's neural_network.py; `edits`: (script, old, new) text to change."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(ROOT / "reference" / "neural_network.py", folder / "neural_network.py")
    texts = {}
    for path in sorted(SCRIPTS.glob("ex_*.py")):
        text = path.read_text()
        for script, old, new in edits:
            if script == path.name:
                assert old in text, old
                text = text.replace(old, new)
        texts[path.name] = text
    if one_file:
        (folder / "conv_exercises.py").write_text("\n".join(texts.values()))
    else:
        for script, text in texts.items():
            (folder / script).write_text(text)
    return folder


def test_the_blogs_scripts_with_its_neural_network_score_full_marks(tmp_path):
    results = grade(submission(tmp_path, "blog"), tmp_path / "out")
    assert results["score"] == 100 and parts(results) == FULL
    assert results["extra_data"]["status"] == "graded"
    assert "conv_exercises.py is not in the submission: ex_1.py, ex_2.py, ex_3.py, ex_4.py graded instead." \
        in results["output"] and "did not import" not in results["output"]
    assert sorted(p.name for p in (tmp_path / "out" / "figures").iterdir()) == ["ex_3.png", "ex_4.png"]


def test_the_four_pasted_into_conv_exercises_score_full_marks(tmp_path):
    results = grade(submission(tmp_path, "pasted", one_file=True), tmp_path / "out")
    assert results["score"] == 100 and parts(results) == FULL, results["output"]


def test_the_handouts_stubs_give_way_to_the_scripts(tmp_path):
    """The handout's conv_exercises.py, its functions still stubs, beside the scripts: the scripts are graded."""
    folder = submission(tmp_path, "handout")
    shutil.copyfile(ROOT / "exercises" / "conv_exercises.py", folder / "conv_exercises.py")
    assert grade(folder, tmp_path / "out")["score"] == 100


VARIANTS = {
    "keyword arguments": [("ex_3.py", "conv2d(image, filter_kernel, stride=1)",
                           "conv2d(image=image, filter_kernel=filter_kernel, stride=1)")],
    "a scaled digit": [("ex_4.py", "X_full = X_full.astype(float)", "X_full = X_full / 255.0")],
    "the module's attribute": [("ex_2.py", "from neural_network import conv2d", "import neural_network as nn"),
                               ("ex_2.py", "= conv2d(", "= nn.conv2d(")],
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_correct_variants_of_the_scripts_score_full_marks(tmp_path, variant):
    results = grade(submission(tmp_path, "variant", edits=VARIANTS[variant]), tmp_path / "out")
    assert results["score"] == 100, [t["output"] for t in results["tests"] if t["score"] < t["max_score"]]


def mutant_hint(name: str) -> str:
    tree = ast.parse((ROOT / "graders" / "mutants" / f"{name}.py").read_text())
    return next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "HINT")


@pytest.mark.parametrize("one_file", [False, True], ids=["ex_2.py", "conv_exercises.py"])
def test_stride_1_in_exercise_2_loses_exactly_exercise_2_with_the_function_forms_hint(tmp_path, one_file):
    folder = submission(tmp_path, "stride", one_file=one_file, edits=[("ex_2.py", "stride=2)", "stride=1)")])
    results = grade(folder, tmp_path / "out")
    assert parts(results) == {**FULL, "exercise_2": 0}
    assert f"Hint: {mutant_hint('exercise_2_stride_1')}" in outputs(results, "exercise_2")


def test_a_script_that_raises_midway_is_graded_on_what_it_did_before(tmp_path):
    """ex_3.py raises after its conv2d call: its map is right, its figure was never shown."""
    folder = submission(tmp_path, "raises", edits=[("ex_3.py", "fig, (ax1, ax2)", "1 / 0\nfig, (ax1, ax2)")])
    results = grade(folder, tmp_path / "out")
    assert parts(results) == {**FULL, "exercise_3": 5}
    failed = [t["output"] for t in results["tests"] if t["tags"][0] == "exercise_3" and t["score"] == 0]
    assert len(failed) == 3 and all("ex_3.py showed no figure after its conv2d call(s); it stopped: "
                                    "ZeroDivisionError: division by zero (ex_3.py, line 16)" in o for o in failed)


def test_a_script_fetching_another_dataset_is_told_which_are_served(tmp_path):
    folder = submission(tmp_path, "fashion", edits=[("ex_4.py", 'fetch_openml("mnist_784"', 'fetch_openml("Fashion-MNIST"')])
    results = grade(folder, tmp_path / "out")
    assert parts(results) == {**FULL, "exercise_4": 0}
    assert "fetch_openml: 'Fashion-MNIST' cannot be downloaded here (no network while grading); only these datasets " \
           "are available offline, by name: mnist_784" in outputs(results, "exercise_4")


TRUNCATING_CONV2D = """

def conv2d(image, filter_kernel, stride=1):
    # Its output takes the image's dtype: an integer image gives a truncated map
    image, kernel = np.asarray(image), np.asarray(filter_kernel)[::-1, ::-1]
    rows, cols = (image.shape[0] - kernel.shape[0]) // stride + 1, (image.shape[1] - kernel.shape[1]) // stride + 1
    out = np.zeros_like(image)[:rows, :cols]
    for i in range(rows):
        for j in range(cols):
            window = image[i * stride:i * stride + kernel.shape[0], j * stride:j * stride + kernel.shape[1]]
            out[i, j] = np.sum(window * kernel)
    return out
"""


def test_consistent_with_your_conv2d_is_judged_on_the_scripts_own_inputs(tmp_path):
    """The blog's 4x4 image is an integer array: a conv2d that truncates it is not the exercises' fault."""
    folder = submission(tmp_path, "truncates")
    with (folder / "neural_network.py").open("a") as module:
        module.write(TRUNCATING_CONV2D)
    results = grade(folder, tmp_path / "out")
    scores = parts(results)
    assert all(scores[p] == FULL[p] for p in ("exercise_1", "exercise_2", "exercise_3", "exercise_4")), scores
    assert "Accepted: consistent with your conv2d" in outputs(results, "exercise_1")


# -- any assignment: scripts are engine machinery -----------------------------------------------------------

PIPES = '''"""A made-up assignment: the flow through a grid of pipes."""

import numpy as np


def flow(grid):
    """The total flow through the grid."""
    ### BEGIN SOLUTION
    return float(np.sum(grid))
    ### END SOLUTION
'''
PIPES_GRADER = '''import numpy as np

from gradekit.checks import Mismatch, assert_matches


def test_demo(student):
    """flow: the demo script measures the flow of the first rows of the toy data, and plots them"""
    run = student.run_script("demo_1.py", record=["flow"])
    if run.error is not None:
        raise Mismatch(f"demo_1.py stopped: {run.error.public()}")
    calls = run.calls_of("flow")
    if len(calls) != 1 or len(run.figures) != 1:
        raise Mismatch(f"demo_1.py made {len(calls)} call(s) of flow and showed {len(run.figures)} figure(s).")
    assert_matches(calls[0].args[0], np.arange(6.0).reshape(3, 2), what="the grid")
    assert_matches(calls[0].value, 15.0, what="the flow")
    assert [ax.title for ax in run.figures[0].axes] == ["flow 15.0 of a"]
'''
DEMO = '''import matplotlib.pyplot as plt
from sklearn.datasets import fetch_openml
from plumbing import flow

X, y = fetch_openml("toy", version=1, return_X_y=True, as_frame=False)
total = flow(X[:3])
print("flow:", total)
plt.imshow(X)
plt.title(f"flow {total} of {y[0]}")
plt.show()
'''


def test_any_assignment_can_grade_scripts_with_content_only(tmp_path):
    """A course copy gains an assignment, a dataset and a grader that runs a script recording a made-up function."""
    for folder in ("reference", "graders", "notes"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    np.savez(tmp_path / "reference" / "toy.npz", data=np.arange(10.0).reshape(5, 2), target=np.array(list("abcab")))
    (tmp_path / "reference" / "plumbing.py").write_text(PIPES)
    (tmp_path / "graders" / "test_plumbing.py").write_text(PIPES_GRADER)
    course = yaml.safe_load((ROOT / "course.yaml").read_text())
    course["datasets"]["toy"] = "reference/toy.npz"
    course["assignments"]["plumbing"] = {"title": "Pipes", "files": ["plumbing.py"], "also_accepted": ["demo_*.py"],
                                      "graders": ["test_plumbing.py"], "parts": {"flow": {"points": 10}}}
    course_file = tmp_path / "course.yaml"
    course_file.write_text(yaml.safe_dump(course, sort_keys=False))
    work, scripts_only, nothing = (tmp_path / name for name in ("work", "scripts-only", "nothing"))
    for folder in (work, scripts_only, nothing):
        folder.mkdir()
    (work / "plumbing.py").write_text(PIPES)
    for folder in (work, scripts_only):
        (folder / "demo_1.py").write_text(DEMO)
    (nothing / "notes.txt").write_text("nothing to grade")
    results = {f.name: grade(f, tmp_path / f"out-{f.name}", course=course_file, assignment="plumbing")
               for f in (work, scripts_only, nothing)}
    assert results["work"]["score"] == 10, results["work"]["tests"]
    assert results["scripts-only"]["extra_data"]["status"] == "graded" and results["scripts-only"]["score"] == 0
    assert "No module named 'plumbing'" in results["scripts-only"]["tests"][0]["output"]
    assert results["nothing"]["extra_data"]["status"] == "no-submission"
    assert "none of plumbing.py is in the submission (nor any demo_*.py)" in results["nothing"]["output"]


def test_a_class_grades_scripts_through_the_warm_sandbox(tmp_path):
    """Class grading forks each worker from one zygote: scripts, their timer and their figures work there too."""
    klass = tmp_path / "class"
    klass.mkdir()
    submission(klass, "ana")
    submission(klass, "ben", one_file=True, edits=[("ex_2.py", "stride=2)", "stride=1)")])
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "grade", str(klass), "-a", ASSIGNMENT, "--out",
                           str(tmp_path / "graded"), "-j", "1"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    scores = {name: json.loads((tmp_path / "graded" / name / "results.json").read_text())["score"]
              for name in ("ana", "ben")}
    assert scores == {"ana": 100, "ben": 90}
