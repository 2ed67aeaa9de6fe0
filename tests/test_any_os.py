"""A student on any OS: the handout's `check` and `package` with plain CPython, no POSIX-only modules.

The student's Python is a venv with only the handout's requirements.txt installed, and a
sitecustomize (in its site-packages, so the workers it starts with `-I` get it too) that takes away
what Windows lacks: `resource`, `fcntl`, `pwd`, `os.fork`, `os.setsid`, `os.killpg`, SIGALRM and
setitimer, and dlopen(NULL).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from gradekit.course import open_course
from gradekit.layout import KitPaths
from gradekit.release import release
from gradekit.release.notebook import fill_notebook, notebook_bytes

NOT_POSIX = '''"""This Python lacks what only POSIX has, as on Windows."""
import ctypes
import os
import signal
import sys

for name in ("resource", "fcntl", "pwd", "grp", "termios"):
    sys.modules[name] = None  # importing it raises ImportError
for module, names in ((os, ("fork", "forkpty", "setsid", "killpg", "register_at_fork")),
                      (signal, ("SIGALRM", "setitimer", "ITIMER_REAL", "SIGXFSZ", "SIGXCPU"))):
    for name in names:
        if hasattr(module, name):
            delattr(module, name)

_init = ctypes.CDLL.__init__


def _no_dlopen_null(self, name, *args, **kwargs):
    if name is None:
        raise TypeError("LoadLibrary() argument 1 must be str, not None")
    _init(self, name, *args, **kwargs)


ctypes.CDLL.__init__ = _no_dlopen_null
'''

PROBE = '''
import json
import sys
from pathlib import Path
from gradekit.course import Limits
from gradekit.sandbox.worker import Worker

with Worker(Path(sys.argv[1]), ["work"], Limits(call_timeout_s=2)) as worker:
    seen = {"layer": worker.layer, "doubled": worker.call("work", "double", (21,), {}).value,
            "spin": worker.call("work", "spin", (), {}).error.message,
            "leave": worker.call("work", "leave", (), {}).error.message,
            "after": worker.call("work", "double", (1,), {}).value}
    run = worker.run_script("ex_spin.py", [], timeout=2)
    seen.update(script=run.error.message, printed=run.output)
print(json.dumps(seen))
'''


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    _, course = open_course(ROOT / "course.yaml")
    dest = tmp_path_factory.mktemp("released") / "my-work"
    release(KitPaths(ROOT), course, assignment="part-4.2", dest=dest)
    return dest


@pytest.fixture(scope="module")
def student_python(handout, tmp_path_factory) -> Path:
    """A venv with the handout's requirements only, and no POSIX-only modules."""
    env = tmp_path_factory.mktemp("student") / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                    handout / "requirements.txt"], check=True, timeout=900)
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "sitecustomize.py").write_text(NOT_POSIX)
    return python


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([python, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_students_python_has_no_posix_only_modules_even_isolated(student_python, tmp_path):
    probe = "import os, signal; print(hasattr(os, 'fork'), hasattr(signal, 'SIGALRM')); import resource"
    proc = run(student_python, "-I", "-c", probe, cwd=tmp_path)
    assert proc.stdout.split() == ["False", "False"]
    assert proc.returncode == 1 and "import of resource halted" in proc.stderr
    assert run(student_python, "-c", "import nbgrader", cwd=tmp_path).returncode == 1  # not a requirement


def test_release_fill_check_and_package_without_posix(student_python, tmp_path):
    folder = tmp_path / "my-work"
    released = run(student_python, "cli.py", "release", "part-4.2", "--to", str(folder), cwd=ROOT)
    assert released.returncode == 0, released.stderr
    first = run(student_python, "cli.py", "check", cwd=folder)
    assert first.returncode == 1, first.stderr  # stubs: failing
    assert "conv2d         40 points    not started" in first.stdout
    assert "exercise_3 (20 points), exercise_4 (20 points): graded when you hand in" in first.stdout
    refused = run(student_python, "cli.py", "package", cwd=folder)
    assert refused.returncode == 1 and "not finished" in refused.stderr, refused.stderr
    for name in ("neural_network.py", "conv_exercises.py"):
        shutil.copy(ROOT / "reference" / name, folder / "exercises" / name)
    done = run(student_python, "cli.py", "check", cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Public tests: 60 / 60: every part passes." in done.stdout
    packed = run(student_python, "cli.py", "package", cwd=folder)
    assert packed.returncode == 0, packed.stderr
    with zipfile.ZipFile(folder / "submission.zip") as archive:
        assert json.loads(archive.read("MANIFEST.json"))["files"].keys() == {"neural_network.py", "conv_exercises.py"}


def test_notebook_handout_checks_without_posix(student_python, tmp_path):
    folder = tmp_path / "my-work"
    released = run(student_python, "cli.py", "release", "part-4.2", "--to", str(folder), "--format", "notebook",
                   cwd=ROOT)
    assert released.returncode == 0, released.stderr
    path = folder / "exercises" / "part-4.2.ipynb"
    path.write_bytes(notebook_bytes(fill_notebook(nbformat.read(path, as_version=4), ROOT / "reference")))
    proc = run(student_python, "cli.py", "check", cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every part passes" in proc.stdout
    assert run(student_python, "cli.py", "package", cwd=folder).returncode == 0


def test_a_worker_without_posix_still_stops_loops_and_exits(student_python, tmp_path):
    """The "process" layer: time limits by the grader (calls) and by a timer thread (scripts), no rlimits."""
    work = tmp_path / "submission"
    work.mkdir()
    (work / "work.py").write_text("import os\n\ndef double(x):\n    return 2 * x\n\ndef spin():\n    while True:\n"
                                  "        pass\n\ndef leave():\n    os._exit(3)\n")
    (work / "ex_spin.py").write_text("print('started')\nwhile True:\n    pass\n")
    proc = subprocess.run([student_python, "-c", PROBE, str(work)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # as a background job
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["layer"] == "process" and seen["doubled"] == 42 and seen["after"] == 2
    assert "did not finish within the time limit of 2 s" in seen["spin"]
    assert "exit code 3" in seen["leave"]
    assert "time limit" in seen["script"] and seen["printed"] == "started\n"
