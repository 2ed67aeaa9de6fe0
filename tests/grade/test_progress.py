"""A class run's progress: on a terminal, who is being graded now and for how long, kept up on a timer, then a
table of how each submission ended; in a log, a plain line per submission and the closing line."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_lms_times import ROOT, SAMPLE, cli, course_copy

NAME = "[bold]dee"  # rich markup in a student's name: shown as written, never read as markup
LOOPS = "\n\ndef exercise_2():\n    while True:\n        pass\n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def looping_class(tmp_path) -> tuple[Path, Path]:
    """A course whose calls stop after 3 s, and a class of one submission whose exercise_2 loops until then:
    (course.yaml, class folder)."""
    course = course_copy(tmp_path, lambda data: data["limits"].update(call_timeout_s=3))
    shutil.copytree(SAMPLE, tmp_path / "class" / NAME)
    with open(tmp_path / "class" / NAME / "conv_exercises.py", "a", encoding="utf-8") as fh:
        fh.write(LOOPS)
    return course, tmp_path / "class"


def on_a_terminal(*args: str, timeout: float = 600) -> str:
    """Run the CLI with a pseudo-terminal as its stdout and stderr; all it wrote, escape sequences removed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env={**os.environ, "TERM": "xterm", "COLUMNS": "120"})
    os.close(follower)
    chunks = []
    try:
        while select.select([leader], [], [], timeout)[0]:
            chunks.append(os.read(leader, 65536))
    except OSError:  # EIO: every writer has closed the terminal
        pass
    finally:
        os.close(leader)
    assert proc.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode())


@pytest.mark.slow
def test_a_terminal_shows_the_running_submission_and_its_time_until_it_ends(looping_class, tmp_path):
    course, folder = looping_class
    shown = on_a_terminal("grade", str(folder), "--out", str(tmp_path / "out"), "--course", str(course))
    ended = shown.index(f"1/1 {NAME}: ")  # the line that says how it ended, once it has
    running = shown[:ended]
    seconds = {int(s) for s in re.findall(rf"{re.escape(NAME)} +0:00:0(\d)", running)}
    assert {1, 2} <= seconds, shown  # its time went on while it ran to its time limit
    assert "0/1" in running, shown
    assert re.search(rf"timed out +1 +{re.escape(NAME)}", shown[ended:]), shown  # the closing table


@pytest.mark.slow
def test_a_log_gets_a_plain_line_per_submission_and_the_closing_line(looping_class, tmp_path):
    course, folder = looping_class
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--course", str(course))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Grading 1 submission(s)", proc.stdout
    assert re.fullmatch(rf"1/1 {re.escape(NAME)}: \d+/100 \(timed out: exercise_2.*\) \(\d+\.\d/s, done\)",
                        lines[1]), proc.stdout
    assert lines[2:] == [f"Gradebook: {tmp_path / 'out' / 'gradebook.csv'}", f"1 graded (1 timed out: {NAME})"]
    assert "\x1b" not in proc.stdout + proc.stderr
