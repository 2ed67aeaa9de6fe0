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


# the assignment's files wherever they are -------------------------------------------------------------------------

MODULES = ["conv_exercises", "neural_network"]  # part-4.2's, as the pipeline passes them (Assignment.modules)
BLOG = ROOT / "samples" / "blog_solution"
HANDOUT_SUPPORT = [ROOT / "exercises" / "mnist_data.py", ROOT / "exercises" / "mnist_sample.npz"]


def files(tree: dict[str, bytes | str], folder: Path) -> Path:
    for name, data in tree.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def zipped(tree: dict[str, bytes | str], target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in tree.items():
            archive.writestr(name, data)
    return target


def blog(name: str) -> bytes:
    return (BLOG / name).read_bytes()


def test_files_folders_down_are_graded_from_their_folder_with_the_support_beside_them(tmp_path):
    source = zipped({"my-work/exercises/neural_network.py": blog("neural_network.py"),
                     "my-work/exercises/conv_exercises.py": blog("conv_exercises.py"),
                     "my-work/exercises/helpers_of_mine.py": "HELP = 1\n",
                     "my-work/cli.py": "# the handout's\n", "my-work/README.md": "notes\n"}, tmp_path / "work.zip")
    submission = prepare(source, tmp_path / "submission", HANDOUT_SUPPORT, MODULES)
    assert tree(submission.folder) == {"neural_network.py", "conv_exercises.py", "helpers_of_mine.py",
                                       "mnist_data.py", "mnist_sample.npz"}
    assert (submission.folder / "neural_network.py").read_bytes() == blog("neural_network.py")
    assert submission.notes == ["conv_exercises.py and neural_network.py found in my-work/exercises/"]


def test_files_in_different_folders_are_each_brought_up(tmp_path):
    source = files({"neural_network.py": blog("neural_network.py"), "part2/conv_exercises.py": "X = 1\n"},
                   tmp_path / "work")
    submission = prepare(source, tmp_path / "submission", (), MODULES)
    assert {"neural_network.py", "conv_exercises.py"} <= tree(submission.folder)
    assert submission.notes == ["conv_exercises.py found in part2/"]


def test_renamed_copies_are_graded_as_the_module_the_highest_copy_first(tmp_path):
    source = files({"neural_network (1).py": "N = 1\n", "neural_network-2.py": "N = 2\n",
                    "Conv_Exercises.py": "C = 1\n"}, tmp_path / "work")
    submission = prepare(source, tmp_path / "submission", (), MODULES)
    assert (submission.folder / "neural_network.py").read_text() == "N = 2\n"
    assert (submission.folder / "conv_exercises.py").read_text() == "C = 1\n"
    assert submission.notes == ["Conv_Exercises.py graded as conv_exercises.py",
                                "neural_network-2.py graded as neural_network.py",
                                "neural_network (1).py not graded: neural_network-2.py is"]


def test_the_exact_name_wins_then_the_nearest_the_top_then_path_order(tmp_path):
    source = files({"neural_network copy.py": "N = 'copy'\n", "old/neural_network.py": "N = 'old'\n",
                    "a/b/conv_exercises.py": "C = 'ab'\n", "z/b/conv_exercises.py": "C = 'zb'\n"}, tmp_path / "work")
    first = prepare(source, tmp_path / "first", (), MODULES)
    assert (first.folder / "neural_network.py").read_text() == "N = 'old'\n"
    assert (first.folder / "conv_exercises.py").read_text() == "C = 'ab'\n"
    assert "neural_network copy.py not graded: old/neural_network.py is" in first.notes
    assert "z/b/conv_exercises.py not graded: a/b/conv_exercises.py is" in first.notes
    assert prepare(source, tmp_path / "again", (), MODULES).notes == first.notes  # the same choice every time


def test_a_notebook_of_any_name_further_down_holds_the_modules(tmp_path):
    import nbformat

    def notebook(*code: str) -> str:
        return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code]))

    source = files({"stuff/scratch.ipynb": notebook("x = 1"),
                    "stuff/Homework 4.2.ipynb": notebook(blog("neural_network.py").decode(), "def extra():\n  pass"),
                    "stuff/broken.ipynb": "{not json", "README.txt": "see stuff/"}, tmp_path / "work")
    submission = prepare(source, tmp_path / "submission", (), MODULES)
    assert (submission.folder / "neural_network.py").read_text().startswith(blog("neural_network.py").decode())
    assert (submission.folder / "conv_exercises.py").read_text() == (submission.folder / "neural_network.py").read_text()
    assert submission.notes == ["stuff/broken.ipynb not graded: it is not a readable notebook",
                                "Homework 4.2.ipynb found in stuff/",
                                "Homework 4.2.ipynb graded as conv_exercises.py and neural_network.py",
                                "stuff/scratch.ipynb not graded: Homework 4.2.ipynb is"]


def test_a_zip_inside_the_submission_is_extracted_and_checked_like_any(tmp_path, attack_dirs):
    inner = zipped({"neural_network.py": blog("neural_network.py"), "conv_exercises.py": blog("conv_exercises.py")},
                   tmp_path / "inner.zip")
    source = files({"handed in/submission.zip": inner.read_bytes()}, tmp_path / "work")
    submission = prepare(source, tmp_path / "submission", (), MODULES)
    assert tree(submission.folder) == {"neural_network.py", "conv_exercises.py"}
    assert submission.notes == []  # a zip of the files, in a folder: nothing moved or renamed
    made, dest, outside = attack_dirs
    hostile = files({"submission.zip": archives.zip_slip_relative(made, outside).read_bytes()}, tmp_path / "bad")
    with pytest.raises(KitError, match="would be written outside the submission"):
        prepare(hostile, dest, (), MODULES)
    assert not (outside / "evil.py").exists() and not list(tmp_path.glob("evil.py"))


def test_copy_numbers():
    from gradekit.locate import copy_number

    assert [copy_number(stem, "work") for stem in ("work", "Work", "work (1)", "work(3)", "work-2", "work 2",
                                                  "work copy", "work - Copy", "work copy 4", "work (copy)")] == \
        [0, 0, 1, 3, 2, 2, 1, 1, 4, 1]
    assert [copy_number(stem, "work") for stem in ("work_2", "works", "my work", "work2")] == [None] * 4


def test_a_damaged_notebook_beside_the_files_further_down_is_a_note_not_a_zero(tmp_path):
    source = files({"my-work/exercises/neural_network.py": blog("neural_network.py"),
                    "my-work/exercises/conv_exercises.py": blog("conv_exercises.py"),
                    "my-work/exercises/draft.ipynb": "{not json", "my-work/cli.py": "# the handout's\n"},
                   tmp_path / "work")
    submission = prepare(source, tmp_path / "submission", (), MODULES)
    assert {"neural_network.py", "conv_exercises.py"} <= tree(submission.folder)
    assert submission.notes == ["conv_exercises.py and neural_network.py found in my-work/exercises/",
                                "my-work/exercises/draft.ipynb not graded: it is not a readable notebook"]


def test_notebooks_are_read_without_jsonschema_building_its_iri_grammar():
    """nbformat's import through the kit leaves out rfc3987-syntax (~0.9 s to import), which its schemas never use,
    and leaves it importable after."""
    pytest.importorskip("rfc3987_syntax")  # installed with nbgrader's dependencies; without it nothing is left out
    code = ("import sys; from gradekit import nbformat_import; nbformat_import.imported(); "
            "print('rfc3987_syntax' in sys.modules, 'nbformat' in sys.modules); import rfc3987_syntax")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
