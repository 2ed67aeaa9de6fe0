"""Preparing submissions: hostile zips and folders are refused with one clear message, and write nothing outside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gradekit.errors import KitError
from gradekit.submission import prepare

sys.path.insert(0, str(Path(__file__).resolve().parent / "sandbox"))  # the hostile inputs live beside the sandbox tests
from hostile import archives  # noqa: E402
from hostile.archives import GOOD  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

REFUSALS = {  # what the message must say, beside the file's name and a fix
    archives.zip_slip_relative: "'../evil.py' would be written outside the submission",
    archives.zip_slip_absolute: "would be written outside the submission",
    archives.zip_symlink: "'neural_network.py' is a link",
    archives.zip_bomb: "neural_network.py is 200 MB",
    archives.zip_dense_bomb: "(a zip bomb?)",
    archives.zip_lying_header: "cannot be extracted (Bad CRC-32 for file 'neural_network.py')",
    archives.zip_too_many: "the zip holds 500 files",
    archives.zip_damaged: "cannot be extracted",
    archives.zip_not_a_zip: "not a readable zip file",
    archives.zip_encrypted: "the zip member 'neural_network.py' is encrypted",
    archives.zip_file_and_folder: "cannot be extracted",
    archives.folder_link_to_passwd: "the link neural_network.py points outside the submission",
    archives.folder_link_to_reference: "the link reference points outside the submission",
    archives.folder_link_loop: "the link loop.py points nowhere",
    archives.folder_fifo: "pipe.py is not a regular file",
}


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def attack_dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Where the hostile input goes, where it is unpacked (two levels down), and what lies outside."""
    made, outside = tmp_path / "made", tmp_path / "outside"
    made.mkdir()
    outside.mkdir()
    return made, tmp_path / "box" / "submission", outside


@pytest.mark.parametrize("make", list(REFUSALS), ids=lambda f: f.__name__)
def test_hostile_input_is_refused_with_one_clear_message(make, attack_dirs, tmp_path):
    made, dest, outside = attack_dirs
    source = make(made, outside)
    before = tree(tmp_path)
    with pytest.raises(KitError) as refused:
        prepare(source, dest)
    message = str(refused.value)
    assert REFUSALS[make] in message
    assert source.name in message and "Fix:" in message and "\n" not in message
    written = {p for p in tree(tmp_path) - before if not p.startswith("box")}
    assert not written, f"written outside the extraction folder: {written}"
    assert not list(tmp_path.parent.glob("evil.py")) and not list(tmp_path.glob("evil.py"))


@pytest.mark.slow
@pytest.mark.parametrize("make", list(REFUSALS), ids=lambda f: f.__name__)
def test_cli_refuses_hostile_input_in_one_line(make, attack_dirs, tmp_path):
    made, _, outside = attack_dirs
    source = make(made, outside)
    out = tmp_path / "graded"
    run = subprocess.run([sys.executable, "cli.py", "grade", str(source), "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and REFUSALS[make] in lines[0], lines
    assert not (out / "results.json").exists()
    assert not (outside / "evil.py").exists()


def test_a_good_zip_is_extracted(tmp_path):
    source = tmp_path / "good.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("neural_network.py", GOOD)
        archive.writestr("__MACOSX/._neural_network.py", b"junk")
    submission = prepare(source, tmp_path / "submission")
    assert tree(submission.folder) == {"neural_network.py"}
    assert (submission.folder / "neural_network.py").read_bytes() == GOOD


def test_a_zip_of_one_folder_is_lifted_even_when_it_holds_its_own_name(tmp_path):
    source = tmp_path / "work.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("work/neural_network.py", GOOD)
        archive.writestr("work/work/notes.txt", b"notes")
    submission = prepare(source, tmp_path / "submission")
    assert tree(submission.folder) == {"neural_network.py", "work", "work/notes.txt"}


def test_a_link_inside_the_folder_is_copied_as_a_file(tmp_path):
    source = tmp_path / "work"
    source.mkdir()
    (source / "mine.py").write_bytes(GOOD)
    (source / "neural_network.py").symlink_to("mine.py")
    submission = prepare(source, tmp_path / "submission")
    copied = submission.folder / "neural_network.py"
    assert not copied.is_symlink() and copied.read_bytes() == GOOD


def test_the_digest_depends_on_names_and_contents(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "neural_network.py").write_bytes(GOOD)
    first = prepare(tmp_path / "a", tmp_path / "da").digest
    assert prepare(tmp_path / "b", tmp_path / "db").digest == first
    (tmp_path / "b" / "neural_network.py").write_bytes(GOOD + b"\n")
    assert prepare(tmp_path / "b", tmp_path / "dc").digest != first
