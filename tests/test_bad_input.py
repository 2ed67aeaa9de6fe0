"""Malformed input is one clear message, never a traceback: notebooks, encodings, CSV files, --out, --seed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_cli import ROOT, SAMPLE, assert_one_clear_error, run_cli

LATIN_1 = "# café, saved by an editor in Latin-1\n".encode("latin-1")
BOM = b"\xef\xbb\xbf"


def _notebook(path: Path, change) -> Path:
    """A notebook holding the blog's neural_network.py in one cell, then `change` applied to its JSON."""
    source = (SAMPLE / "neural_network.py").read_text(encoding="utf-8")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": source, "outputs": [],
                     "execution_count": None}]}
    change(nb)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


BROKEN_NOTEBOOKS = {
    "cells a mapping": (lambda nb: nb.update(cells={}), "its cells are a mapping, not a list"),
    "source a number": (lambda nb: nb["cells"][0].update(source=7), "cell 1's source is int"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_NOTEBOOKS))
def test_unreadable_notebook_cells_are_one_message(tmp_path, case):
    change, needle = BROKEN_NOTEBOOKS[case]
    nb = _notebook(tmp_path / "work.ipynb", change)
    assert_one_clear_error(run_cli("grade", str(nb), "--out", str(tmp_path / "out")), "work.ipynb", needle)


@pytest.mark.slow
def test_notebook_metadata_of_the_wrong_type_is_ignored(tmp_path):
    """kernelspec, the kit's own entry and nbgrader's entry as numbers: the code cells are still graded."""
    def change(nb):
        nb["metadata"].update(kernelspec=5, gradekit=5)
        nb["cells"][0]["metadata"] = {"nbgrader": 5}

    folder = tmp_path / "work"
    folder.mkdir()
    _notebook(folder / "neural_network.ipynb", change)
    shutil.copy(SAMPLE / "conv_exercises.py", folder)
    proc = run_cli("grade", str(folder), "--out", str(tmp_path / "out"), "--seed", "1")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 100


def _sample_with(tmp_path: Path, prefix: bytes = b"", suffix: bytes = b"") -> Path:
    folder = tmp_path / "work"
    shutil.copytree(SAMPLE, folder)
    path = folder / "neural_network.py"
    path.write_bytes(prefix + path.read_bytes() + suffix)
    return folder


@pytest.mark.slow
def test_source_with_a_byte_order_mark_packages_and_grades(tmp_path):
    folder = _sample_with(tmp_path, prefix=BOM + b"import numpy as np\n")
    proc = run_cli("package", str(folder), "-o", str(tmp_path / "s.zip"))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("grade", str(tmp_path / "s.zip"), "--out", str(tmp_path / "out"), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 100


def test_latin_1_source_packages_without_a_traceback(tmp_path):
    folder = _sample_with(tmp_path, suffix=LATIN_1)
    proc = run_cli("package", str(folder), "-o", str(tmp_path / "s.zip"))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_course_yaml_with_a_byte_order_mark_loads(tmp_path):
    """A guard: PyYAML skipped the mark before course.yaml was read as utf-8-sig; it must stay so."""
    course = tmp_path / "course.yaml"
    course.write_bytes(BOM + (ROOT / "course.yaml").read_bytes())
    proc = run_cli("validate", "--course-only", "--course", str(course))
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr


def test_course_yaml_in_latin_1_is_one_message(tmp_path):
    course = tmp_path / "course.yaml"
    course.write_bytes(LATIN_1 + (ROOT / "course.yaml").read_bytes())
    assert_one_clear_error(run_cli("validate", "--course-only", "--course", str(course)), str(course),
                           "not UTF-8", "byte 0xe9", "save it as UTF-8")


def test_course_without_its_content_says_where_it_looks(tmp_path):
    course = tmp_path / "course.yaml"
    shutil.copy(ROOT / "course.yaml", course)
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--course", str(course))
    assert_one_clear_error(proc, str(tmp_path / "reference"), str(tmp_path / "graders"), "--course")


@pytest.mark.slow
def test_times_file_with_a_byte_order_mark_is_read(tmp_path):
    times = tmp_path / "times.csv"
    times.write_bytes(BOM + b"student,submitted_at\nblog_solution,2030-01-01T00:00:00+00:00\n")
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--times", str(times), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["extra_data"]["late"]["days_late"] > 0


BAD_TIMES = {
    "latin-1": (b"student,submitted_at\ncaf\xe9,2026-12-14T20:00:00+00:00\n", ["not UTF-8", "byte 0xe9"]),
    "short row": (b"student,submitted_at\nblog_solution\n", ["student blog_solution", "not a date"]),
}


@pytest.mark.parametrize("case", sorted(BAD_TIMES))
def test_bad_times_file_is_one_message(tmp_path, case):
    data, needles = BAD_TIMES[case]
    times = tmp_path / "times.csv"
    times.write_bytes(data)
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--times", str(times))
    assert_one_clear_error(proc, str(times), *needles)


@pytest.mark.parametrize("command", [("gradebook", "merge"), ("export", "canvas")])
def test_gradebook_in_latin_1_is_one_message(tmp_path, command):
    book = tmp_path / "gradebook.csv"
    book.write_bytes(b"student,score\ncaf\xe9,5\n")
    assert_one_clear_error(run_cli(*command, str(book), "-o", str(tmp_path / "x.csv")), str(book), "not UTF-8")


def test_gradebook_with_a_byte_order_mark_merges(tmp_path):
    book = tmp_path / "gradebook.csv"
    book.write_bytes(BOM + b"student,score\nalice,5\n")
    proc = run_cli("gradebook", "merge", str(book), "-o", str(tmp_path / "all.csv"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "all.csv").read_text(encoding="utf-8") == "student,score\nalice,5\n"


@pytest.mark.parametrize("where", ["under a file", "in /proc"])
def test_impossible_out_is_refused_before_grading(tmp_path, where):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "graded" if where == "under a file" else Path("/proc/gradekit-test/graded")
    proc = run_cli("grade", str(SAMPLE), "--out", str(out))
    assert_one_clear_error(proc, str(out), "Fix:")
    assert "total" not in proc.stdout  # nothing was graded


def test_unwritable_output_file_is_one_message_and_a_traceback_with_debug(tmp_path):
    (tmp_path / "file").write_text("x")
    book = tmp_path / "gradebook.csv"
    book.write_text("student,score\nalice,5\n")
    args = ("export", "canvas", str(book), "-o", str(tmp_path / "file" / "canvas.csv"))
    assert_one_clear_error(run_cli(*args), str(tmp_path / "file"), "Fix:")
    assert "Traceback" in run_cli("--debug", *args).stderr


@pytest.mark.parametrize("seed", ["-5", str(2**32)])
def test_seed_out_of_range_is_refused_before_grading(tmp_path, seed):
    proc = run_cli("grade", str(SAMPLE), "--out", str(tmp_path / "out"), "--seed", seed)
    assert_one_clear_error(proc, "--seed", "4294967295")
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize("args, needles", [
    (["samples/blog_solution", "-a", "part-9"], ["no assignment 'part-9'", "use one of"]),
    (["samples/blog_solution", "--shard", "0/2"], ["splits a class", "leave out --shard"]),
    (["samples", "--shard", "2/2"], ["--shard 2/2 is not K/N"]),
    (["samples", "--shard", "7/8"], ["shard 7/8 holds no submission"]),
])
def test_bad_grade_options_are_refused_before_anything_is_written(tmp_path, args, needles):
    out = tmp_path / "out"
    proc = run_cli("grade", *args, "--out", str(out))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and all(n in errors[0] for n in needles), proc.stderr
    assert not out.exists()
