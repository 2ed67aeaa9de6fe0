"""Scripts run in the worker as `python script.py` would: the calls of recorded functions, the figures shown,
the output and the error come back as data; scikit-learn's fetch_openml is served offline from the course's
datasets. Generic: the submission here is made up (a `shapes` module), not the course's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from gradekit.content import dataset_payload
from gradekit.course import Limits, open_course
from gradekit.sandbox.runner import wire
from gradekit.sandbox.script_run import MAX_CALLS, script_run
from gradekit.sandbox.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "gradekit" / "sandbox" / "runner"
LIMITS = Limits(call_timeout_s=4)
TOY = {"toy": {"data": wire.encode(np.arange(12, dtype=np.uint8).reshape(4, 3)), "target": ["a", "b", "a", "c"]}}

MODULE = '''
import matplotlib.pyplot as plt
import numpy as np


def scale(x, factor=2):
    return np.asarray(x, dtype=float) * factor


def double_in_place(x):
    x *= 2
    return x.sum()


def opaque():
    return object()


def show_is_pyplots():
    return plt.show.__module__ == "matplotlib.pyplot"
'''

FILES = {
    "shapes.py": MODULE,
    "draw.py": '''
        import matplotlib.pyplot as plt
        import numpy as np
        from shapes import scale

        print("scaling")
        a = scale(np.ones((2, 2)), factor=3)
        fig, ax = plt.subplots()
        ax.imshow(a)
        ax.set_title("first")
        plt.show()
        b = scale([1, 2])
        fig, (ax1, ax2) = plt.subplots(1, 2)
        ax1.imshow(np.zeros((3, 3)))
        ax2.set_title("second")
        plt.show()
        ''',
    "mutate.py": '''
        import numpy as np
        import shapes

        x = np.ones(3)
        shapes.double_in_place(x)
        ''',
    "raises.py": '''
        from shapes import scale

        scale([1.0])
        raise ValueError("midway")
        scale([2.0])
        ''',
    "hangs.py": '''
        from shapes import scale

        scale([1.0])
        while True:
            pass
        ''',
    "exits.py": '''
        import sys
        import matplotlib.pyplot as plt
        from shapes import scale

        scale([1.0])
        plt.figure().add_subplot().set_title("left open")
        sys.exit(0)
        ''',
    "many.py": '''
        import numpy as np
        from shapes import opaque, scale

        scale(np.zeros((1200, 1200)))
        opaque()
        for i in range(205):
            scale([i])
        ''',
    "data.py": '''
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("toy", version=1, return_X_y=True, as_frame=False)
        print(X.dtype, X.shape, y.dtype, type(y[0]).__name__, list(y))
        bunch = fetch_openml("toy", as_frame=False)
        print(bunch.data.shape, list(bunch.target))
        fetch_openml("iris", version=1, as_frame=False)
        ''',
    "frame.py": '''
        from sklearn.datasets import fetch_openml

        fetch_openml("toy")
        ''',
    "toplevel.py": '''
        import matplotlib.pyplot as plt
        from sklearn.datasets import fetch_openml
        from shapes import scale

        X, y = fetch_openml("toy", return_X_y=True, as_frame=False)
        plt.figure().add_subplot().imshow(scale(X))
        plt.show()
        ''',
}


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    folder = tmp_path_factory.mktemp("scripts")
    for name, text in FILES.items():
        (folder / name).write_text(textwrap.dedent(text))
    with Worker(folder, ["shapes", "toplevel"], LIMITS, datasets=TOY) as started:
        assert started.wait_ready()["errors"] == {"shapes": None, "toplevel": None}
        yield started


def test_a_script_runs_as_main_with_its_calls_recorded_and_its_figures_captured(worker):
    run = worker.run_script("draw.py", ["shapes.scale"])
    assert run.error is None and "scaling" in run.output
    assert [c.func for c in run.calls] == ["shapes.scale", "shapes.scale"]
    first, second = run.calls
    assert first.args[0].tolist() == [[1.0, 1.0], [1.0, 1.0]] and first.kwargs == {"factor": 3}
    assert first.value.tolist() == [[3.0, 3.0], [3.0, 3.0]] and first.recorded
    assert second.args == ([1, 2],) and second.value.tolist() == [2.0, 4.0]
    assert [[ax.title for ax in fig.axes] for fig in run.figures] == [["first"], ["", "second"]]
    assert run.shown_after == [1, 2]
    assert run.figures[0].axes[0].images[0].tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert run.figures[0].png.startswith(b"\x89PNG")
    assert run.figures_after(2) == run.figures[1:]


def test_arguments_are_recorded_as_passed_before_the_call_changes_them(worker):
    (call,) = worker.run_script("mutate.py", ["shapes.double_in_place"]).calls
    assert call.args[0].tolist() == [1.0, 1.0, 1.0] and call.value == 6.0


def test_a_script_that_raises_still_reports_what_it_recorded(worker):
    run = worker.run_script("raises.py", ["shapes.scale"])
    assert [c.args for c in run.calls] == [([1.0],)]
    assert (run.error.kind, run.error.type, run.error.file, run.error.line) == ("exception", "ValueError", "raises.py", 5)
    assert run.error.public() == "ValueError: midway (raises.py, line 5)"


def test_a_script_past_its_time_limit_is_stopped_and_reports_what_it_recorded(worker):
    restarts = worker.restarts
    run = worker.run_script("hangs.py", ["shapes.scale"], timeout=1)
    assert run.error.kind == "timeout" and "time limit of 1 s" in run.error.message
    assert len(run.calls) == 1
    assert worker.restarts == restarts  # the script stopped itself: the same worker answers on
    assert worker.call("shapes", "scale", ([1.0],), {}).value.tolist() == [2.0]


def test_recording_and_the_captured_show_end_with_the_run(worker):
    worker.run_script("draw.py", ["shapes.scale"])
    assert worker.call("shapes", "show_is_pyplots", (), {}).value is True
    again = worker.run_script("raises.py", ["shapes.scale"])
    assert len(again.calls) == 1  # a fresh record for every run


def test_a_missing_script_or_a_path_outside_the_submission_is_missing(worker):
    for name in ("nope.py", "../shapes.py", "/etc/hostname"):
        run = worker.run_script(name, [])
        assert run.missing and f"{name} is not in the submission" in run.error.message


def test_sys_exit_0_ends_a_script_and_figures_still_open_are_captured(worker):
    run = worker.run_script("exits.py", ["shapes.scale"])
    assert run.error is None and len(run.calls) == 1
    assert [fig.axes[0].title for fig in run.figures] == ["left open"] and run.shown_after == [1]


def test_a_module_with_top_level_code_imports_and_runs_as_a_script(worker):
    """Imported at start (its fetch_openml served then too), then run as __main__ with its calls recorded."""
    run = worker.run_script("toplevel.py", ["shapes.scale"])
    assert run.error is None and len(run.calls) == 1 and len(run.figures) == 1  # not the figure of its import
    assert run.calls[0].value.tolist() == (np.arange(12).reshape(4, 3) * 2.0).tolist()


def test_recording_is_capped_and_what_cannot_travel_is_left_out(worker):
    run = worker.run_script("many.py", ["shapes.scale", "shapes.opaque", "shapes.absent", "nomodule.f"])
    assert run.error is None and len(run.calls) == MAX_CALLS and run.dropped == 207 - MAX_CALLS
    assert [(c.func, c.recorded) for c in run.calls[:3]] == [("shapes.scale", False), ("shapes.opaque", False),
                                                            ("shapes.scale", True)]  # too large; not plain data


def test_fetch_openml_serves_the_course_datasets_offline_and_names_them_for_any_other(worker):
    run = worker.run_script("data.py", [])
    lines = run.output.splitlines()
    assert "float64 (4, 3) object str ['a', 'b', 'a', 'c']" in lines and "(4, 3) ['a', 'b', 'a', 'c']" in lines
    assert run.error.type == "ValueError" and run.error.line == 8
    assert "only these datasets are available offline, by name: toy" in run.error.message
    frame = worker.run_script("frame.py", [])
    assert "as_frame=False" in frame.error.message


def test_the_course_dataset_is_the_shipped_digits_with_openml_conventions(tmp_path):
    """As fetch_openml('mnist_784', version=1, return_X_y=True, as_frame=False): X float64 (n, 784), y strings, a '5' first."""
    paths, course = open_course(ROOT / "course.yaml")
    (tmp_path / "probe.py").write_text(textwrap.dedent('''
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False)
        print(X.dtype, X.shape, X.min(), X.max(), y.dtype, type(y[0]).__name__, y[0], sorted(set(y)) == list("0123456789"))
        '''))
    with Worker(tmp_path, [], LIMITS, datasets=dataset_payload(paths, course)) as started:
        run = started.run_script("probe.py", [])
    assert run.error is None, run.error
    assert "float64 (1000, 784) 0.0 255.0 object str 5 True" in run.output.splitlines()


def test_without_scikit_learn_a_stand_in_module_serves_fetch_openml(tmp_path):
    probe = textwrap.dedent(f'''
        import importlib.machinery, sys
        sys.path.insert(0, {str(RUNNER)!r})
        real = importlib.machinery.PathFinder.find_spec
        importlib.machinery.PathFinder.find_spec = classmethod(
            lambda cls, name, path=None, target=None: None if name.split(".")[0] == "sklearn" else real(name, path, target))
        import datasets, wire
        import numpy as np
        datasets.serve({{"toy": {{"data": wire.encode(np.ones((2, 2))), "target": wire.encode(np.array([1, 2]))}}}})
        from sklearn.datasets import fetch_openml
        X, y = fetch_openml("toy", return_X_y=True, as_frame=False)
        print(X.shape, y.dtype, y.tolist())
        try:
            import sklearn.model_selection
        except ImportError:
            print("only fetch_openml")
        ''')
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == ["(2, 2) float64 [1.0, 2.0]", "only fetch_openml"], proc.stderr


def test_a_forged_reply_is_rebuilt_trusting_nothing():
    forged = {"ok": True, "output": 7, "elapsed": "x", "dropped": [1], "error": {"type": ["x"], "line": "3"},
              "calls": [None, {"func": 5, "args": {"__nd__": 1}}, {"func": "f", "args": [1], "kwargs": {"__dict__": {}},
                                                                  "value": {"__pickle__": "x"}}] * 100,
              "figures": [{"figure": {"__figure__": {"axes": "no"}}, "after": "1"}, 3, {"after": 1}]}
    run = script_run("s.py", forged, 1000)
    assert len(run.calls) == 200 and not any(c.recorded for c in run.calls)
    assert run.figures == [] and run.output == "" and run.elapsed == 0.0 and run.dropped == 0
    assert run.error.type == "['x']" and run.error.line is None
