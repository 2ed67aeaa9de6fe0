"""`package` hands in finished work only (unless --force), names what is missing, and never writes over a file."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from test_cli import ROOT, SAMPLE, assert_one_clear_error, run_cli

from gradekit.course import open_course
from gradekit.layout import KitPaths
from gradekit.release import release

STUBS = ROOT / "exercises"  # the course's stubs: every part still raises NotImplementedError


def work_with(tmp_path: Path, **sources: str) -> Path:
    """The sample's finished work with some files replaced (name without .py -> source)."""
    work = tmp_path / "work"
    shutil.copytree(SAMPLE, work)
    for stem, source in sources.items():
        (work / f"{stem}.py").write_text(source)
    return work


def test_untouched_handout_is_refused_naming_every_part_left(tmp_path):
    zipped = tmp_path / "s.zip"
    proc = run_cli("package", str(STUBS), "-o", str(zipped))
    assert_one_clear_error(proc, "not finished", "conv2d in neural_network.py still raises NotImplementedError",
                           "exercise_1, exercise_2, exercise_3, exercise_4 in conv_exercises.py still raise",
                           "--force")
    assert not zipped.exists()


def test_one_part_left_is_named_and_force_packages_it_anyway(tmp_path):
    stub = (STUBS / "conv_exercises.py").read_text()
    finished = (SAMPLE / "conv_exercises.py").read_text()
    work = work_with(tmp_path, conv_exercises=finished + "\n\n" + stub[stub.index("def exercise_4"):])
    zipped = tmp_path / "s.zip"
    assert_one_clear_error(run_cli("package", str(work), "-o", str(zipped)),
                           "exercise_4 in conv_exercises.py still raises NotImplementedError")
    proc = run_cli("package", str(work), "-o", str(zipped), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "Packaged with parts not written: exercise_4 in conv_exercises.py" in proc.stdout
    with zipfile.ZipFile(zipped) as archive:
        manifest = json.loads(archive.read("MANIFEST.json"))
    assert manifest["unfinished"] == ["exercise_4 in conv_exercises.py still raises NotImplementedError"]


def test_a_part_deleted_from_its_file_is_named(tmp_path):
    source = (SAMPLE / "neural_network.py").read_text().replace("def conv2d(", "def my_conv(")
    proc = run_cli("package", str(work_with(tmp_path, neural_network=source)), "-o", str(tmp_path / "s.zip"))
    assert_one_clear_error(proc, "conv2d is not in neural_network.py")


def test_a_raise_not_implemented_outside_the_parts_does_not_count(tmp_path):
    source = (SAMPLE / "neural_network.py").read_text() + "\n\ndef later():\n    raise NotImplementedError\n"
    proc = run_cli("package", str(work_with(tmp_path, neural_network=source)), "-o", str(tmp_path / "s.zip"))
    assert proc.returncode == 0, proc.stderr


def test_untouched_notebook_handout_is_refused(tmp_path):
    paths, course = open_course(ROOT / "course.yaml")
    release(KitPaths(ROOT), course, assignment="part-4.2", dest=tmp_path / "nb", fmt="notebook")
    proc = run_cli("package", str(tmp_path / "nb" / "exercises"), "-o", str(tmp_path / "s.zip"))
    assert_one_clear_error(proc, "not finished", "conv2d, exercise_1", "in part-4.2.ipynb still raise")


def test_exercise_scripts_stand_in_for_their_stubs(tmp_path):
    """The blog's ex_N.py scripts are graded in place of unwritten exercise functions: not refused."""
    work = work_with(tmp_path, conv_exercises=(STUBS / "conv_exercises.py").read_text(), ex_1="print(1)\n")
    proc = run_cli("package", str(work), "-o", str(tmp_path / "s.zip"))
    assert proc.returncode == 0, proc.stderr
    assert "Packaged with parts not written: exercise_1" in proc.stdout


@pytest.mark.parametrize("content", [b"my own notes", b"PK\x03\x04 not a zip"])
def test_package_never_writes_over_a_file_it_did_not_make(tmp_path, content):
    mine = tmp_path / "submission.zip"
    mine.write_bytes(content)
    assert_one_clear_error(run_cli("package", str(SAMPLE), "-o", str(mine)), "not a submission packaged by this kit")
    assert mine.read_bytes() == content


def test_package_replaces_its_own_earlier_zip(tmp_path):
    zipped = tmp_path / "submission.zip"
    for _ in range(2):
        proc = run_cli("package", str(SAMPLE), "-o", str(zipped))
        assert proc.returncode == 0, proc.stderr
