"""How a worker is started: its limits hold whatever the grader that starts it looks like."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from gradekit.course import Limits
from gradekit.sandbox import isolation, unprivileged
from gradekit.sandbox.runner import wire
from gradekit.sandbox.worker import Worker

LIMITS = Limits(memory_mb=256, call_timeout_s=10)


def address_space_mb() -> int:
    line = next(row for row in Path("/proc/self/status").read_text().splitlines() if row.startswith("VmSize"))
    return int(line.split()[1]) // 1024


@pytest.mark.skipif(isolation.bwrap_mode() != "unprivileged", reason="needs bubblewrap started as another user")
def test_a_worker_starts_from_a_grader_whose_address_space_exceeds_its_limit(tmp_path, monkeypatch):
    """The worker is a fork of the grader until it execs, and the kit's own steps in that child allocate
    (here: 64 MB while staging bubblewrap's mounts); the memory limit, set before them, made them fail
    as soon as the grader's address space was over it, and the worker never started."""
    stage = unprivileged.stage

    def allocating_stage(*args):
        bytearray(64 << 20)
        return stage(*args)

    monkeypatch.setattr(unprivileged, "stage", allocating_stage)
    (tmp_path / "probe.py").write_text("def answer():\n    return 42\n")
    ballast = np.empty(2 * LIMITS.memory_mb << 20, dtype=np.uint8)  # address space only: never touched
    assert address_space_mb() > LIMITS.memory_mb
    with Worker(tmp_path, ["probe"], LIMITS) as worker:
        assert worker.call("probe", "answer", (), {}).value == 42
    del ballast


def test_off_linux_a_limit_the_platform_refuses_is_skipped_not_a_kit_fault(tmp_path, monkeypatch):
    """macOS refuses RLIMIT_AS and has no /proc: a student's `check` there still runs, under the other limits."""
    resource = isolation.resource
    setrlimit = resource.setrlimit

    def refusing(res, value):
        if res == resource.RLIMIT_AS:
            raise ValueError("current limit exceeds maximum limit")
        setrlimit(res, value)

    monkeypatch.setattr(resource, "setrlimit", refusing)  # inherited by the worker's fork before it execs
    monkeypatch.setattr(isolation.sys, "platform", "darwin")
    (tmp_path / "probe.py").write_text("def answer():\n    return 42\n")
    with Worker(tmp_path, ["probe"], LIMITS, force_layer="rlimits") as worker:
        assert worker.call("probe", "answer", (), {}).value == 42
    monkeypatch.setattr(isolation.sys, "platform", "linux")  # on Linux every limit must hold: else a kit fault
    with Worker(tmp_path, ["probe"], LIMITS, force_layer="rlimits") as worker:
        failed = worker.call("probe", "answer", (), {})
        assert failed.error.kind == "kit" and "the sandbox could not start" in worker.fault


def test_starting_a_worker_neither_imports_matplotlib_nor_waits_for_the_worker_to_read(tmp_path, monkeypatch):
    """A worker's start is on the way to every grade: the grader finds where matplotlib is installed without
    importing it (~0.15 s), and sends the init message, which carries the course's datasets (beyond what a pipe
    holds), while it goes on; a worker stopped before reading it ends all the same."""
    probe = ("import sys; from gradekit.sandbox import isolation; isolation.python_dirs(); "
             "sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parents[2]).returncode == 0
    plan = isolation.plan
    never_reads = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(isolation, "plan", lambda *a, **k: dataclasses.replace(plan(*a, **k), argv=never_reads))
    big = {"sample": {"data": wire.encode(np.zeros((1000, 200))), "target": wire.encode(np.zeros(1000))}}
    threads = threading.active_count()
    worker = Worker(tmp_path, ["probe"], LIMITS, datasets=big, force_layer="rlimits")
    starting = threading.Thread(target=worker.start, daemon=True)
    starting.start()
    starting.join(10)
    assert not starting.is_alive(), "start() waited for the worker to read its init"
    worker.close()
    assert threading.active_count() == threads


@pytest.mark.skipif(not isolation.bwrap_works(), reason="the font list is given to bubblewrap's sandboxes")
def test_a_sandbox_is_given_the_font_list_built_once_and_runs_without_one_that_cannot_be(tmp_path, monkeypatch):
    """Each sandbox's matplotlib would scan the system's fonts (~0.1 s of every zygote and fresh worker): the list,
    built once in a sandbox and kept in the cache folder, is in place before student code imports matplotlib.
    Where the cache folder cannot be written, sandboxes scan as before."""
    (tmp_path / "probe.py").write_text(
        "import os\nCACHE = os.environ['MPLCONFIGDIR']\nFOUND = sorted(os.listdir(CACHE)) if os.path.isdir(CACHE) else []\n"
        "import matplotlib.pyplot\n\ndef found():\n    return ';'.join(FOUND)\n\n"
        "def variables():\n    return ';'.join(sorted(os.environ))\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    isolation._font_list.cache_clear()
    with Worker(tmp_path, ["probe"], LIMITS) as worker:
        assert worker.call("probe", "found", (), {}).value.startswith("fontlist-v")
        assert "GRADEKIT_FONTLIST" not in worker.call("probe", "variables", (), {}).value
    (kept,) = (tmp_path / "cache" / "gradekit").glob("fonts-*/fontlist-v*.json")
    assert kept.stat().st_size > 1000
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    isolation._font_list.cache_clear()
    try:
        with Worker(tmp_path, ["probe"], LIMITS) as worker:
            assert worker.call("probe", "found", (), {}).value == ""
    finally:
        monkeypatch.undo()
        isolation._font_list.cache_clear()


@pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")
def test_a_warm_sandbox_forks_its_workers_from_a_frozen_heap(tmp_path):
    """The warm imports stay out of each worker's collections (gc.freeze): never traversed, nor copied on write."""
    from gradekit.sandbox.pool import warm_sandbox

    limits = Limits(call_timeout_s=30)  # the course's memory: a fork of the warm imports needs more than LIMITS
    with warm_sandbox(limits) as zygote:
        folder = zygote.workdir / "frozen"
        folder.mkdir()
        (folder / "probe.py").write_text("import gc\n\ndef frozen():\n    return gc.get_freeze_count()\n")
        with Worker(folder, ["probe"], limits, zygote=zygote) as worker:
            result = worker.call("probe", "frozen", (), {})
    assert result.error is None, result.error
    assert result.value > 50_000  # numpy, scipy and matplotlib's objects


def test_a_workers_import_errors_outlive_the_worker(tmp_path):
    """A call that times out stops the worker: the modules that did not import are still known, without a restart."""
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "slow.py").write_text("def hang():\n    while True:\n        pass\n")
    limits = LIMITS.model_copy(update={"call_timeout_s": 1})
    with Worker(tmp_path, ["broken", "slow"], limits) as worker:
        assert worker.call("slow", "hang", (), {}).error.kind == "timeout"
        assert worker.proc is None
        errors = worker.import_errors()
        assert worker.proc is None
    assert list(errors) == ["broken"] and errors["broken"]["type"] == "SyntaxError"


def test_a_worker_closed_before_it_greeted_has_no_import_errors(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    with Worker(tmp_path, ["broken"], LIMITS) as worker:
        pass
    assert worker.import_errors() == {}


def test_a_class_encodes_its_workers_init_with_the_datasets_once(tmp_path, monkeypatch):
    """Every worker of a class is sent the same init message, a megabyte with the course's datasets: it is encoded
    once, not once a submission; other datasets are a message of their own."""
    (tmp_path / "probe.py").write_text("def n():\n    return 1\n")
    encoded, message_bytes = [], wire.message_bytes
    monkeypatch.setattr(wire, "message_bytes", lambda message, limit=None: encoded.append("datasets" in message)
                        or message_bytes(message, limit))
    unique = float(abs(hash(str(tmp_path))) % 1000)
    first = {"sample": {"data": wire.encode(np.full((1000, 200), unique)), "target": wire.encode(np.zeros(1000))}}
    other = {"sample": {"data": wire.encode(np.full((1000, 200), unique + 1)), "target": wire.encode(np.zeros(1000))}}
    for datasets in (first, first, first, other):
        with Worker(tmp_path, ["probe"], LIMITS, datasets=datasets) as worker:
            assert worker.call("probe", "n", (), {}).value == 1
    assert encoded.count(True) == 2
