"""Titles of axes turned off, placed without laying out their y axis (runner/titles.py): where matplotlib places
them, the same pixels, no tick label laid out for the blog's figures; in every worker, warm or cold."""

from __future__ import annotations

import contextlib
import uuid

import numpy as np
import pytest

from figures import FIGURES, blog_figure, plt, pixels
from gradekit.course import Limits
from gradekit.sandbox import isolation
from gradekit.sandbox.pool import warm_sandbox
from gradekit.sandbox.runner import pngs, titles
from gradekit.sandbox.worker import Worker

_base = pytest.importorskip("matplotlib.axes._base")


@pytest.fixture(autouse=True)
def _closed_figures():
    yield
    plt.close("all")


@pytest.fixture
def lighten(monkeypatch):
    """Installs titles.py's patch for this test only (monkeypatch puts matplotlib's method back after it)."""
    assert not hasattr(_base._AxesBase._update_title_position, "skips_turned_off_axes")  # plain until installed
    monkeypatch.setattr(_base._AxesBase, "_update_title_position", _base._AxesBase._update_title_position)

    def install() -> None:
        titles.place_lightly(_base)
        assert _base._AxesBase._update_title_position.skips_turned_off_axes

    return install


def laid_out(make) -> tuple:
    """What tight_layout and then the feedback's PNG make of a figure: the subplot parameters, each axes' position,
    each title's position and each y axis's offset text; the PNG's pixels (or what either raised)."""
    fig = make()
    try:
        fig.tight_layout()
    except Exception as exc:  # noqa: BLE001 - raised as matplotlib raises it
        return type(exc).__name__, None
    params = fig.subplotpars
    layout = ((params.left, params.right, params.bottom, params.top, params.wspace, params.hspace),
              [tuple(ax.get_position().bounds) for ax in fig.axes],
              [title.get_position() for ax in fig.axes for title in (ax.title, ax._left_title, ax._right_title)],
              [ax.yaxis.offsetText.get_text() for ax in fig.axes])
    try:
        return layout, pixels(pngs.png_of(fig))
    except Exception as exc:  # noqa: BLE001
        return layout, type(exc).__name__


def turned_off(fig, ax, title: str = "a title as wide as the axes", loc: str = "center"):
    ax.set_title(title, loc=loc)
    ax.axis("off")
    return fig


def millions(top: float = 1e7):
    """An axes whose y axis has an offset text ("1e7"), or none (top=1)."""
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, top])
    return fig, ax


def null_locator_after_a_layout():
    """The offset text ("1e7") of a layout before the locator went: matplotlib keeps it, and lifts the title."""
    from matplotlib.ticker import NullLocator

    fig, ax = millions()
    turned_off(fig, ax).tight_layout()
    ax.yaxis.set_major_locator(NullLocator())
    ax.set_ylim(0, 1)
    return fig


def ticks_off_offset_shown():
    fig, ax = millions()
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.yaxis.offsetText.set_visible(True)
    return turned_off(fig, ax)


def secondary_axis():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1])
    ax.secondary_xaxis("top")
    return turned_off(fig, ax)


def below_the_figure():
    fig = plt.figure(figsize=(3, 2))
    ax = fig.add_axes((0.1, -1.5, 0.8, 0.5))
    ax.plot([0, 1], [0, 1e7])
    return turned_off(fig, ax, "left", loc="left")


def twinned():
    fig, ax = millions()
    twin = ax.twinx()
    twin.plot([0, 1], [5, 3e6])
    twin.axis("off")
    return turned_off(fig, ax)


def aligned_labels():
    """Laying out a y axis whose label is aligned with others' lays out their tick labels too (which raise here)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(2, 4))
    top.set_yticks([0, 1], [r"$\notacommand$", "b"])
    top.axis("off")
    bottom.imshow(np.eye(3))
    fig.align_ylabels()
    return turned_off(fig, bottom)


def bad_mathtext_label():
    fig, ax = millions(top=1)
    ax.set_ylabel(r"$\notacommand$")
    return turned_off(fig, ax)


def bad_mathtext_tick_labels():
    fig, ax = millions()
    ax.set_yticks([0, 1], [r"$\notacommand$", "b"])
    return turned_off(fig, ax)


def bad_mathtext_formatter():
    fig, ax = millions(top=1)
    ax.yaxis.set_major_formatter(lambda x, pos: r"$\notacommand$")
    return turned_off(fig, ax)


def raising_minor_formatter():
    fig, ax = millions(top=1)
    ax.minorticks_on()
    ax.yaxis.set_minor_formatter(lambda x, pos: 1 / 0)
    return turned_off(fig, ax)


def raising_formatter_ticks_off():
    fig, ax = millions(top=1)
    ax.yaxis.set_major_formatter(lambda x, pos: 1 / 0)
    ax.tick_params(axis="y", left=False, labelleft=False)
    return turned_off(fig, ax)


EDGES = [null_locator_after_a_layout, ticks_off_offset_shown, secondary_axis, below_the_figure, twinned,
         aligned_labels, bad_mathtext_label, bad_mathtext_tick_labels, bad_mathtext_formatter, raising_minor_formatter,
         raising_formatter_ticks_off]


@pytest.mark.filterwarnings("ignore:This figure includes Axes that are not compatible with tight_layout")
@pytest.mark.parametrize("make", FIGURES + EDGES, ids=lambda make: make.__name__)
def test_titles_land_where_matplotlib_places_them(make, lighten):
    """Skipping a plain y axis changes nothing of the layout nor a pixel of the PNG; an axis that is not plain (or
    whose offset text would move a title) is laid out, and raises where matplotlib raises."""
    plain_layout, plain_png = laid_out(make)
    lighten()
    light_layout, light_png = laid_out(make)
    assert light_layout == plain_layout
    assert np.array_equal(light_png, plain_png) if isinstance(plain_png, np.ndarray) else light_png == plain_png


def _tick_layouts(monkeypatch) -> list:
    from matplotlib.axis import Axis

    calls, update_ticks = [], Axis._update_ticks
    monkeypatch.setattr(Axis, "_update_ticks", lambda axis: calls.append(axis) or update_ticks(axis))
    return calls


def test_the_blogs_layout_and_png_lay_out_no_tick_label(lighten, monkeypatch):
    """Matplotlib lays out the tick labels of each axes turned off in tight_layout and again in each draw."""
    plain = blog_figure()
    calls = _tick_layouts(monkeypatch)
    plain.tight_layout()
    pngs.png_of(plain)
    assert calls  # what there is to skip
    lighten()
    fig = blog_figure()
    calls.clear()
    fig.tight_layout()
    pngs.png_of(fig)
    assert calls == []


def _measured_after_a_draw() -> tuple:
    """A drawn blog figure measured again: whether that left it stale, what its y axes called back, and the tick
    labels they give when asked."""
    fig, changed = blog_figure(), []
    fig.canvas.draw()
    for ax in fig.axes:
        ax.yaxis.add_callback(changed.append)
    fig.get_tightbbox(fig.canvas.get_renderer())
    assert all(axis.get_visible() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis))
    return fig.stale, changed, [[label.get_text() for label in ax.get_yticklabels()] for ax in fig.axes]


def test_the_students_axes_are_left_as_matplotlib_leaves_them(lighten):
    """Visible, nothing called back, the figure made stale or not as matplotlib makes it; ticks laid out when asked."""
    plain = _measured_after_a_draw()
    lighten()
    assert _measured_after_a_draw() == plain
    assert plain[1] == [] and "25" in plain[2][0]


def test_a_matplotlib_placed_again_is_wrapped_once(lighten):
    lighten()
    wrapped = _base._AxesBase._update_title_position
    titles.place_lightly(_base)
    assert _base._AxesBase._update_title_position is wrapped


PROBE = ("import sys\n\ndef placement():\n"
         "    import matplotlib.axes\n"
         "    from matplotlib.axes import _base\n"
         "    return bool(getattr(_base._AxesBase._update_title_position, 'skips_turned_off_axes', False))\n")


@pytest.mark.skipif(not isolation.bwrap_works(), reason="needs bubblewrap with namespaces")
@pytest.mark.parametrize("warm", [True, False], ids=["warm sandbox", "sandbox of its own"])
def test_every_worker_places_titles_lightly(tmp_path, warm):
    """The warm sandbox patches the matplotlib it imports for its workers; a cold worker, the one a student imports."""
    limits = Limits(call_timeout_s=30)
    with warm_sandbox(limits) if warm else contextlib.nullcontext() as zygote:
        folder = (zygote.workdir if warm else tmp_path) / f"titles-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        (folder / "probe.py").write_text(PROBE)
        with Worker(folder, ["probe"], limits, zygote=zygote) as worker:
            result = worker.call("probe", "placement", (), {})
    assert result.error is None, result.error
    assert result.value is True
