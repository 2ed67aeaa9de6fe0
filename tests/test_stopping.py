"""Stopping `grade` (SIGKILL, SIGTERM, Ctrl-C) leaves no process, sandbox, cgroup or temp folder of
the run behind, and the next run completes the gradebook as if nothing had happened."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CGROUP_CONTROLLERS = ("pids", "memory")
SETTLE_S = 8.0  # how long what a stopped run started may take to go


def make_class(folder: Path) -> Path:
    """Six submissions: four correct, the handout's stubs, a typical student's."""
    folder.mkdir()
    for name in ("ann", "ben", "cat", "dan"):
        shutil.copytree(SAMPLES / "blog_solution", folder / name)
    shutil.copytree(ROOT / "exercises", folder / "eve", ignore=shutil.ignore_patterns("*.npz", "*.md"))
    shutil.copytree(SAMPLES / "typical_student", folder / "fay")
    return folder


def start(folder: Path, out: Path, tmp: Path) -> subprocess.Popen:
    """The class run, in a session of its own, with its temp folders under `tmp`."""
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "grade", str(folder), "--out", str(out), "-j", "2",
                             "--seed", "7"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True)


def finish(folder: Path, out: Path, tmp: Path) -> subprocess.CompletedProcess:
    proc = start(folder, out, tmp)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a live process, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """The live processes under `root` (and itself), by pid, with their start times."""
    table = {int(p.name): _stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    found, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if table.get(pid):
            found[pid] = table[pid][2]
            frontier += [child for child, st in table.items() if st and st[0] == pid]
    return found


def cgroups_of(pids: dict[int, str]) -> set[Path]:
    """The kit's cgroups these processes are in."""
    groups = set()
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            continue
        for _, controllers, path in (line.split(":", 2) for line in lines):
            if "/gradekit/" in path and controllers in CGROUP_CONTROLLERS:
                groups.add(Path("/sys/fs/cgroup") / controllers / path.lstrip("/"))
    return groups


def leftovers(pids: dict[int, str], groups: set[Path], out: Path, tmp: Path) -> list[str]:
    """What of a stopped run is still there: processes (not zombies), busy cgroups, temp folders."""
    found = [f"process {pid}" for pid, started in pids.items()
             if (st := _stat(pid)) and st[2] == started and st[1] != "Z"]
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if (str(out) in cmdline or str(tmp) in cmdline) and (st := _stat(int(proc.name))) and st[1] != "Z":
            found.append(f"process {proc.name}: {cmdline[:120]}")
    found += [f"cgroup {g}" for g in groups if _members(g)]
    found += [f"temp {p}" for p in tmp.iterdir()]
    return found


def _members(group: Path) -> str:
    """The pids in a cgroup; none once it is gone (the kit may remove it while we look)."""
    try:
        return (group / "cgroup.procs").read_text().strip()
    except FileNotFoundError:
        return ""


def assert_nothing_left(pids: dict[int, str], groups: set[Path], out: Path, tmp: Path, what: str) -> None:
    deadline = time.monotonic() + SETTLE_S
    while (left := leftovers(pids, groups, out, tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"{what}: {left}"


def stop(proc: subprocess.Popen, after: float, signum: int, *, group: bool = False) -> tuple[dict, set]:
    """Send `signum` to the run (its whole process group, as Ctrl-C does, with `group`) after `after` s."""
    time.sleep(after)
    pids = descendants(proc.pid)
    groups = cgroups_of(pids)
    (os.killpg if group else os.kill)(proc.pid, signum)
    proc.wait(timeout=30)
    return pids, groups


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> tuple[Path, dict]:
    """The class, and its gradebook from an uninterrupted run."""
    base = tmp_path_factory.mktemp("stopping")
    folder = make_class(base / "class")
    done = finish(folder, base / "whole", base / "tmp-whole")
    assert done.returncode == 0, done.stderr
    return folder, gradebook(base / "whole")


@pytest.mark.slow
def test_killed_runs_leave_nothing_and_resume_to_the_same_gradebook(whole, tmp_path):
    folder, expected = whole
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    for kill in range(3):
        delay = random.uniform(0.5, 3.0)
        proc = start(folder, out, tmp)
        pids, groups = stop(proc, delay, signal.SIGKILL)
        assert_nothing_left(pids, groups, out, tmp, f"kill {kill + 1} after {delay:.2f} s")
    for torn in out.rglob("*.tmp"):
        torn.unlink()  # a SIGKILL mid-write can leave a temp file, never a torn results.json
    resumed = finish(folder, out, tmp)
    assert resumed.returncode == 0, resumed.stderr
    assert gradebook(out) == expected
    assert sorted(p.parent.name for p in out.glob("*/results.json")) == sorted(expected)


@pytest.mark.slow
@pytest.mark.parametrize("signum, group", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "ctrl-c"])
def test_stopped_run_exits_with_one_line_and_leaves_nothing(whole, tmp_path, signum, group):
    folder, expected = whole
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    proc = start(folder, out, tmp)
    deadline = time.monotonic() + 60
    while not list(out.glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    pids, groups = stop(proc, 0.3, signum, group=group)
    assert_nothing_left(pids, groups, out, tmp, signal.Signals(signum).name)
    _, stderr = proc.communicate(timeout=5)
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith(f"Error: grading stopped by {signal.Signals(signum).name}")
    assert not list(out.rglob("*.tmp"))  # its atomic writes were cleaned up
    resumed = finish(folder, out, tmp)
    assert resumed.returncode == 0, resumed.stderr
    assert gradebook(out) == expected
