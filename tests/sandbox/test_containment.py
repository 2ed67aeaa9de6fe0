"""What a worker forked by the warm sandbox can change, and that the next submission sees none of it.

tests/sandbox/containment/survey.py is a submission that lists every folder it can write to and leaves a
marker in each and in every kind of kernel object that outlives a process; a second submission
forked by the same zygote then looks for the markers. Run as root, the sandbox's processes must
be nobody on the host.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from gradekit.course import Limits
from gradekit.sandbox import isolation, seccomp, unprivileged
from gradekit.sandbox.worker import Worker
from gradekit.sandbox.zygote import Zygote

SURVEY = Path(__file__).with_name("containment") / "survey.py"
FRESH = ("/tmp", "/dev/shm", "/submission")  # a worker's own writable places, new for each submission
LIMITS = Limits(call_timeout_s=30)

pytestmark = pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    warm = Zygote(LIMITS)
    yield warm
    warm.close()


def survey_worker(zygote: Zygote, name: str) -> Worker:
    folder = zygote.workdir / f"{name}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    shutil.copy(SURVEY, folder / "neural_network.py")
    worker = Worker(folder, ["neural_network"], LIMITS, zygote=zygote)
    worker.start()
    return worker


def call(worker: Worker, func: str, *args: object) -> object:
    result = worker.call("neural_network", func, args, {})
    assert result.error is None, result.error
    return result.value


def test_a_worker_can_write_only_to_its_own_fresh_places(zygote):
    with survey_worker(zygote, "writable") as worker:
        places = call(worker, "writable")
    outside = [p for p in places if not any(p == f or p.startswith(f + "/") for f in FRESH)]
    assert not outside, f"writable outside {FRESH}: {outside}"
    assert set(FRESH) <= set(places)


def test_the_next_submission_sees_nothing_the_previous_one_left(zygote):
    marker = f"gk-survey-{uuid.uuid4().hex[:12]}"
    with survey_worker(zygote, "first") as first:
        refused = call(first, "leave", marker)
        assert call(first, "found", marker), "the survey cannot see its own markers"
    if seccomp.available():
        assert "keyring" in refused  # add_key is denied outright
    with survey_worker(zygote, "second") as second:
        assert call(second, "found", marker) == []


def test_a_temp_folder_nobody_can_pass_still_grades(tmp_path, monkeypatch):
    """The sandbox's user reaches its slot even when the kit's temp folder is root's alone (0700)."""
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    warm = Zygote(LIMITS)
    try:
        with survey_worker(warm, "private") as worker:
            assert call(worker, "found", "nothing-left") == []
    finally:
        warm.close()


@pytest.mark.skipif(os.getuid() != 0, reason="the host uid matters when the kit runs as root")
def test_the_sandbox_user_is_nobody_on_the_host(zygote):
    with survey_worker(zygote, "uid") as worker:
        call(worker, "writable")
        pids = [int(p) for group in worker.proc.plan.cgroups for p in (group / "cgroup.procs").read_text().split()]
        uids = {line.split()[1] for pid in pids for line in _status(pid) if line.startswith("Uid:")}
    assert pids and uids == {str(unprivileged.host_uid())}


def _status(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return []


@pytest.mark.skipif(not seccomp.available(), reason="needs libseccomp")
def test_the_seccomp_layer_is_recorded(zygote):
    with survey_worker(zygote, "layer") as worker:
        worker.wait_ready()
        assert "seccomp" in worker.layer.split("+")
        assert "unprivileged" in worker.layer.split("+")


FREEZER = Path("/sys/fs/cgroup/freezer")


@pytest.mark.skipif(not os.access(FREEZER, os.W_OK), reason="needs the cgroup v1 freezer")
def test_a_sandbox_that_cannot_be_cleaned_is_replaced(zygote, tmp_path):
    """A worker frozen by the host cannot be killed: the zygote says so, and a new sandbox grades the next (the
    answer is taken when the next worker is asked for, not when the last one is closed)."""
    frozen = FREEZER / f"gradekit-test-{uuid.uuid4().hex[:8]}"
    frozen.mkdir()
    try:
        worker = survey_worker(zygote, "frozen")
        call(worker, "sandbox_uid_map")
        before = zygote.proc.pid
        for pid in _worker_pids(worker):
            (frozen / "cgroup.procs").write_text(str(pid))
        (frozen / "freezer.state").write_text("FROZEN")
        worker.close()  # the zygote's reap cannot end it; close does not wait for its answer
        assert zygote.proc is not None and zygote.proc.pid == before  # the next spawn takes the answer first
        with survey_worker(zygote, "after") as after:
            assert call(after, "found", "nothing-left") == []
        assert zygote.proc.pid != before
    finally:
        (frozen / "freezer.state").write_text("THAWED")
        for _ in range(100):
            try:
                frozen.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def _worker_pids(worker: Worker) -> list[int]:
    """Host pids of the processes in the worker's own PID namespace (three levels of NSpid)."""
    pids = [int(p) for group in worker.proc.plan.cgroups[:1] for p in (group / "cgroup.procs").read_text().split()]
    return [pid for pid in pids for line in _status(pid) if line.startswith("NSpid:") and len(line.split()) >= 4]
