"""Text a student wrote stays inert wherever it lands: terminal, feedback.md, report.html, CSV files."""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from test_cli import ROOT, SAMPLE, assert_one_clear_error, run_cli

from gradekit.inert import for_csv_cell, for_markdown, for_terminal

EVIL = ("\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script><img src=x onerror=alert(1)> "
        "[click](javascript:alert(1)) ``` ```` [bold red]rich markup[/] :warning: end")
RAISER = "=cmd|' -C calc'!A0"  # a formula as a folder name (a name cannot hold the '/' of the classic one)
IMPORTER = "<img src=x onerror=alert(1)>"
TERMINAL = "\x1b]0;pwned\x07mallory\x1b[2J"
TEXT_CELL = "-2+3"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _hostile(folder: Path, module: str, code: str) -> Path:
    """The blog's solution with `code` appended to `module`."""
    shutil.copytree(SAMPLE, folder)
    with open(folder / module, "a", encoding="utf-8") as fh:
        fh.write(f"\n\nEVIL = {EVIL!r}\n{code}")
    return folder


RAISES = """
def conv2d(image, filter_kernel, stride=1):
    print(EVIL)
    raise ValueError(EVIL + "\\nsecond line \\x1b[31mred")
"""
RAISES_ON_IMPORT = "print(EVIL)\nraise RuntimeError(EVIL)\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path, str]:
    """A class of hostile students graded once: (class folder, --out, the run's terminal output)."""
    base = tmp_path_factory.mktemp("inert")
    folder = base / "class"
    folder.mkdir()
    _hostile(folder / RAISER, "neural_network.py", RAISES)
    _hostile(folder / IMPORTER, "conv_exercises.py", RAISES_ON_IMPORT)
    shutil.copytree(SAMPLE, folder / TERMINAL)
    shutil.copytree(ROOT / "exercises", folder / TEXT_CELL)  # the stubs: a zero
    proc = run_cli("grade", str(folder), "--out", str(base / "out"), "--seed", "3", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    return folder, base / "out", proc.stdout + proc.stderr


def _fenced_lines(markdown: str) -> set[int]:
    """Indices of the lines inside CommonMark backtick fences (closing: a line of at least as many backticks)."""
    inside, fence = set(), None
    for i, line in enumerate(markdown.splitlines()):
        run = re.match(r"^(`{3,})", line)
        if fence is None and run:
            fence = run.group(1)
        elif fence is not None and re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
            fence = None
        elif fence is not None:
            inside.add(i)
    assert fence is None, "a fence was left open"
    return inside


@pytest.mark.slow
def test_feedback_quotes_exception_text_as_code_without_controls(graded):
    _, out, _ = graded
    for student in (RAISER, IMPORTER):
        text = (out / student / "feedback.md").read_text(encoding="utf-8")
        assert not CONTROL.search(text), student
        inside = _fenced_lines(text)
        hostile = [i for i, line in enumerate(text.splitlines()) if "<script>" in line or "javascript:" in line]
        assert hostile, f"{student}: the exception text is missing from the feedback"
        assert set(hostile) <= inside, f"{student}: student text outside a code block"


@pytest.mark.slow
def test_terminal_output_holds_no_escape_sequences(graded):
    folder, _, printed = graded
    assert "mallory" in printed and not CONTROL.search(printed)
    for proc, code in ((run_cli("check", str(folder / RAISER)), 1),  # 1: its tests fail
                       (run_cli("grade", str(folder / IMPORTER), "--out", str(folder.parent / "one")), 0)):
        assert proc.returncode == code, proc.stderr
        assert "alert(1)" in proc.stdout and not CONTROL.search(proc.stdout + proc.stderr)
        assert "[bold red]rich markup[/] :warning:" in proc.stdout  # shown as written, never read as markup


def test_error_messages_hold_no_escape_sequences(tmp_path):
    """A zip member's name is student text too: the refusal that names it is printed inert."""
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("../\x1b]0;pwned\x07\x1b[2Jx.py", "x = 1\n")
    proc = run_cli("grade", str(bad), "--out", str(tmp_path / "out"))
    assert_one_clear_error(proc, "outside the submission", "x.py")
    assert not CONTROL.search(proc.stderr)


@pytest.mark.slow
def test_gradebook_text_cells_cannot_start_a_formula(graded, tmp_path):
    _, out, _ = graded
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert f"'{RAISER}" in rows and f"'{TEXT_CELL}" in rows and "<img src=x onerror=alert(1)>" in rows
    assert all(float(row["score"]) >= 0 for row in rows.values())  # numbers stay numbers
    canvas = tmp_path / "canvas.csv"
    assert run_cli("export", "canvas", str(out / "gradebook.csv"), "-o", str(canvas)).returncode == 0
    cells = [cell for row in csv.reader(canvas.open(encoding="utf-8")) for cell in row]
    assert f"'{RAISER}" in cells and RAISER not in cells and TEXT_CELL not in cells


@pytest.mark.slow
def test_report_escapes_student_names_and_messages(graded):
    _, out, _ = graded
    proc = run_cli("report", str(out))
    assert proc.returncode == 0, proc.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html and "alert(1)</script>" not in html


def test_canvas_export_keeps_negative_numbers_and_quotes_formulas(tmp_path):
    gradebook = tmp_path / "gradebook.csv"
    gradebook.write_text('student,score\n"=HYPERLINK(""http://x"",""y"")",-2\n@SUM(A1),5\n', encoding="utf-8")
    canvas = tmp_path / "canvas.csv"
    assert run_cli("export", "canvas", str(gradebook), "-o", str(canvas)).returncode == 0
    rows = list(csv.reader(canvas.open(encoding="utf-8")))[2:]
    assert [row[0] for row in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)"]
    assert [row[-1] for row in rows] == ["-2", "5"]


def test_merged_gradebook_quotes_formulas(tmp_path):
    shard = tmp_path / "shard.csv"
    shard.write_text("student,score\n+1+1,-1\n", encoding="utf-8")
    assert run_cli("gradebook", "merge", str(shard), "-o", str(tmp_path / "all.csv")).returncode == 0
    assert (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines()[1] == "'+1+1,-1"


@pytest.mark.parametrize("name", ["gradebook.csv", "report.html.zip", "report", "similarity.html"])
def test_class_entry_named_like_a_kit_output_is_refused(tmp_path, name):
    folder = tmp_path / "class"
    shutil.copytree(SAMPLE, folder / "alice")
    entry = folder / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(entry, "w") as archive:
            archive.write(SAMPLE / "neural_network.py", "neural_network.py")
    else:
        shutil.copytree(SAMPLE, entry)
    proc = run_cli("grade", str(folder), "--out", str(tmp_path / "out"))
    assert_one_clear_error(proc, name, "rename")
    assert not (tmp_path / "out" / "alice").exists()


def test_for_terminal_removes_sequences_and_keeps_text():
    assert for_terminal("a\x1b[2Jb\x1b]0;title\x07c\x1b[31md\x9b1m\re\u202ef\tg\nh") == "abcdef\tg\nh"
    assert for_terminal("x\x1b]0;no terminator\ny") == "x\ny"  # an unterminated title stops at the line's end


def test_for_markdown_fence_outlasts_every_backtick_run():
    block = for_markdown("``` ```` a\n`````")
    assert block.startswith("``````text\n") and block.endswith("\n``````")


def test_for_csv_cell_quotes_only_what_could_start_a_formula():
    assert [for_csv_cell(t) for t in ("=1", "+1", "-2+3", "@A1", "\tx", "\rx", "bob", "'=x")] == \
        ["'=1", "'+1", "'-2+3", "'@A1", "'\tx", "'\rx", "bob", "'=x"]
