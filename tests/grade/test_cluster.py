"""Grading a class on a Dask cluster of worker processes: what a local run gives, resumable, a killed worker's
submission graded elsewhere, the workers left as they were, one clear error without dask."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gradekit
from gradekit.content import content_digest, course_content
from gradekit.course import open_course
from gradekit.errors import KitError
from gradekit.grade.batch import ClassTask
from gradekit.grade.late import Timing
from gradekit.intake import Entry

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "blog_solution"


def cli(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def finished(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        yield client


def graded(out: Path) -> dict[str, dict]:
    """Each student's results, without what differs from run to run (when, how long)."""
    found = {}
    for path in sorted(out.glob("*/results.json")):
        results = json.loads(path.read_text())
        results["extra_data"].pop("graded_at", None)
        for test in results["tests"]:
            test["extra_data"].pop("seconds")
        found[path.parent.name] = {k: v for k, v in results.items() if k != "execution_time"}
    return found


def course_modules(dask_worker) -> list[str]:
    """The modules a worker holds from the course's folder, and that folder if it is still there."""
    folder = Path(dask_worker.local_directory) / "gradekit-course"
    held = [name for name, module in sys.modules.items()
            if str(getattr(module, "__file__", None) or "").startswith(str(folder))]
    return held + [str(folder)] * folder.exists()


def test_a_class_graded_on_the_cluster_is_graded_as_here(client, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "alice")
    shutil.copytree(ROOT / "samples" / "typical_student", folder / "bob")
    shutil.make_archive(str(folder / "carol"), "zip", SAMPLE)
    shutil.copytree(SAMPLE, folder / "erin")
    (folder / "erin" / "notes.py").symlink_to("/etc/hostname")  # refused, on the client, as a local run refuses it
    here = cli("grade", str(folder), "--out", str(tmp_path / "here"), "--seed", "5", "-j", "1")
    there = cli("grade", str(folder), "--out", str(tmp_path / "there"), "--seed", "5",
                "--dask-scheduler", client.scheduler.address)
    for proc in (here, there):
        code, _, err = finished(proc)
        assert code == 0, err
    assert graded(tmp_path / "there") == graded(tmp_path / "here")
    assert sorted(graded(tmp_path / "there")) == ["alice", "bob", "carol", "erin"]
    assert (tmp_path / "there" / "gradebook.csv").read_text() == (tmp_path / "here" / "gradebook.csv").read_text()
    assert sorted(p.name for p in (tmp_path / "there" / "alice" / "figures").iterdir()) == \
        sorted(p.name for p in (tmp_path / "here" / "alice" / "figures").iterdir())
    assert client.run(course_modules) == {worker: [] for worker in client.nthreads()}  # the plugin torn down

    code, out, err = finished(cli("grade", str(folder), "--out", str(tmp_path / "there"), "--seed", "5",
                                  "--dask-scheduler", client.scheduler.address))
    assert code == 0, err
    assert "Grading 0 submission(s): all up to date" in out


def executing(dask_worker) -> list[str]:
    return [str(key) for key, task in dask_worker.state.tasks.items() if task.state == "executing"]


def test_a_worker_killed_while_grading_leaves_its_submission_to_another(client, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "slow")
    module = folder / "slow" / "conv_exercises.py"
    module.write_text("import time\ntime.sleep(4)\n" + module.read_text())
    proc = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--dask-scheduler", client.scheduler.address)
    deadline, victim = time.monotonic() + 120, None
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        victim = next((w for w, keys in client.run(executing).items() if any("-slow-" in k for k in keys)), None)
        time.sleep(0.2)
    assert victim is not None, finished(proc)
    time.sleep(1)  # in the middle of its grading
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    code, out, err = finished(proc)
    assert code == 0, err
    slow = json.loads((tmp_path / "out" / "slow" / "results.json").read_text())
    assert slow["extra_data"]["status"] == "graded" and slow["score"] == slow["extra_data"]["max_score"] == 100
    assert pid not in client.run(os.getpid).values()  # it was killed, and graded on a worker that lived


def test_the_client_hears_of_each_submission_as_a_worker_takes_it_up(client, tmp_path):
    from gradekit.grade.cluster import ClusterGrader  # with dask installed

    paths, course = open_course(ROOT / "course.yaml")
    content = content_digest(course_content(paths, course))
    tasks = [ClassTask(Entry(name, SAMPLE), tmp_path, paths, course, course.default_assignment, 5, Timing(), content)
             for name in ("alice", "bob", "carol")]
    events = []
    ClusterGrader(client)(tasks, paths, course, course.default_assignment,
                          lambda p: events.append((p.event, p.student, p.done)))
    assert events[0] == ("began", "", 0)
    for name in ("alice", "bob", "carol"):
        started = events.index(next(e for e in events if e[:2] == ("started", name)))
        assert started < events.index(next(e for e in events if e[:2] == ("finished", name)))
    assert [e for e in events if e[0] == "finished"][-1][2] == 3


def test_workers_of_another_kit_version_are_one_clear_error(client, tmp_path, monkeypatch):
    from gradekit.grade.cluster import ClusterGrader  # with dask installed

    paths, course = open_course(ROOT / "course.yaml")
    task = ClassTask(Entry("alice", SAMPLE), tmp_path, paths, course, course.default_assignment, 5, Timing(),
                     content_digest(course_content(paths, course)))
    monkeypatch.setattr(gradekit, "__version__", "0.0.1")  # this machine's kit, not the workers'
    with pytest.raises(KitError, match=r"tcp://.*: this worker runs gradekit .*, the client 0\.0\.1"):
        ClusterGrader(client)([task], paths, course, course.default_assignment, lambda progress: None)
    assert not list(tmp_path.iterdir())
    assert client.run(course_modules) == {worker: [] for worker in client.nthreads()}  # the plugin torn down


@pytest.fixture
def one_class(tmp_path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "class" / "alice")
    return tmp_path / "class"


@pytest.mark.parametrize("student, options, error", [
    ("", ["--dask-scheduler", "nonsense"], "nonsense: no Dask scheduler answers there (missing port number in "
                                           "address 'nonsense'). Fix: start one"),
    ("", ["--dask-scheduler", "tcp://127.0.0.1:8786", "-j", "2"], "--jobs sets how many local processes grade, but "
                                                                  "--dask-scheduler grades on the cluster's workers"),
    ("alice", ["--dask-scheduler", "tcp://127.0.0.1:8786"], "--dask-scheduler grades a class, but"),
])
def test_a_bad_cluster_option_is_one_clear_error(one_class, student, options, error):
    code, _, err = finished(cli("grade", str(one_class / student), "--out", str(one_class.parent / "out"), *options))
    assert code != 0 and len(err.strip().splitlines()) == 1 and error in err, err
    assert not (one_class.parent / "out").exists()


def test_without_dask_the_option_says_how_to_install_it(one_class, tmp_path):
    blocked = "import runpy, sys; sys.modules['distributed'] = None; sys.argv = sys.argv[1:]; " \
              "runpy.run_path(sys.argv[0], run_name='__main__')"
    proc = subprocess.run([sys.executable, "-c", blocked, str(ROOT / "cli.py"), "grade", str(one_class), "--out",
                           str(tmp_path / "out"), "--dask-scheduler", "tcp://127.0.0.1:8786"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "Error: --dask-scheduler needs dask.distributed, which is not installed here. Fix: pip install "
        "'gradekit[dask]' (or 'dask[distributed]') on this machine and on every Dask worker"]
    assert not (tmp_path / "out").exists()
