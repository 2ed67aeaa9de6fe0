"""Exports: the Gradescope autograder zip (unpacked and run as Gradescope runs it) and the Canvas CSV."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from gradekit.errors import KitError
from gradekit.export import export_canvas, export_gradescope
from gradekit.gradebook import columns
from gradekit.layout import KitPaths

ROOT = Path(__file__).resolve().parents[1]
BLOG = ROOT / "samples" / "blog_solution"
GRADING_PACKAGES = ["numpy", "scipy", "scikit-learn", "matplotlib", "pytest", "click", "pydantic", "PyYAML",
                    "nbformat"]


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory, course) -> Path:
    return export_gradescope(KitPaths(ROOT), course, None, tmp_path_factory.mktemp("export") / "autograder.zip")


@pytest.fixture
def autograder(tmp_path, autograder_zip) -> Path:
    """/autograder as Gradescope lays it out: the zip unpacked in source/, an empty submission/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> dict:
    """Run source/run_autograder from the autograder folder, as Gradescope does; its results.json."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert {"score", "tests"} <= set(results)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
    return results


def test_gradescope_zip_holds_the_kit_at_its_root(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        runner = archive.read("run_autograder").decode()
    names = set(infos)
    assert {"setup.sh", "run_autograder", "cli.py", "course.yaml", "gradekit/grade/pipeline.py",
            "reference/neural_network.py", "graders/test_conv2d.py", "exercises/mnist_data.py",
            "exercises/mnist_sample.npz"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("graders/mutants/") or n.endswith(".pyc")]
    assert not {"exercises/neural_network.py", "exercises/conv_exercises.py"} & names  # the stubs
    for script in ("setup.sh", "run_autograder"):
        assert infos[script].external_attr >> 16 & 0o777 == 0o755
    assert "apt-get install -y python3 python3-pip python3-venv bubblewrap" in setup
    assert all(f"'{package}>=" in setup for package in GRADING_PACKAGES) and "nbgrader" not in setup
    assert "ASSIGNMENT=part-4.2\n" in runner and 'cli.py grade "$SUB"' in runner and "{{" not in runner + setup


def test_gradescope_reexport_is_byte_identical(autograder_zip, course, tmp_path):
    again = export_gradescope(KitPaths(ROOT), course, "part-4.2", tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()
    with zipfile.ZipFile(again) as archive:
        names = archive.namelist()
    assert names == sorted(names)


def test_gradescope_unknown_assignment_is_a_user_error(course, tmp_path):
    with pytest.raises(KitError, match="no assignment 'part-9'"):
        export_gradescope(KitPaths(ROOT), course, "part-9", tmp_path / "autograder.zip")
    assert not (tmp_path / "autograder.zip").exists()


@pytest.mark.slow
def test_run_autograder_grades_the_blog_solution_with_gradescopes_time(autograder, course):
    for path in BLOG.glob("*.py"):
        shutil.copy(path, autograder / "submission")
    a_day_late = course.assignment(None).due + timedelta(days=1)
    (autograder / "submission_metadata.json").write_text(json.dumps({"created_at": a_day_late.isoformat()}))
    results = run_autograder(autograder)
    conv2d = [t for t in results["tests"] if t["name"].startswith("conv2d:")]
    assert conv2d and all(t["status"] == "passed" and t["score"] == t["max_score"] for t in conv2d)
    assert results["extra_data"]["late"]["source"] == "gradescope"
    assert results["score"] == results["extra_data"]["raw_score"] - results["extra_data"]["late"]["penalty"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("extension, penalty", [(0, 20), (3, 0)], ids=["two days late", "with a three-day extension"])
def test_run_autograder_takes_the_time_and_due_date_from_gradescope(autograder, course, submission_metadata,
                                                                    extension, penalty):
    """Two started days late by Gradescope's clock; the user's own due date (an extension) moves the deadline."""
    for path in BLOG.glob("*.py"):
        shutil.copy(path, autograder / "submission")
    due = course.assignment(None).due
    submission_metadata(autograder / "submission_metadata.json", due + timedelta(days=1, hours=10), due,
                        own_due=due + timedelta(days=extension))
    results = run_autograder(autograder)
    late = results["extra_data"]["late"]
    assert (late["source"], late["days_late"] > 0, late["penalty"]) == ("gradescope", not extension, penalty)
    assert results["score"] == results["max_score"] - penalty
    assert ("late penalty 20 points" in results["output"]) == (not extension)


@pytest.mark.slow
def test_run_autograder_grades_files_uploaded_in_a_folder(autograder):
    shutil.copytree(BLOG, autograder / "submission" / "my work")
    (autograder / "submission" / "__MACOSX").mkdir()
    results = run_autograder(autograder)
    assert results["score"] == results["max_score"] > 0


@pytest.mark.slow
def test_run_autograder_reports_a_syntax_error(autograder):
    for path in BLOG.glob("*.py"):
        shutil.copy(path, autograder / "submission")
    (autograder / "submission" / "neural_network.py").write_text("def conv2d(image, kernel:\n    pass\n")
    results = run_autograder(autograder)
    assert "neural_network.py did not import" in results["output"]
    assert all(t["status"] == "failed" for t in results["tests"] if t["name"].startswith("conv2d:"))


def test_run_autograder_says_an_empty_submission_is_empty(autograder):
    results = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"][0]["status"] == "failed"
    assert "it is empty" in results["output"] and "neural_network.py" in results["output"]


def test_run_autograder_leaves_a_zero_score_when_grading_crashes(autograder):
    for path in BLOG.glob("*.py"):
        shutil.copy(path, autograder / "submission")
    (autograder / "source" / "course.yaml").write_text("course: [unclosed\n")
    results = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"][0]["max_score"] == 100
    assert "could not grade" in results["output"] and "course.yaml" in results["output"]


def write_gradebook(path: Path, course, scores: dict[str, float]) -> Path:
    """A gradebook.csv as class grading writes it."""
    assignment = course.assignment(None)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns(assignment))
        writer.writeheader()
        for student, score in scores.items():
            writer.writerow({"student": student, "score": score, "max_score": assignment.max_score,
                             **dict.fromkeys(assignment.parts, 0), "late_penalty": 0, "submission_sha256": "ab"})
    return path


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Part 4.2 (12345)"]


def test_canvas_csv_without_roster_uses_the_submission_names(course, tmp_path):
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"bob": 72.5, "alice": 100})
    out = export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="Part 4.2 (12345)", points=100)
    assert read_rows(out) == [HEADER, ["Points Possible", "", "", "", "", "100"],
                              ["alice", "", "", "alice", "", "100"], ["bob", "", "", "bob", "", "72.5"]]


def test_canvas_csv_matches_the_roster_by_login_or_name(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Part 4.2 (12345),Current Score\n"
                      "    Points Possible,,,,,100,(read only)\n"
                      '"Doe, Jane",101,S1,jdoe,Sec A,,\n'
                      '"Roe, Rick",102,S2,rroe,Sec A,,\n'
                      '"Poe, Ann",103,S3,apoe,Sec B,,\n', encoding="utf-8")
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"jdoe": 90, "roe,  rick": 0})
    out = export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="Part 4.2 (12345)", points=100,
                        roster=roster)
    assert read_rows(out) == [HEADER, ["Points Possible", "", "", "", "", "100"],
                              ["Doe, Jane", "101", "S1", "jdoe", "Sec A", "90"],
                              ["Roe, Rick", "102", "S2", "rroe", "Sec A", "0"],
                              ["Poe, Ann", "103", "S3", "apoe", "Sec B", ""]]
    write_gradebook(gradebook, course, {"jdoe": 90, "zed": 50})
    with pytest.raises(KitError, match=r"roster\.csv: student zed is not in the roster.*Fix: name each"):
        export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="A", points=100, roster=roster)


def test_canvas_bad_inputs_name_the_file_and_the_fix(course, tmp_path):
    with pytest.raises(KitError, match=r"missing\.csv: file not found.*Fix: pass the gradebook\.csv"):
        export_canvas(tmp_path / "missing.csv", tmp_path / "out.csv", assignment_title="A", points=10)
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"jdoe": 9})
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,ID,Section\nJane,101,A\n", encoding="utf-8")
    with pytest.raises(KitError, match=r"roster\.csv: no column SIS Login ID, Student.*Fix: export the roster"):
        export_canvas(gradebook, tmp_path / "out.csv", assignment_title="A", points=10, roster=roster)
    assert not (tmp_path / "out.csv").exists()
    for given in (gradebook, roster):  # never written over: Canvas's own roster, or the gradebook itself
        before = given.read_bytes()
        with pytest.raises(KitError, match="the output is a file the export reads"):
            export_canvas(gradebook, given, assignment_title="A", points=10, roster=roster)
        assert given.read_bytes() == before
