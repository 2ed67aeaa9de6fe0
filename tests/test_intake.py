"""A class as LMSs download it: Canvas's flat files, Moodle's folders, Gradescope's export, mixed with folders, zips
and notebooks of students' own naming; one entry, one gradebook row and a status per student.

The fixtures are built from the formats' sources: Canvas's `lib/content_zipper.rb` (`get_filename`,
`add_upload_submission`) and `Attachment.make_unique_filename`, Moodle's `mod/assign/locallib.php`
(`download_submissions`), and Gradescope's `submission_metadata.yml` as its exports write it (Ruby symbols as keys).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from gradekit.errors import KitError
from gradekit.intake import class_entries, entry_digest, is_class_folder, open_class, staged

ROOT = Path(__file__).resolve().parents[1]
BLOG = ROOT / "samples" / "blog_solution"  # 100/100 on part-4.2
TYPICAL = ROOT / "samples" / "typical_student"
FILES = ("neural_network.py", "conv_exercises.py")


def canvas(folder: Path, name: str, user: int | str, file_id: int, file: str, source: Path | bytes,
           late: str = "") -> Path:
    """A file as Canvas's "Download Submissions" names it: [name, LATE, user id] joined by "_" (the name is the
    sortable name lower-cased without its non-word characters; the user `anon_<id>` and no name when grading is
    anonymous), then the attachment's id and its display name."""
    path = folder / ("_".join(f for f in (name, late, str(user)) if f) + f"_{file_id}_{file}")
    path.write_bytes(source if isinstance(source, bytes) else source.read_bytes())
    return path


def moodle(folder: Path, full_name: str, participant: int, plugin: str = "file") -> Path:
    """Moodle's folder of one student's submission (download as folders, the default since 3.1): the full name with
    underscores as spaces, the participant id, then `_assignsubmission_<plugin>_`."""
    path = folder / f"{full_name.replace('_', ' ')}_{participant}_assignsubmission_{plugin}_"
    path.mkdir()
    return path


def gradescope_metadata(folder: Path, submissions: dict[str, tuple[list[tuple[str, str, str]], str]]) -> None:
    """submission_metadata.yml of Gradescope's "Export Submissions": each submission's folder to its submitters
    (name, SID, email) and its time, as Gradescope writes it."""
    lines = ["---"]
    for key, (people, created) in submissions.items():
        lines += [f"{key}:", "  :submitters:"]
        for name, sid, email in people:
            lines += [f"  - :name: {name}", f"    :sid: '{sid}'", f"    :email: {email}"]
        lines += [f"  :created_at: {created}", "  :score: 0.0", "  :history: []"]
    (folder / "submission_metadata.yml").write_text("\n".join(lines) + "\n")


def copy_files(source: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(source / name, dest / name)
    return dest


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def one_notebook(source: Path, target: Path) -> Path:
    """A notebook of the student's own naming holding all of their code (no metadata from the handout)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My convolution homework")]
    nb.cells += [nbformat.v4.new_code_cell((source / name).read_text()) for name in FILES]
    target.write_text(nbformat.writes(nb))
    return target


def by_student(folder: Path) -> dict:
    return {e.student: e for e in class_entries(folder)}


# Canvas ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def canvas_download(tmp_path) -> Path:
    folder = tmp_path / "canvas"
    folder.mkdir()
    canvas(folder, "smithjohn", 1001, 5001, "neural_network.py", BLOG / "neural_network.py")
    canvas(folder, "smithjohn", 1001, 5002, "conv_exercises.py", BLOG / "conv_exercises.py")
    canvas(folder, "leeann", 1002, 4990, "conv_exercises.py", b"# the first upload\n", late="LATE")
    canvas(folder, "leeann", 1002, 5004, "conv_exercises-1.py", TYPICAL / "conv_exercises.py", late="LATE")
    canvas(folder, "leeann", 1002, 5003, "neural_network.py", TYPICAL / "neural_network.py", late="LATE")
    canvas(folder, "doejane", 1003, 5005, "my_work.zip", zip_folder(copy_files(BLOG, tmp_path / "jane"),
                                                                       tmp_path / "jane.zip"))
    canvas(folder, "", "anon_x7k2p", 5006, "part.ipynb", one_notebook(BLOG, tmp_path / "anon.ipynb"), late="late")
    (folder / "zoewu_1009_text.html").write_text("<p>I could not finish.</p>")
    return folder


def test_a_canvas_download_is_a_class_of_one_entry_per_student(canvas_download, course):
    assert is_class_folder(canvas_download, course, None)  # its .py files are not one student's submission
    entries = by_student(canvas_download)
    assert sorted(entries) == ["anon_x7k2p", "doejane", "leeann", "smithjohn", "zoewu"]
    john = entries["smithjohn"]
    assert (john.lms, john.lms_id, john.late) == ("canvas", "1001", False)
    assert dict(john.files) == {"conv_exercises.py": canvas_download / "smithjohn_1001_5002_conv_exercises.py",
                                "neural_network.py": canvas_download / "smithjohn_1001_5001_neural_network.py"}
    assert entries["doejane"].files[0][0] == "my_work.zip" and entries["zoewu"].files[0][0] == "text.html"
    assert entries["anon_x7k2p"].late and entries["anon_x7k2p"].lms_id == "anon_x7k2p"


def test_canvas_re_uploads_are_renamed_and_the_highest_number_wins(canvas_download):
    ann = by_student(canvas_download)["leeann"]
    assert ann.late and ann.lms_id == "1002"
    assert dict(ann.files)["conv_exercises.py"].name == "leeann_LATE_1002_5004_conv_exercises-1.py"
    assert ann.notes == ("conv_exercises-1.py (uploaded again) graded as conv_exercises.py",
                         "conv_exercises.py not graded: conv_exercises-1.py is the later upload of conv_exercises.py")
    with staged(ann) as folder:
        assert sorted(p.name for p in folder.iterdir()) == ["conv_exercises.py", "neural_network.py"]
        assert (folder / "conv_exercises.py").read_bytes() == (TYPICAL / "conv_exercises.py").read_bytes()
    assert not folder.exists()


def test_late_is_read_in_any_case(tmp_path):
    for user, late in enumerate(("late", "Late", "LATE"), 1001):
        canvas(tmp_path, f"student{user}", user, 1, "work.py", b"x = 1\n", late=late)
    canvas(tmp_path, "ontime", 1004, 1, "work.py", b"x = 1\n")
    assert {e.student: e.late for e in class_entries(tmp_path)} == {
        "student1001": True, "student1002": True, "student1003": True, "ontime": False}


def test_a_canvas_zip_is_graded_as_the_class_it_holds_with_the_same_digests(canvas_download, course, tmp_path):
    download = zip_folder(canvas_download, tmp_path / "submissions.zip")
    assert is_class_folder(download, course, None)
    with open_class(download) as root:
        from_zip = {e.student: entry_digest(e) for e in class_entries(root)}
    assert from_zip == {e.student: entry_digest(e) for e in class_entries(canvas_download)}  # resumable either way
    assert not root.exists()


def test_a_students_zip_unpacked_in_a_canvas_download_stays_theirs(canvas_download):
    """Unzipping every zip where it lies (as "Extract all" does) leaves a folder named like the zip."""
    zipped = canvas_download / "doejane_1003_5005_my_work.zip"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(canvas_download / "doejane_1003_5005_my_work")
    zipped.unlink()
    jane = by_student(canvas_download)["doejane"]
    assert jane.lms_id == "1003" and [name for name, _ in jane.files] == ["my_work"]
    with staged(jane) as folder:
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.py")) == \
            ["my_work/conv_exercises.py", "my_work/neural_network.py"]


def test_two_students_of_one_name_are_told_apart_by_their_lms_id(tmp_path):
    canvas(tmp_path, "smithjohn", 1001, 1, "neural_network.py", b"a = 1\n")
    canvas(tmp_path, "smithjohn", 2002, 2, "neural_network.py", b"a = 2\n")
    assert sorted(by_student(tmp_path)) == ["smithjohn_1001", "smithjohn_2002"]


# Moodle ---------------------------------------------------------------------------------------------------------

def test_a_moodle_download_is_a_class_keyed_by_full_name(tmp_path, course):
    folder = tmp_path / "moodle"
    folder.mkdir()
    copy_files(BLOG, moodle(folder, "Ann Lee", 501))
    shutil.copyfile(zip_folder(copy_files(BLOG, tmp_path / "w" / "work"), tmp_path / "work.zip"),
                    moodle(folder, "Bob Stone", 502) / "work.zip")
    (moodle(folder, "Bob Stone", 502, "onlinetext") / "onlinetext.html").write_text("<p>see the zip</p>")
    (moodle(folder, "Mary_Jane Roe", 503, "onlinetext") / "onlinetext.html").write_text("<p>no files</p>")
    assert is_class_folder(folder, course, None)
    entries = by_student(folder)
    assert sorted(entries) == ["Ann Lee", "Bob Stone", "Mary Jane Roe"]
    bob = entries["Bob Stone"]
    assert (bob.lms, bob.lms_id, bob.path.name) == ("moodle", "502", "Bob Stone_502_assignsubmission_file_")
    assert bob.notes == ("Bob Stone_502_assignsubmission_onlinetext_ not graded: only the files handed in are",)
    assert entries["Mary Jane Roe"].path.name.endswith("_onlinetext_")  # a row, with nothing gradable in it
    assert is_class_folder(zip_folder(folder, tmp_path / "moodle.zip"), course, None)


def test_moodle_files_without_folders_are_one_entry_per_student(tmp_path):
    """Before Moodle 3.1 (or with "download as folders" off) each file's name carries the folder's prefix."""
    for name in FILES:
        shutil.copyfile(BLOG / name, tmp_path / f"Ann Lee_501_assignsubmission_file_{name}")
    (entry,) = class_entries(tmp_path)
    assert (entry.student, entry.lms_id) == ("Ann Lee", "501")
    assert sorted(name for name, _ in entry.files) == sorted(FILES)


# Gradescope -----------------------------------------------------------------------------------------------------

def test_a_gradescope_export_is_an_entry_per_submitter_with_its_time(tmp_path, course):
    export = tmp_path / "export" / "assignment_77_export"  # as the export's zip holds it
    export.mkdir(parents=True)
    copy_files(BLOG, export / "submission_9001")
    copy_files(BLOG, export / "submission_9003")
    gradescope_metadata(export, {
        "submission_9001": ([("Ann Lee", "100", "ann@example.edu")], "2026-12-14 20:00:05.746365000 Z"),
        "submission_9003": ([("Cy Dee", "300", "cy@example.edu"), ("Di Eve", "301", "di@example.edu")],
                            "2026-12-16 10:00:00.000000000 Z")})
    download = zip_folder(tmp_path / "export", tmp_path / "export.zip")
    assert is_class_folder(tmp_path / "export", course, None) and is_class_folder(download, course, None)
    with open_class(download) as root:
        entries = by_student(root)
        assert sorted(entries) == ["Ann Lee", "Cy Dee", "Di Eve"]
        ann = entries["Ann Lee"]
        assert (ann.lms, ann.lms_id, ann.path.name) == ("gradescope", "100", "submission_9001")
        assert ann.submitted_at == datetime(2026, 12, 14, 20, 0, 5, 746365, tzinfo=timezone.utc)
        assert entries["Cy Dee"].path == entries["Di Eve"].path
        assert entries["Di Eve"].notes == ("Graded as a group submission with Cy Dee",)


@pytest.mark.parametrize("metadata, message", [
    ("submission_1:\n  :submitters:\n  - :name: Ann\n    :sid: '1'\n  :created_at: 2026-12-14 20:00:00 Z\n"
     "submission_2:\n  :submitters:\n  - :name: Bo\n    :sid: '2'\n", "submission_2 is listed but is not in the export"),
    ("submission_1: [unclosed\n", "not readable YAML"),
    ("- a list\n", "not Gradescope's metadata"),
    ("submission_1:\n  :score: 1.0\n", "submission_1 has no list of :submitters:"),
    ("submission_1:\n  :submitters:\n  - :name: Ann\n  :created_at: yesterday\n", "is not a date and time"),
], ids=["missing folder", "not yaml", "not a mapping", "no submitters", "bad time"])
def test_a_broken_gradescope_export_is_one_clear_error(tmp_path, metadata, message):
    (tmp_path / "submission_1").mkdir()
    (tmp_path / "submission_metadata.yml").write_text(metadata)
    with pytest.raises(KitError) as refused:
        class_entries(tmp_path)
    text = str(refused.value)
    assert message in text and "submission_metadata.yml" in text and "Fix: export the submissions again" in text


def test_a_submitter_named_like_a_path_stays_inside_the_class(tmp_path):
    copy_files(BLOG, tmp_path / "submission_1")
    gradescope_metadata(tmp_path, {"submission_1": ([("../../evil", "7", "e@x")], "2026-12-14 20:00:00 Z")})
    (entry,) = class_entries(tmp_path)
    assert (entry.student, entry.lms_id) == ("_.._evil", "7")  # one folder name, not hidden, not a way up
    assert (tmp_path / "out" / entry.student).resolve().parent == (tmp_path / "out").resolve()


# files that fit no convention -----------------------------------------------------------------------------------

def test_a_file_without_canvas_ids_in_a_canvas_download_is_refused_by_name(canvas_download, course):
    shutil.copyfile(BLOG / "neural_network.py", canvas_download / "smithjohn_neural_network.py")
    assert is_class_folder(canvas_download, course, None)
    with pytest.raises(KitError) as refused:
        class_entries(canvas_download)
    text = str(refused.value)
    assert "smithjohn_neural_network.py is not named as Canvas names the files of its download" in text
    assert "<name>_<user id>_<file id>_<file>" in text and "Fix:" in text and "\n" not in text


def test_one_student_twice_is_refused(canvas_download):
    copy_files(BLOG, canvas_download / "smithjohn")  # the instructor's own folder for a student Canvas has too
    with pytest.raises(KitError, match="two entries for smithjohn"):
        class_entries(canvas_download)


def test_a_canvas_named_link_is_refused_when_staged(tmp_path):
    folder = tmp_path / "canvas"
    folder.mkdir()
    (tmp_path / "secret.py").write_text("key = 1\n")
    (folder / "smithjohn_1001_5001_neural_network.py").symlink_to(tmp_path / "secret.py")
    canvas(folder, "smithjohn", 1001, 5002, "conv_exercises.py", b"x = 1\n")
    (entry,) = class_entries(folder)
    with pytest.raises(KitError, match="smithjohn_1001_5001_neural_network.py is a link"):
        with staged(entry):
            pass


# a mixed class through the CLI ----------------------------------------------------------------------------------

def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def gradebook(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


def mixed_class(base: Path) -> Path:
    """Every convention in one class folder, with nested, renamed and notebook submissions."""
    folder = base / "class"
    folder.mkdir(parents=True)
    canvas(folder, "smithjohn", 1001, 5001, "neural_network.py", BLOG / "neural_network.py")
    canvas(folder, "smithjohn", 1001, 5002, "conv_exercises.py", BLOG / "conv_exercises.py")
    canvas(folder, "leeann", 1002, 5003, "neural_network.py", TYPICAL / "neural_network.py", late="LATE")
    canvas(folder, "leeann", 1002, 5004, "conv_exercises-1.py", TYPICAL / "conv_exercises.py", late="LATE")
    (folder / "zoewu_1009_text.html").write_text("<p>I could not finish.</p>")
    handout = copy_files(BLOG, base / "zip" / "my-work" / "exercises")  # the handout's own layout, zipped whole
    (handout.parent / "README.md").write_text("my notes\n")
    zip_folder(base / "zip", moodle(folder, "Ann Lee", 501) / "submission.zip")
    bob = folder / "bob"  # renamed copies
    bob.mkdir()
    shutil.copyfile(BLOG / "neural_network.py", bob / "neural_network (1).py")
    shutil.copyfile(BLOG / "conv_exercises.py", bob / "Conv_Exercises.py")
    (folder / "carol").mkdir()  # a notebook of her own naming, one folder down
    one_notebook(BLOG, folder / "carol" / "My Homework (final).ipynb")
    copy_files(TYPICAL, folder / "tina")  # the typical student as handed in: the others' control
    copy_files(BLOG, folder / "submission_9001")
    gradescope_metadata(folder, {"submission_9001": ([("Di Eve", "300", "di@example.edu")],
                                                     "2026-12-16 10:00:00.000000000 Z")})  # two days late
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("mixed")
    folder, out = mixed_class(base), base / "out"
    return folder, out, cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "4")


STUDENTS = ["Ann Lee", "Di Eve", "bob", "carol", "leeann", "smithjohn", "tina", "zoewu"]


def test_a_mixed_class_grades_into_one_row_and_a_status_per_student(graded):
    _, out, proc = graded
    assert proc.returncode == 0, proc.stderr
    book = gradebook(out / "gradebook.csv")
    assert sorted(book) == STUDENTS
    assert list(book["bob"])[:3] == ["student", "lms_id", "status"]
    assert {s: row["status"] for s, row in book.items()} == {**{s: "graded" for s in STUDENTS}, "zoewu": "no-submission"}
    assert {s: row["lms_id"] for s, row in book.items()} == {
        "Ann Lee": "501", "Di Eve": "300", "bob": "", "carol": "", "leeann": "1002", "smithjohn": "1001", "tina": "",
        "zoewu": "1009"}
    for student in ("smithjohn", "Ann Lee", "bob", "carol"):  # the blog's solution, however handed in
        assert float(book[student]["score"]) == 100, (student, results(out, student)["output"])
    assert float(book["leeann"]["score"]) == float(book["tina"]["score"]) < 100
    assert float(book["Di Eve"]["late_penalty"]) == 20 and float(book["Di Eve"]["score"]) == 80  # Gradescope's time
    assert float(book["zoewu"]["score"]) == 0
    assert "it holds text.html" in results(out, "zoewu")["output"]


def test_each_decision_is_a_note_the_student_reads(graded):
    _, out, _ = graded
    notes = {s: results(out, s)["extra_data"]["intake_notes"] for s in STUDENTS}
    assert notes["Ann Lee"] == ["conv_exercises.py and neural_network.py found in submission.zip/my-work/exercises/"]
    assert notes["bob"] == ["Conv_Exercises.py graded as conv_exercises.py",
                            "neural_network (1).py graded as neural_network.py"]
    assert notes["carol"] == ["My Homework (final).ipynb graded as conv_exercises.py and neural_network.py"]
    assert notes["leeann"][0] == "conv_exercises-1.py (uploaded again) graded as conv_exercises.py"
    assert "Canvas marks this submission late" in notes["leeann"][1]
    assert notes["smithjohn"] == notes["tina"] == []
    feedback = (out / "bob" / "feedback.md").read_text()
    assert "neural_network (1).py graded as neural_network.py." in feedback
    lee = results(out, "leeann")["extra_data"]
    assert (lee["lms"], lee["lms_late"]) == ("canvas", True)


def test_a_mixed_class_resumes_and_its_zip_shards_merge_to_the_same_gradebook(graded, tmp_path):
    folder, out, _ = graded
    again = cli("grade", str(folder), "--out", str(out), "-j", "2", "--seed", "4")
    assert "Grading 0 submission(s): all up to date" in again.stdout, again.stdout + again.stderr
    download = zip_folder(folder, tmp_path / "class.zip")
    for k in (0, 1):
        proc = cli("grade", str(download), "--out", str(tmp_path / f"shard-{k}"), "--shard", f"{k}/2", "--seed", "4")
        assert proc.returncode == 0, proc.stderr
    proc = cli("gradebook", "merge", *(str(tmp_path / f"shard-{k}" / "gradebook.csv") for k in (0, 1)),
               "-o", str(tmp_path / "merged.csv"))
    assert proc.returncode == 0, proc.stderr
    assert gradebook(tmp_path / "merged.csv") == gradebook(out / "gradebook.csv")  # the digests too
