"""Exports: the Gradescope autograder zip (unpacked and run as Gradescope runs it) and the Canvas CSV."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import write_submission_metadata
from gradekit.errors import KitError
from gradekit.export import export_canvas, export_gradescope
from gradekit.gradebook import columns
from gradekit.layout import KitPaths
from gradekit.release.notebook import fill_notebook, handout_notebook, notebook_bytes

ROOT = Path(__file__).resolve().parents[1]
BLOG = ROOT / "samples" / "blog_solution"
GRADING_PACKAGES = ["numpy", "scipy", "scikit-learn", "matplotlib", "pytest", "click", "pydantic", "PyYAML",
                    "nbformat"]


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory, course) -> Path:
    return export_gradescope(KitPaths(ROOT), course, None, tmp_path_factory.mktemp("export") / "autograder.zip")


@pytest.fixture
def autograder(tmp_path, autograder_zip, course) -> Path:
    """/autograder as Gradescope lays it out: the zip unpacked in source/, an empty submission/, and Gradescope's
    submission_metadata.json (on time; a test may write its own)."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    due = course.assignment(None).due
    write_submission_metadata(root / "submission_metadata.json", due - timedelta(days=1), due)
    return root


@pytest.fixture
def run_autograder(gradescope_format):
    """Run source/run_autograder from the autograder folder, as Gradescope does; its results.json, which must be in
    Gradescope's format."""

    def run(root: Path, path: str | None = None) -> dict:
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable,
               **({"PATH": path} if path else {})}
        done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        gradescope_format.validate(results)
        return results

    return run


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
    assert "nbgrader" not in setup and "{{" not in runner + setup
    assert "ASSIGNMENT=part-4.2\n" in runner and 'cli.py grade "$ROOT/submission"' in runner


def test_gradescope_setup_pins_the_versions_the_kit_was_tested_with(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        setup = archive.read("setup.sh").decode()
    install = next(line for line in setup.splitlines() if "pip\" install" in line and "--upgrade" not in line)
    packages = shlex.split(install)[3:]
    matched = {p: re.fullmatch(r"([\w.-]+)==([^;]+)(?:; .*)?", p) for p in packages}
    pins = dict(m.groups() for m in matched.values() if m)
    unpinned = [Requirement(p) for p, m in matched.items() if not m]  # only what this Python does not install
    assert all(r.marker is not None and not r.marker.evaluate() for r in unpinned), unpinned
    assert set(GRADING_PACKAGES) <= set(pins) and "nbgrader" not in pins
    assert pins == {name: importlib.metadata.version(name) for name in pins}
    assert "pyseccomp==0.1.2; sys_platform == 'linux'".replace("0.1.2", pins["pyseccomp"]) in packages


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


def hand_in(form: str, submission: Path, course) -> None:
    """The blog's solution as a student uploads it to Gradescope, in one of the forms the handout allows."""
    if form == "py files":
        for path in BLOG.glob("*.py"):
            shutil.copy(path, submission)
    elif form == "the handout notebook":
        notebook = fill_notebook(handout_notebook(KitPaths(ROOT), course, "part-4.2"), BLOG)
        (submission / "part-4.2.ipynb").write_bytes(notebook_bytes(notebook))
    elif form == "a zip from package":
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "package", str(BLOG), "-o",
                        str(submission / "submission.zip")], cwd=ROOT, check=True, capture_output=True, timeout=120)
    else:  # files a folder down, beside the folder macOS's archiver adds
        shutil.copytree(BLOG, submission / "my work")
        (submission / "__MACOSX").mkdir()


@pytest.mark.slow
@pytest.mark.parametrize("form", ["py files", "the handout notebook", "a zip from package", "files a folder down"])
def test_run_autograder_grades_every_form_the_handout_allows(autograder, run_autograder, course, form):
    hand_in(form, autograder / "submission", course)
    results = run_autograder(autograder)
    assert results["score"] == results["extra_data"]["max_score"] == 100, results["output"]
    assert results["extra_data"]["status"] == "graded" and results["extra_data"]["late"]["source"] == "gradescope"


@pytest.mark.slow
def test_run_autograder_grades_the_blog_solution_with_gradescopes_time(autograder, run_autograder, course):
    hand_in("py files", autograder / "submission", course)
    a_day_late = course.assignment(None).due + timedelta(days=1)
    (autograder / "submission_metadata.json").write_text(json.dumps({"created_at": a_day_late.isoformat()}))
    results = run_autograder(autograder)
    conv2d = [t for t in results["tests"] if t["name"].startswith("conv2d:")]
    assert conv2d and all(t["status"] == "passed" and t["score"] == t["max_score"] for t in conv2d)
    assert results["extra_data"]["late"]["source"] == "gradescope"
    assert results["score"] == results["extra_data"]["raw_score"] - results["extra_data"]["late"]["penalty"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("extension, penalty", [(0, 20), (3, 0)], ids=["two days late", "with a three-day extension"])
def test_run_autograder_takes_the_time_and_due_date_from_gradescope(autograder, run_autograder, course,
                                                                    submission_metadata, extension, penalty):
    """Two started days late by Gradescope's clock; the user's own due date (an extension) moves the deadline."""
    hand_in("py files", autograder / "submission", course)
    due = course.assignment(None).due
    submission_metadata(autograder / "submission_metadata.json", due + timedelta(days=1, hours=10), due,
                        own_due=due + timedelta(days=extension))
    results = run_autograder(autograder)
    late = results["extra_data"]["late"]
    assert (late["source"], late["days_late"] > 0, late["penalty"]) == ("gradescope", not extension, penalty)
    assert results["score"] == results["extra_data"]["max_score"] - penalty
    assert ("late penalty 20 points" in results["output"]) == (not extension)


@pytest.mark.slow
def test_run_autograder_reports_a_syntax_error(autograder, run_autograder, course):
    hand_in("py files", autograder / "submission", course)
    (autograder / "submission" / "neural_network.py").write_text("def conv2d(image, kernel:\n    pass\n")
    results = run_autograder(autograder)
    assert "neural_network.py did not import" in results["output"]
    assert all(t["status"] == "failed" for t in results["tests"] if t["name"].startswith("conv2d:"))


def test_run_autograder_says_an_empty_submission_is_empty(autograder, run_autograder):
    results = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"][0]["status"] == "failed"
    assert results["extra_data"]["status"] == "no-submission"
    assert "it holds nothing" in results["output"] and "neural_network.py" in results["output"]


def test_run_autograder_leaves_a_zero_score_when_grading_crashes(autograder, run_autograder, course):
    hand_in("py files", autograder / "submission", course)
    (autograder / "source" / "course.yaml").write_text("course: [unclosed\n")
    results = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"][0]["max_score"] == results["extra_data"]["max_score"] == 100
    assert "could not grade" in results["output"] and "course.yaml" in results["output"]


@pytest.mark.slow
def test_run_autograder_leaves_the_kits_error_when_no_sandbox_starts(autograder, run_autograder, course,
                                                                     bwrap_that_never_starts):
    hand_in("py files", autograder / "submission", course)
    results = run_autograder(autograder, path=bwrap_that_never_starts)
    assert results["extra_data"]["status"] == "kit-error" and "the kit's fault" in results["output"]


def write_gradebook(path: Path, course, scores: dict[str, float], lms_ids: dict[str, str] | None = None) -> Path:
    """A gradebook.csv as class grading writes it (`lms_ids`: the LMS's ids a download gave, by student)."""
    assignment = course.assignment(None)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns(assignment))
        writer.writeheader()
        for student, score in scores.items():
            writer.writerow({"student": student, "lms_id": (lms_ids or {}).get(student, ""), "score": score,
                             "max_score": assignment.max_score, **dict.fromkeys(assignment.parts, 0),
                             "late_penalty": 0, "submission_sha256": "ab"})
    return path


def write_roster(path: Path, title: str = "Part 4.2 (12345)") -> Path:
    """Canvas's gradebook export (Grades > Export) with an assignment column `title` and a read-only one."""
    path.write_text(f"\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,{title},Current Score\n"
                    "    Points Possible,,,,,100,(read only)\n"
                    '"Doe, Jane",101,S1,jdoe,Sec A,,\n'
                    '"Roe, Rick",102,S2,rroe,Sec A,,\n'
                    '"Poe, Ann",103,S3,apoe,Sec B,,\n'
                    '"Smith, John",104,S4,jsmith,Sec B,,\n', encoding="utf-8")
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


ROSTER_ROWS = [["Doe, Jane", "101", "S1", "jdoe", "Sec A"], ["Roe, Rick", "102", "S2", "rroe", "Sec A"],
               ["Poe, Ann", "103", "S3", "apoe", "Sec B"], ["Smith, John", "104", "S4", "jsmith", "Sec B"]]


def test_canvas_csv_matches_the_roster_by_login_or_name(course, tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"jdoe": 90, "roe,  rick": 0})
    out = export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="Part 4.2 (12345)", points=100,
                        roster=roster)
    assert read_rows(out) == [HEADER, ["Points Possible", "", "", "", "", "100"],
                              [*ROSTER_ROWS[0], "90"], [*ROSTER_ROWS[1], "0"], [*ROSTER_ROWS[2], ""],
                              [*ROSTER_ROWS[3], ""]]
    write_gradebook(gradebook, course, {"jdoe": 90, "zed": 50})
    with pytest.raises(KitError, match=r"roster\.csv: student zed is not in the roster.*Fix: name each"):
        export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="A", points=100, roster=roster)


def test_canvas_csv_matches_by_sis_user_id_canvas_id_first_last_name_and_the_downloads_user_id(course, tmp_path):
    """The Canvas ID and SIS User ID as submission names, "First Last" in any case and spacing, and a Canvas
    download's student (keyed by a name Canvas made, `smithjohn`) by the user id in the gradebook's lms_id."""
    roster = write_roster(tmp_path / "roster.csv")
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"S1": 90, "102": 80, " ann  POE": 70,
                                                                     "smithjohn": 60}, lms_ids={"smithjohn": "104"})
    out = export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="Part 4.2 (12345)", points=100,
                        roster=roster)
    assert read_rows(out)[2:] == [[*person, score] for person, score in zip(ROSTER_ROWS, ["90", "80", "70", "60"])]


def test_canvas_lists_every_student_not_matched_in_one_error(course, tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"zed": 1, "jdoe": 2, "yan": 3, "Jane Doe": 4})
    with pytest.raises(KitError) as error:
        export_canvas(gradebook, tmp_path / "canvas.csv", assignment_title="A", points=100, roster=roster)
    assert ("student zed is not in the roster; student yan is not in the roster; "
            "student Jane Doe is the same roster student as jdoe") in str(error.value)
    assert not (tmp_path / "canvas.csv").exists()


def test_canvas_updates_the_rosters_column_of_the_assignment_by_default(course, tmp_path):
    """`export canvas` without --title: the roster's "<the assignment's title> (<id>)" column, so that Canvas
    updates that assignment rather than creating a new one."""
    title = f"{course.assignment(None).title} (12345)"
    roster = write_roster(tmp_path / "roster.csv", title)
    gradebook = write_gradebook(tmp_path / "gradebook.csv", course, {"jdoe": 90})
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "export", "canvas", str(gradebook), "--roster",
                           str(roster), "-o", str(tmp_path / "canvas.csv")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert read_rows(tmp_path / "canvas.csv")[0] == [*HEADER[:-1], title]
    write_roster(roster, f"{title},{course.assignment(None).title} (777)")
    with pytest.raises(KitError, match=r"all have the title.*Fix: pass --title with the id"):
        export_canvas(gradebook, tmp_path / "again.csv", assignment_title=course.assignment(None).title,
                      points=100, roster=roster)


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
