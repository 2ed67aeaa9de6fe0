"""Figures drawn apart (runner/renders.py): a call that returns a figure replies at once, its PNG is drawn by a
child of the worker and fetched when the graders are done; a child that hangs costs a call's limit, never the
grade; where no child can start, the worker draws the figure itself."""

from __future__ import annotations

import os
import time
import uuid
from typing import Iterator

import pytest

from gradekit.course import Limits
from gradekit.sandbox import isolation
from gradekit.sandbox.pool import warm_sandbox
from gradekit.sandbox.runner import pngs, renders
from gradekit.sandbox.worker import Worker
from gradekit.sandbox.zygote import Zygote

PNG = b"\x89PNG"
LIMITS = Limits(call_timeout_s=3)
PLOTS = """
import time
import matplotlib.pyplot as plt
from matplotlib.artist import Artist


def plot(title):
    fig, ax = plt.subplots()
    ax.imshow([[0, 1], [1, 0]], cmap="gray")
    ax.set_title(title)
    return fig


class Endless(Artist):
    def draw(self, renderer):
        while True:
            time.sleep(0.05)


def plot_without_children():
    import resource
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no process more may start
    return plot("drawn in place")


def forge_figures_reply():
    # from now on, the worker answers the grader's request for the PNGs with a token no worker gives
    import sys
    import numpy
    import wire
    runner = (sys.modules.get("worker_main") or sys.modules["__main__"]).Runner
    answer = runner.call

    def call(self, request):
        if request.get("op") == "figures":
            png = numpy.frombuffer(b"\\x89PNG forged", dtype=numpy.uint8)
            return {"ok": True, "figures": wire.encode({"1" * 5000: png, "0" * 11: png})}
        return answer(self, request)
    runner.call = call


def endless_plot():
    fig = plot("never drawn")
    fig.add_artist(Endless())
    return fig
"""

needs_bwrap = pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote | None]:
    with warm_sandbox(LIMITS) as warm:
        yield warm


def plots_worker(zygote: Zygote) -> Worker:
    folder = zygote.workdir / f"plots-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "plots.py").write_text(PLOTS)
    return Worker(folder, ["plots"], LIMITS, zygote=zygote)


@needs_bwrap
def test_a_figure_is_sent_at_once_and_its_png_fetched_after_the_tests(zygote):
    with plots_worker(zygote) as worker:
        first, again = (worker.call("plots", "plot", ("Feature Map",), {}).value for _ in range(2))
        assert first.axes[0].title == "Feature Map" and first.png == b"" and first.later is not None
        assert again.later is None and again.png == b""  # a function's figure is drawn the first time only
        worker.finish_figures()
        assert first.png.startswith(PNG)


@needs_bwrap
def test_a_figure_that_never_finishes_drawing_costs_one_call_limit_and_no_grade(zygote):
    with plots_worker(zygote) as worker:
        endless = worker.call("plots", "endless_plot", (), {})
        drawn = worker.call("plots", "plot", ("after",), {})
        assert endless.error is None and drawn.error is None  # the calls themselves end at once
        start = time.monotonic()
        worker.finish_figures()
        assert time.monotonic() - start < LIMITS.call_timeout_s + 2
        assert endless.value.png == b"" and drawn.value.png.startswith(PNG)
        assert worker.restarts == 0 and worker.fault is None
        assert worker.call("plots", "plot", ("still here",), {}).error is None


@needs_bwrap
def test_figures_of_a_worker_that_stopped_never_get_the_next_workers_pngs(zygote):
    with plots_worker(zygote) as worker:
        lost = worker.call("plots", "plot", ("lost",), {}).value
        worker.stop()
        drawn = worker.call("plots", "plot", ("drawn",), {}).value  # a new worker, whose tokens start again
        assert lost.later == drawn.later
        worker.finish_figures()
        assert lost.png == b"" and drawn.png.startswith(PNG)


@needs_bwrap
def test_a_forged_reply_for_the_pngs_leaves_them_out_and_the_grade_alone(zygote):
    with plots_worker(zygote) as worker:
        fig = worker.call("plots", "plot", ("forged",), {}).value
        forged = worker.call("plots", "forge_figures_reply", (), {})
        assert forged.error is None
        worker.finish_figures()
        assert fig.png == b"" and worker.fault is None


@needs_bwrap
def test_where_no_child_can_start_the_worker_draws_the_figure_itself(zygote):
    with plots_worker(zygote) as worker:
        fig = worker.call("plots", "plot_without_children", (), {}).value
        assert fig.later is None and fig.png.startswith(PNG)


def test_a_child_that_fails_to_draw_leaves_no_png():
    plt = pytest.importorskip("matplotlib.pyplot")
    good, _ = plt.subplots()

    def draw(fig):
        if fig is not good:
            raise ValueError("cannot draw this one")
        return pngs.png_of(fig)

    drawing = renders.Renders(draw)
    tokens = drawing.start(good), drawing.start(object())
    drawn = drawing.collect(10)
    plt.close(good)
    assert list(drawn) == [tokens[0]] and drawn[tokens[0]].startswith(PNG)
    assert not drawing.pending


def test_a_child_the_students_code_reaped_first_leaves_no_png_and_no_error():
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, _ = plt.subplots()
    drawing = renders.Renders(pngs.png_of)
    token = drawing.start(fig)
    plt.close(fig)
    os.waitpid(drawing.pending[token].pid, 0)  # as os.wait() in a student's function would
    assert drawing.collect(10) == {}
