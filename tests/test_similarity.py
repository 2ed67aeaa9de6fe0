"""The similarity check: a renamed, reformatted copy is flagged; independent code and code shared only
through the handout are not; broken submissions are reported, never fatal."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from gradekit.errors import KitError
from gradekit.similarity import similarity_report
from gradekit.similarity.tokens import normalise

DATA = Path(__file__).parent / "data" / "similarity"
HANDOUT = {"handout.py": (DATA / "handout.py").read_bytes()}
# ana and ben<i>: the same code, renamed, reformatted, commented differently; cho, dee, eli: independent.
STUDENTS = {"ana": "ana", "ben<i>": "ben", "cho": "cho", "dee": "dee", "eli": "eli"}


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    """Five students (one a zip), a zip without Python, a fake zip, and a file that stops being Python."""
    folder = tmp_path / "class"
    for student, source in STUDENTS.items():
        (folder / student).mkdir(parents=True)
        shutil.copyfile(DATA / f"{source}.py", folder / student / "conv.py")
    shutil.make_archive(str(folder / "cho"), "zip", folder / "cho")
    shutil.rmtree(folder / "cho")
    with zipfile.ZipFile(folder / "fay.zip", "w") as archive:
        archive.writestr("essay.txt", "I wrote it in Word.")
        archive.writestr("conv.docx", b"PK\x03\x04 binary")
    (folder / "gus.zip").write_bytes(b"not a zip at all")
    (folder / "hal").mkdir()
    (folder / "hal" / "conv.py").write_text((DATA / "handout.py").read_text() + '\ndef broken(:\n    """unterminated\n')
    (folder / "hal" / "notes.py").write_bytes(b"\xff\xfe\x00\x01 binary, not source")
    return folder


def test_normalise_ignores_names_comments_docstrings_and_layout() -> None:
    one = b'def f(x, y):\n    """Add."""\n    total = x + y  # sum\n    return np.sum(total, axis=0)\n'
    two = b"def add(a,\n        b):\n    # adds\n    s = a \\\n        + b\n    return np.sum(\n        s,\n        axis=0)\n"
    assert [t.text for t in normalise(one, "a.py")[0]] == [t.text for t in normalise(two, "b.py")[0]]
    assert "sum" in [t.text for t in normalise(one, "a.py")[0]]


def test_similarity_report_flags_the_renamed_copy_only(klass: Path, tmp_path: Path) -> None:
    pairs = similarity_report(klass, tmp_path / "out", handout=HANDOUT).pairs
    assert [(p.student_a, p.student_b) for p in pairs] == [("ana", "ben<i>")]
    assert pairs[0].score > 0.95 and pairs[0].shared_tokens > 150
    with open(tmp_path / "out" / "similarity.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0] == {"student_a": "ana", "student_b": "ben<i>", "score": f"{pairs[0].score:.4f}",
                       "shared_tokens": str(pairs[0].shared_tokens), "note": ""}
    assert [(r["student_a"], r["student_b"], r["note"]) for r in rows[1:]] == [
        ("fay", "", "empty"), ("gus", "", "unreadable"), ("hal", "", "little own code")]


def test_similarity_report_scores_independent_code_low(klass: Path, tmp_path: Path) -> None:
    found = similarity_report(klass, tmp_path, handout=HANDOUT, threshold=0)
    scores = {(p.student_a, p.student_b): p.score for p in found.pairs}
    assert len(scores) == 10  # five comparable students; fay, gus and hal (only handout code) are notes
    assert all(score < 0.3 for pair, score in scores.items() if pair != ("ana", "ben<i>")), scores


def test_similarity_report_discounts_the_handout(klass: Path, tmp_path: Path) -> None:
    """dee and eli share only the handout's provided code: alike without the handout, apart with it."""
    def score(handout: dict[str, bytes]) -> float:
        pairs = similarity_report(klass, tmp_path / "out", handout=handout, threshold=0).pairs
        return next(p.score for p in pairs if (p.student_a, p.student_b) == ("dee", "eli"))

    assert score({}) > 0.5
    assert score(HANDOUT) < 0.2


def test_similarity_report_page_shows_both_sources_escaped(klass: Path, tmp_path: Path) -> None:
    similarity_report(klass, tmp_path, handout=HANDOUT)
    page = (tmp_path / "similarity.html").read_text(encoding="utf-8")
    assert "reason to look, not a verdict" in page
    assert "ben&lt;i&gt;" in page and "ben<i>" not in page
    assert '<span class="hit">' in page and "feature_map[row, col] = np.sum(patch * k)" in page
    assert "result[i, j] = np.sum(window * flipped)" in page
    assert "src=" not in page and "<script" not in page


def test_similarity_report_reports_broken_submissions(klass: Path, tmp_path: Path) -> None:
    fay, gus, hal = similarity_report(klass, tmp_path, handout=HANDOUT).uncompared
    assert (fay.student, fay.status, fay.detail) == ("fay", "empty", "no Python code")
    assert (gus.student, gus.status) == ("gus", "unreadable") and "not a readable zip file" in gus.detail
    assert (hal.student, hal.status) == ("hal", "little own code") and hal.detail.startswith("only ")
    page = (tmp_path / "similarity.html").read_text(encoding="utf-8")
    assert "<td>fay</td><td>empty</td><td>no Python code</td>" in page and "not a readable zip file" in page
    assert "hal: conv.py is not Python after line" in page and "compared up to there" in page
    assert "hal: notes.py is not Python after line 0" in page


def test_similarity_report_code_to_exclude_must_be_python(klass: Path, tmp_path: Path) -> None:
    with pytest.raises(KitError) as caught:
        similarity_report(klass, tmp_path, handout=HANDOUT, excluded={"listing.py": b'"""unterminated\n'})
    assert caught.value.path == "listing.py" and ".py" in caught.value.fix


def test_similarity_report_missing_class_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(KitError) as caught:
        similarity_report(tmp_path / "class", tmp_path, handout=HANDOUT)
    assert caught.value.path == str(tmp_path / "class") and "per student" in caught.value.fix
