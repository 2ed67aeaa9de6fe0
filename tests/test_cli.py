"""The command line as users run it: help, course.yaml errors, check, package, grade."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "blog_solution"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def assert_one_clear_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Non-zero exit, one `Error:` line naming what is wrong, never a traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_help_lists_every_command():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("release", "check", "package", "grade", "validate", "gradebook", "report", "similar", "export"):
        assert command in proc.stdout


BAD_COURSES = {
    "unknown key with a suggestion": (("late_policy:", "late_polcy:"),
                                      ["line 22", "unknown key 'late_polcy'", "did you mean 'late_policy'"]),
    "negative points": (("conv2d:     {points: 40,", "conv2d:     {points: -4,"),
                        ["assignments.part-4.2.parts.conv2d.points", "greater than 0"]),
    "missing version": (('version: "2026.11"\n', ""), ["missing key 'version'", "add 'version:'"]),
    "bad due date": (("due: 2026-12-14T23:59:00+00:00", "due: next friday"), ["due", "2026-12-14T23:59:00+00:00"]),
    "invalid yaml": (("limits:                 #", "limits: [                #"), ["not valid YAML", "line"]),
    "unknown default": (("default_assignment: part-4.2", "default_assignment: part-9"), ["part-9"]),
}


@pytest.mark.parametrize("case", sorted(BAD_COURSES))
def test_bad_course_yaml_gets_one_clear_message(tmp_path, case):
    (old, new), needles = BAD_COURSES[case]
    text = (ROOT / "course.yaml").read_text()
    assert old in text, "the test's anchor must exist in course.yaml"
    bad = tmp_path / "course.yaml"
    bad.write_text(text.replace(old, new, 1))
    proc = run_cli("validate", "--course-only", "--course", str(bad))
    assert_one_clear_error(proc, str(bad), *needles)
    assert "Fix:" in proc.stderr


def test_missing_course_file(tmp_path):
    assert_one_clear_error(run_cli("validate", "--course-only", "--course", str(tmp_path / "nope.yaml")),
                           "nope.yaml", "not found")


def test_shipped_course_is_valid():
    proc = run_cli("validate", "--course-only")
    assert proc.returncode == 0 and "OK" in proc.stdout


def test_unknown_assignment_names_the_choices(tmp_path):
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path), "-a", "part-9")
    assert_one_clear_error(proc, "part-9", "part-4.2", "library")


def test_missing_submission(tmp_path):
    assert_one_clear_error(run_cli("grade", str(tmp_path / "ghost"), "--out", str(tmp_path / "o")), "ghost")


def test_bad_shard_argument(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    assert_one_clear_error(run_cli("grade", str(tmp_path / "class"), "--shard", "3/2"), "--shard 3/2", "K/N")


@pytest.mark.parametrize("shard", ["3/2", "x", "0/2"])
def test_a_shard_of_one_submission_is_refused_before_anything_is_written(tmp_path, shard):
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--shard", shard)
    assert_one_clear_error(proc, f"--shard {shard}")
    assert not (tmp_path / "out").exists()


def test_package_then_grade_matches_the_folder(tmp_path):
    zipped = tmp_path / "submission.zip"
    proc = run_cli("package", str(SAMPLE), "-o", str(zipped))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("MANIFEST.json"))
    assert names == {"neural_network.py", "conv_exercises.py", "MANIFEST.json"}
    assert set(manifest["files"]) == {"neural_network.py", "conv_exercises.py"} and manifest["created"]
    folder = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "a"), "--seed", "7")
    packed = run_cli("grade", str(zipped), "--out", str(tmp_path / "b"), "--seed", "7")
    assert folder.returncode == packed.returncode == 0, folder.stderr + packed.stderr
    scores = [json.loads((tmp_path / d / "results.json").read_text())["score"] for d in ("a", "b")]
    assert scores[0] == scores[1]


def test_package_takes_the_files_an_assignment_also_accepts(tmp_path):
    """part-4.2 also accepts the blog's exercise scripts (ex_*.py): they go into the zip beside its files."""
    work = tmp_path / "work"
    shutil.copytree(SAMPLE, work)
    (work / "ex_1.py").write_text("print('exercise 1')\n")
    (work / "notes_ex.py").write_text("")
    zipped = tmp_path / "submission.zip"
    proc = run_cli("package", str(work), "-o", str(zipped))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(zipped) as archive:
        assert set(archive.namelist()) == {"neural_network.py", "conv_exercises.py", "ex_1.py", "MANIFEST.json"}


def test_grade_reports_a_file_changed_after_packaging(tmp_path):
    zipped = tmp_path / "s.zip"
    assert run_cli("package", str(SAMPLE), "-o", str(zipped)).returncode == 0
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data + b"\n# edited\n" if item.filename == "neural_network.py" else data)
    proc = run_cli("grade", str(tampered), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["extra_data"]["manifest_mismatch"] == ["neural_network.py"]
    assert "changed after packaging" in results["output"]


def test_package_refuses_incomplete_or_broken_work(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(SAMPLE / "neural_network.py", work)
    assert_one_clear_error(run_cli("package", str(work), "-o", str(tmp_path / "x.zip")), "conv_exercises.py is missing")
    (work / "conv_exercises.py").write_text("def exercise_1(:\n    pass\n")
    assert_one_clear_error(run_cli("package", str(work), "-o", str(tmp_path / "x.zip")), "conv_exercises.py",
                           "line 1")
    assert not (tmp_path / "x.zip").exists()


def test_check_prints_a_line_per_public_part_and_the_parts_graded_on_submission(tmp_path):
    proc = run_cli("check", str(ROOT / "exercises"))
    assert proc.returncode == 1, proc.stderr  # public tests fail: a commit hook or CI workflow stops here
    lines = proc.stdout.splitlines()
    assert any(line.startswith("conv2d") and "40 points" in line and "not started" in line for line in lines)
    assert "exercise_3 (20 points), exercise_4 (20 points): graded when you hand in" in proc.stdout
    assert "Public tests: 0 / 60: 3 of 3 parts not done yet." in proc.stdout


def test_grade_never_writes_among_or_over_a_students_files(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(SAMPLE, work)
    (work / "feedback.md").write_text("my own notes\n")
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    for out in (work, work / "graded"):
        assert_one_clear_error(run_cli("grade", str(work), "--out", str(out)), "is inside the submission")
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.json").write_text('{"my": "data"}')
    assert_one_clear_error(run_cli("grade", str(work), "--out", str(mine)), "results.json is there and was not "
                                                                            "written by the kit")
    assert (mine / "results.json").read_text() == '{"my": "data"}' and not (mine / "feedback.md").exists()
    again = tmp_path / "graded"
    for _ in range(2):  # its own earlier results it replaces
        assert run_cli("grade", str(work), "--out", str(again)).returncode == 0


def test_grade_writes_results_feedback_and_exits_zero(tmp_path, gradescope_format):
    proc = run_cli("grade", str(ROOT / "exercises"), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    gradescope_format.validate(results)
    assert results["score"] == 0 and results["extra_data"]["max_score"] == 100
    for key in ("seed", "kit_version", "course_version", "numpy", "scipy", "isolation"):
        assert key in results["extra_data"]
    assert (tmp_path / "feedback.md").read_text().startswith("# Feedback")
    assert "total" in proc.stdout


def test_grades_with_a_python_installed_under_tmp(tmp_path):
    """A venv under /tmp (a clone there) must stay visible in the sandbox, whose /tmp is private."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    outer = [p for p in sys.path if p.endswith("site-packages")]  # this venv's packages, .pth files included
    (site / "kit.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in outer))
    proc = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "cli.py"), "grade", str(SAMPLE), "--out",
                           str(tmp_path / "out"), "--seed", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 100, proc.stdout


def test_an_import_error_names_the_file_it_happened_in(tmp_path):
    """conv_exercises.py imports neural_network.py: its syntax error is reported where it is."""
    submission = tmp_path / "work"
    shutil.copytree(SAMPLE, submission)
    (submission / "neural_network.py").write_text("import numpy as np\ndef conv2d(image, kernel:\n    pass\n")
    proc = run_cli("grade", str(submission), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "conv_exercises.py did not import: SyntaxError in neural_network.py, line 2:" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
