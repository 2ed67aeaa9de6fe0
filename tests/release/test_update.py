"""`update` in a handout: a corrected release applied without touching anything the student started."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from gradekit.course import open_course
from gradekit.errors import KitError
from gradekit.layout import KitPaths
from gradekit.release import release
from gradekit.release.update import update

KIT_FILES = ("reference", "graders", "notes", "course.yaml", "cli.py", "pyproject.toml")
CONV2D = "def conv2d(image, kernel, stride=1):\n    \"\"\"Mine.\"\"\"\n    return image[:1, :1] * 0 + 1.0  # started\n"
NEW_HELPER = "\n\ndef describe_map(feature_map):\n    \"\"\"A helper the corrected handout adds.\"\"\"\n" \
             "    return f\"{feature_map.shape[0]}x{feature_map.shape[1]}\"\n"


def kit_copy(dest: Path) -> KitPaths:
    for name in KIT_FILES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, dest / name)
    return KitPaths(dest)


def released(paths: KitPaths, dest: Path, assignment: str = "part-4.2") -> Path:
    _, course = open_course(paths.course_file)
    release(paths, course, assignment=assignment, dest=dest)
    return dest


@pytest.fixture
def course_pair(tmp_path):
    """The handout as first released, and as released again after the instructor corrected the reference."""
    paths = kit_copy(tmp_path / "kit")
    first = released(paths, tmp_path / "first")
    exercises = paths.reference / "conv_exercises.py"
    source = exercises.read_text().replace("Exercise 2: the same image and filter as exercise 1, with stride 2.",
                                           "Exercise 2: the same image and filter as exercise 1, with stride 2 "
                                           "(corrected).")
    source = source.replace("Exercise 1: apply the 2x2 averaging filter", "Exercise 1 (corrected): apply the filter")
    exercises.write_text(source + NEW_HELPER)
    return first, released(paths, tmp_path / "second")


@pytest.fixture
def student(course_pair, tmp_path):
    """The first handout with conv2d and exercise_1 started, exercise_2 not, and the README edited."""
    first, _ = course_pair
    work = tmp_path / "my-work"
    shutil.copytree(first, work)
    nn = work / "exercises" / "neural_network.py"
    text = nn.read_text()
    start = text.index("def conv2d(")
    end = text.find("\n\n\n", start)
    nn.write_text(text[:start] + CONV2D + (text[end + 1:] if end > 0 else ""))
    ex = work / "exercises" / "conv_exercises.py"
    ex.write_text(ex.read_text().replace('raise NotImplementedError("exercise_1: your code here',
                                         'return conv2d(IMAGE_4X4, AVERAGING_FILTER)  # mine\n    #', 1))
    (work / "README.md").write_text((work / "README.md").read_text() + "\nMy notes.\n")
    return work


def files_of(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def function_source(path: Path, name: str) -> str:
    text = path.read_text()
    start = text.index(f"def {name}(")
    end = text.find("\n\n\ndef ", start)
    return text[start:end if end > 0 else None]


def test_update_replaces_only_what_the_student_did_not_start(course_pair, student):
    _, second = course_pair
    before = {name: function_source(student / "exercises" / file, name)
              for file, name in (("neural_network.py", "conv2d"), ("conv_exercises.py", "exercise_1"))}
    proc = subprocess.run([sys.executable, "cli.py", "update", str(second)], cwd=student, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    exercises = student / "exercises" / "conv_exercises.py"
    assert function_source(exercises, "exercise_1") == before["exercise_1"]  # started: untouched
    assert function_source(student / "exercises" / "neural_network.py", "conv2d") == before["conv2d"]
    assert function_source(exercises, "exercise_2") == function_source(second / "exercises" / "conv_exercises.py",
                                                                        "exercise_2")  # not started: corrected
    assert "(corrected)" in function_source(exercises, "exercise_2")
    assert "def describe_map(feature_map):" in exercises.read_text()  # new in the handout: added
    assert "My notes." in (student / "README.md").read_text()
    for unchanged in ("graders/test_exercises.py", "reference/answers.json", "course.yaml"):
        assert (student / unchanged).read_bytes() == (second / unchanged).read_bytes()
    assert ("exercises/conv_exercises.py: yours, with the new handout's exercise_2 (you had not started it) and its "
            "new describe_map") in proc.stdout
    assert "Kept as you changed them (compare with the new handout by hand): README.md" in proc.stdout


def test_update_again_changes_nothing(course_pair, student):
    _, second = course_pair
    update(student, second)
    snapshot = files_of(student)
    again = update(student, second)
    assert again.merged == {} and again.kept == ["README.md"] and files_of(student) == snapshot


def test_update_from_the_handouts_zip(course_pair, student, tmp_path):
    _, second = course_pair
    zipped = tmp_path / "handout.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in second.rglob("*"):
            if path.is_file():
                archive.write(path, Path("my-work") / path.relative_to(second))
    done = update(student, zipped)
    assert done.merged["exercises/conv_exercises.py"] == (["exercise_2"], ["describe_map"])


def test_update_refuses_what_is_not_the_same_handout(course_pair, student, tmp_path):
    paths = kit_copy(tmp_path / "kit2")
    other = released(paths, tmp_path / "library", assignment="library")
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("x")
    snapshot = files_of(student)
    with pytest.raises(KitError, match="the py handout of library, yours is the py handout of part-4.2"):
        update(student, other)
    with pytest.raises(KitError, match="not a handout released by the kit"):
        update(student, stranger)
    with pytest.raises(KitError, match="this folder is not a handout"):
        update(stranger, course_pair[1])
    assert files_of(student) == snapshot
