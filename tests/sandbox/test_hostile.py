"""Hostile submissions graded through the public engine: none may crash, escape, linger or score.

Each submission in tests/sandbox/hostile/ is graded as part-4.2 with `gradekit.grade.pipeline.grade`, under
a copy of the course with short limits. Every grade must finish and write a valid results.json;
conv2d must score 0 and the total no more than the blank handout's; no file may appear outside
the sandbox and no process the attack started may survive.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from gradekit.course import Course, load_course
from gradekit.grade.pipeline import grade
from gradekit.layout import KitPaths
from gradekit.results import Results
from gradekit.sandbox import isolation
from gradekit.sandbox import worker as worker_module
from gradekit.sandbox.zygote import Zygote

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).with_name("hostile")
ASSIGNMENT = "part-4.2"
LIMITS = {"call_timeout_s": 2, "memory_mb": 512, "cpu_s": 20}
SECRET_NAME = "GRADEKIT_TEST_SECRET"
BOTH = [None, "rlimits", "zygote"]  # the strongest layer (bubblewrap), the portable fallback, class grading

pytestmark = pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")


@dataclass
class Kit:
    paths: KitPaths
    course: Course
    blank_score: float  # what the blank handout scores
    zygote: Zygote  # one warm sandbox for every attack graded as part of a class


@dataclass
class Graded:
    results: Results
    data: dict  # results.json as written
    text: str
    seconds: float

    def part(self, name: str) -> tuple[float, float]:
        tests = [t for t in self.data["tests"] if t["tags"][:1] == [name]]
        return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)

    def outputs(self, part: str = "conv2d") -> str:
        return "\n".join(t["output"] for t in self.data["tests"] if t["tags"][:1] == [part])


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    """The real course's content under a course.yaml with short limits."""
    # The grading run ignores pytest's own report of a failed grader test, whose tracebacks take
    # most of the time of grading a failing submission: skip them in these runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_ADDOPTS", "--tb=no")
        kit = _kit(tmp_path_factory)
        yield kit
        kit.zygote.close()


def _kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    root = tmp_path_factory.mktemp("kit")
    for name in ("reference", "graders", "exercises"):
        (root / name).symlink_to(ROOT / name)
    course = yaml.safe_load((ROOT / "course.yaml").read_text())
    course["limits"].update(LIMITS)
    for assignment in course["assignments"].values():
        assignment.pop("limits", None)
    (root / "course.yaml").write_text(yaml.safe_dump(course))
    paths = KitPaths(root)
    loaded = load_course(paths.course_file)
    blank = grade(ROOT / "exercises", tmp_path_factory.mktemp("blank"), paths=paths, course=loaded,
                  assignment=ASSIGNMENT)
    return Kit(paths, loaded, blank.score, Zygote(loaded.limits_for(loaded.assignment(ASSIGNMENT))))


def processes_with(marker: str) -> list[str]:
    """Command lines of live processes that carry `marker`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if marker.encode() in text:
            found.append(cmdline.parent.name + ": " + text.replace(b"\0", b" ").decode(errors="replace"))
    return found


def grade_attack(name: str, tmp_path: Path, kit: Kit, layer: str | None = None, *, may_score: bool = False,
                 **values: str) -> Graded:
    """Grade tests/sandbox/hostile/<name>.py and check what must hold for every attack."""
    marker = values.pop("MARKER", f"gk-hostile-{uuid.uuid4().hex[:12]}")
    sentinel, repo_sentinel = tmp_path / "SENTINEL", ROOT / f".{marker}"
    values = {"SENTINEL": str(sentinel), "REPO_SENTINEL": str(repo_sentinel), "MARKER": marker,
              "REPO": str(ROOT), "SECRET_NAME": SECRET_NAME, "PORT": "0", **values}
    source = (HOSTILE / f"{name}.py").read_text()
    for key, value in values.items():
        source = source.replace(f"@{key}@", value)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "neural_network.py").write_text(source)

    start = time.monotonic()
    zygote = kit.zygote if layer == "zygote" else None
    results = grade(submission, tmp_path / "out", paths=kit.paths, course=kit.course, assignment=ASSIGNMENT,
                    force_layer=None if zygote else layer, zygote=zygote)
    seconds = time.monotonic() - start
    survivors = processes_with(marker)
    escaped = [p for p in (sentinel, repo_sentinel) if p.exists()]
    repo_sentinel.unlink(missing_ok=True)

    assert not survivors, f"processes outlived the grade: {survivors}"
    assert not escaped, f"the attack wrote {escaped}"
    text = (tmp_path / "out" / "results.json").read_text()
    graded = Graded(results, json.loads(text), text, seconds)
    written = Results.model_validate(graded.data)
    assert written.score == results.score and 0 <= written.score <= written.max_score
    assert all(0 <= t.score <= t.max_score for t in written.tests)
    assert written.extra_data["isolation"].startswith("rlimits" if layer == "rlimits" else "bubblewrap")
    conv2d, most = graded.part("conv2d")
    assert most > 0, "the conv2d part was not graded"
    if not may_score:
        assert conv2d == 0, f"{name} scored {conv2d} on conv2d:\n{graded.outputs()}"
        assert written.score <= kit.blank_score
    if zygote:
        assert "zygote" in written.extra_data["isolation"]
        assert_next_is_unaffected(kit, tmp_path)
    return graded


def assert_next_is_unaffected(kit: Kit, tmp_path: Path) -> None:
    """The blog's solution, graded next by the same warm sandbox, gets full marks."""
    after = grade(ROOT / "samples" / "blog_solution", tmp_path / "next", paths=kit.paths, course=kit.course,
                  assignment=ASSIGNMENT, zygote=kit.zygote)
    assert after.score == after.max_score, [t.output for t in after.tests if t.status == "failed"]


# -- time ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", BOTH)
def test_conv2d_infinite_loop_times_out(tmp_path, kit, layer):
    graded = grade_attack("loop_in_conv2d", tmp_path, kit, layer)
    assert "time limit" in graded.outputs()
    assert graded.seconds < 20  # two timed-out calls, then the function is not run again


def test_conv2d_sleep_times_out(tmp_path, kit):
    assert "time limit" in grade_attack("sleep_in_conv2d", tmp_path, kit).outputs()


@pytest.mark.parametrize("layer", BOTH)
def test_busy_loop_at_import_fails_every_test_with_the_reason(tmp_path, kit, layer, monkeypatch):
    monkeypatch.setattr(worker_module, "IMPORT_ALLOWANCE_S", 1.0)
    graded = grade_attack("loop_at_import", tmp_path, kit, layer)
    assert "importing the submission did not finish within 3 s" in graded.outputs()
    assert graded.seconds < 15  # the import is timed once, not once per test


# -- memory and processes ------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", BOTH)
@pytest.mark.parametrize("attack", ["memory_numpy", "memory_list"])
def test_memory_bomb_is_stopped(tmp_path, kit, attack, layer):
    assert "memory" in grade_attack(attack, tmp_path, kit, layer).outputs()


@pytest.mark.skipif(isolation.cgroup_root("memory") is None, reason="needs a writable memory cgroup")
@pytest.mark.parametrize("layer", BOTH)
def test_memory_of_all_processes_together_is_bounded(tmp_path, kit, layer):
    graded = grade_attack("memory_children", tmp_path, kit, layer)
    assert "memory-cgroup" in graded.data["extra_data"]["isolation"]


@pytest.mark.skipif(isolation.cgroup_root("memory") is None, reason="needs a writable memory cgroup")
@pytest.mark.parametrize("layer", BOTH)
def test_a_worker_killed_by_the_memory_cgroup_is_told_so(tmp_path, kit, layer):
    total = LIMITS["memory_mb"] * isolation.SANDBOX_MEMORY_FACTOR
    assert f"killed for using too much memory (the submission's processes together may use {total} MB)" in \
        grade_attack("memory_oom_victim", tmp_path, kit, layer).outputs()


@pytest.mark.parametrize("layer", BOTH)
def test_fork_bomb_is_bounded_and_reaped(tmp_path, kit, layer):
    grade_attack("fork_bomb", tmp_path, kit, layer)


@pytest.mark.parametrize("layer", BOTH)
def test_background_processes_end_with_the_worker(tmp_path, kit, layer):
    for attack in ("background_popen", "double_fork"):
        (tmp_path / attack).mkdir()
        grade_attack(attack, tmp_path / attack, kit, layer)
    time.sleep(3)  # each would touch its SENTINEL 2 s after the first call
    assert not list(tmp_path.glob("*/SENTINEL"))


# -- exits and interrupts ------------------------------------------------------------------------------
def test_sys_exit_in_conv2d_is_an_error(tmp_path, kit):
    assert "sys.exit(0)" in grade_attack("sys_exit_in_conv2d", tmp_path, kit).outputs()


@pytest.mark.parametrize("layer", BOTH)
def test_os_exit_in_conv2d_restarts_the_worker(tmp_path, kit, layer):
    graded = grade_attack("os_exit_in_conv2d", tmp_path, kit, layer)
    assert graded.outputs().count("ended the worker process (exit code 0)") == 7
    assert graded.data["extra_data"]["worker_restarts"] == 7


@pytest.mark.parametrize("layer", BOTH)
def test_os_exit_is_reported_even_when_a_child_holds_the_pipe(tmp_path, kit, layer):
    graded = grade_attack("os_exit_leaving_a_child", tmp_path, kit, layer)
    assert graded.outputs().count("ended the worker process (exit code 3)") == 7  # not a time limit


def test_sys_exit_at_import_still_grades_what_loaded(tmp_path, kit):
    graded = grade_attack("sys_exit_at_import", tmp_path, kit)
    assert "SystemExit" in graded.data["output"]
    assert "has shape (1, 1)" in graded.outputs()  # the salvaged conv2d was run


@pytest.mark.parametrize("layer", BOTH)
def test_os_exit_at_import_fails_every_test_with_the_reason(tmp_path, kit, layer):
    graded = grade_attack("os_exit_at_import", tmp_path, kit, layer)
    assert graded.outputs().count("the worker ended while importing the submission (exit code 0)") == 7


def test_keyboard_interrupt_in_conv2d_does_not_stop_grading(tmp_path, kit):
    graded = grade_attack("interrupt_in_conv2d", tmp_path, kit)
    assert graded.outputs().count("KeyboardInterrupt") == 7


def test_interrupts_at_import_do_not_stop_grading(tmp_path, kit):
    graded = grade_attack("interrupt_at_import", tmp_path, kit)
    assert "KeyboardInterrupt" in graded.data["output"]
    assert "sys.exit(3)" in graded.outputs()


@pytest.mark.parametrize("layer", BOTH)
def test_closed_pipes_at_import_fail_with_the_reason(tmp_path, kit, layer, monkeypatch):
    monkeypatch.setattr(worker_module, "IMPORT_ALLOWANCE_S", 1.0)
    graded = grade_attack("close_pipes_and_hang", tmp_path, kit, layer)
    # bubblewrap's own processes hold the pipes too: the grader sees a hang, not the end of the pipe
    reason = "closed its connection to the grader" if layer else "importing the submission did not finish"
    assert graded.outputs().count(reason) == 7


# -- comparisons happen in the grader ------------------------------------------------------------------
@pytest.mark.parametrize("attack", ["monkeypatch_numpy", "patch_worker"])
def test_patching_the_worker_changes_nothing_in_the_grader(tmp_path, kit, attack):
    grade_attack(attack, tmp_path, kit)


@pytest.mark.parametrize("attack", ["lie_eq_subclass", "lie_array_protocol", "lie_masked", "lie_types",
                                    "lie_always_equal", "lie_nan", "lie_broadcast"])
def test_lying_return_values_score_nothing(tmp_path, kit, attack):
    grade_attack(attack, tmp_path, kit)


@pytest.mark.parametrize("layer", BOTH)
def test_huge_return_values_are_refused(tmp_path, kit, layer):
    outputs = grade_attack("lie_huge_value", tmp_path, kit, layer).outputs()
    assert "ran out of memory" in outputs  # 3.2 GB: the worker's memory limit
    assert "a value may take at most 16 MB" in outputs  # 18 MB: the reply cap


@pytest.mark.parametrize("layer", BOTH)
def test_pickled_payload_is_never_unpickled(tmp_path, kit, layer):
    outputs = grade_attack("lie_pickle", tmp_path, kit, layer).outputs()
    assert "returned a bytes" in outputs


@pytest.mark.parametrize("layer", BOTH)
def test_forged_protocol_writes_are_only_data(tmp_path, kit, layer):
    grade_attack("forge_protocol", tmp_path, kit, layer)


# -- reading and reaching outside ----------------------------------------------------------------------
def test_nothing_outside_the_submission_is_visible(tmp_path, kit, monkeypatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv(SECRET_NAME, secret)
    graded = grade_attack("read_outside", tmp_path, kit)
    assert "nothing found" in graded.outputs()
    assert secret not in graded.text and "BEGIN SOLUTION" not in graded.text
    assert SECRET_NAME not in graded.outputs()  # not even the name: /proc/1/environ is the sandbox's own


def test_network_is_unreachable(tmp_path, kit):
    with socket.create_server(("127.0.0.1", 0)) as server:
        graded = grade_attack("network", tmp_path, kit, PORT=str(server.getsockname()[1]))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert "no network" in graded.outputs()


# -- output and disk -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", BOTH)
def test_printing_50_mb_is_capped(tmp_path, kit, layer):
    graded = grade_attack("print_50mb", tmp_path, kit, layer)
    assert len(graded.text) < 200_000
    assert graded.seconds < 15


@pytest.mark.parametrize("layer", BOTH)
def test_a_1_gb_file_stops_at_the_file_size_limit(tmp_path, kit, layer):
    graded = grade_attack("write_1gb", tmp_path, kit, layer)
    limit = kit.course.limits.file_size_mb << 20
    assert f"got {float(2 * limit):.6g}" in graded.outputs()  # two files, each cut at the limit


# -- one warm sandbox for a whole class ---------------------------------------------------------------
def test_killing_the_zygote_costs_only_that_submission(tmp_path, kit):
    grade_attack("kill_parent", tmp_path, kit, "zygote")  # and the next submission gets full marks


def test_nothing_passes_from_one_submission_to_the_next(tmp_path, kit):
    marker = f"gk-traces-{uuid.uuid4().hex[:12]}"
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        grade_attack("traces", tmp_path / run, kit, "zygote", MARKER=marker)


@pytest.mark.parametrize("attack", ["unremovable_folder", "plant_module", "kill_everything"])
def test_what_a_submission_leaves_never_reaches_the_next(tmp_path, kit, attack):
    grade_attack(attack, tmp_path, kit, "zygote")  # and the next submission gets full marks


def test_kernel_objects_die_with_the_submission(tmp_path, kit):
    marker = f"gk-objects-{uuid.uuid4().hex[:12]}"
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        grade_attack("kernel_objects", tmp_path / run, kit, "zygote", MARKER=marker)


ENDLESS_FIGURE = '''

from matplotlib.artist import Artist as _Artist


class _Endless(_Artist):
    def draw(self, renderer):
        while True:
            pass


_exercise_3 = exercise_3


def exercise_3(image=None, label=None):
    feature_map, fig = _exercise_3(image, label)
    fig.add_artist(_Endless())  # drawing it into a PNG never ends
    return feature_map, fig
'''


def test_a_figure_whose_drawing_never_ends_loses_its_png_not_its_points(tmp_path, kit):
    submission = tmp_path / "submission"
    shutil.copytree(ROOT / "samples" / "blog_solution", submission)
    with open(submission / "conv_exercises.py", "a", encoding="utf-8") as fh:
        fh.write(ENDLESS_FIGURE)
    start = time.monotonic()
    results = grade(submission, tmp_path / "out", paths=kit.paths, course=kit.course, assignment=ASSIGNMENT,
                    zygote=kit.zygote)
    assert time.monotonic() - start < kit.course.limits.call_timeout_s + 10
    assert results.score == results.max_score, [t.output for t in results.tests if t.status == "failed"]
    assert results.extra_data["worker_restarts"] == 0
    assert sorted(p.name for p in (tmp_path / "out" / "figures").iterdir()) == ["exercise_4.png"]
    assert_next_is_unaffected(kit, tmp_path)
