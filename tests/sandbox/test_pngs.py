"""The feedback's PNG of a figure: what savefig(bbox_inches="tight") shows, in one draw, with no pixel changed by the
turned-off axes it leaves unmeasured."""

from __future__ import annotations

import io

import numpy as np
import pytest

from gradekit.sandbox.runner import pngs

plt = pytest.importorskip("matplotlib.pyplot")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _closed_figures():
    yield
    plt.close("all")


def blog_figure():
    """Exercise 4's figure as the blog draws it: tight_layout() leaves the titles above the figure's top edge."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    for ax, title in zip(axes, ("Input Image (Digit: 5)", "Feature Map (Horizontal Edges)", "Feature Map (Vertical)")):
        ax.imshow(np.arange(784.0).reshape(28, 28), cmap="gray")
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    return fig


def offset_text_figure():
    """An axis turned off whose y axis has an offset text ("1e7") under a long title: matplotlib lifts the title."""
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1e7])
    ax.set_title("a title as wide as the axes")
    ax.axis("off")
    return fig


def top_ticks_figure():
    """An axis turned off with its ticks on top: matplotlib places the title above their (undrawn) labels."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.imshow(np.eye(5))
    ax.xaxis.tick_top()
    ax.set_title("title")
    ax.axis("off")
    return fig


def axes_figure():
    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
    left.plot([1, 2, 3], [4, 1, 9])
    left.set_title("an axis drawn")
    right.imshow(np.eye(3))
    right.set_title("one turned off")
    right.axis("off")
    fig.suptitle("and a suptitle")
    return fig


FIGURES = [blog_figure, offset_text_figure, top_ticks_figure, axes_figure]


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def _tight_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=pngs.DPI, bbox_inches="tight")
    return buffer.getvalue()


@pytest.mark.parametrize("make", FIGURES, ids=lambda make: make.__name__)
def test_the_axes_left_unmeasured_change_no_pixel(make, monkeypatch):
    """Hiding turned-off axes for the draw saves laying out their tick labels; where that would move a title
    (an offset text, ticks on top) they are measured: the PNG is that of the figure with nothing hidden."""
    hiding = pngs.png_of(make())
    monkeypatch.setattr(pngs, "_unmeasured", lambda ax: [])
    assert np.array_equal(_pixels(hiding), _pixels(pngs.png_of(make())))


@pytest.mark.parametrize("make", FIGURES, ids=lambda make: make.__name__)
def test_a_figure_shows_the_area_savefig_tight_shows(make):
    """Up to the few pixels by which texts measured at the figure's own dpi differ from texts drawn at the PNG's."""
    (height, width, _), tight = _pixels(pngs.png_of(make())).shape, _pixels(_tight_png(make())).shape
    assert abs(width - tight[1]) <= 0.03 * tight[1] and abs(height - tight[0]) <= 0.03 * tight[0]


def test_the_blogs_figure_is_drawn_once_with_the_titles_above_it():
    fig, draws = blog_figure(), []
    fig.canvas.mpl_connect("draw_event", draws.append)
    height = _pixels(pngs.png_of(fig)).shape[0]
    assert len(draws) == 1  # savefig(bbox_inches="tight") draws it twice: once to measure it
    assert height > 5 * pngs.DPI  # taller than the figure itself (5 in): the titles are in
    assert all(axis.get_visible() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis))  # the student's, as it was


def test_the_blogs_turned_off_axes_lay_out_no_tick_labels(monkeypatch):
    """What the PNG saves: matplotlib would lay out the tick labels of each (undrawn) axis, to measure and draw."""
    from matplotlib.axis import Axis

    fig, laid_out = blog_figure(), []
    update_ticks = Axis._update_ticks
    monkeypatch.setattr(Axis, "_update_ticks", lambda axis: laid_out.append(axis) or update_ticks(axis))
    pngs.png_of(fig)
    assert laid_out == []


def test_what_is_drawn_outside_the_figure_is_shown():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.imshow(np.eye(3))
    fig.text(3.0, 0.5, "far to the right")  # 9 in to the right of the figure's left edge
    width = _pixels(pngs.png_of(fig)).shape[1]
    assert width > 9 * pngs.DPI and abs(width - _pixels(_tight_png(fig)).shape[1]) <= 0.03 * width


def _zlib_level(png: bytes) -> int:
    """The compression level a PNG's first IDAT chunk declares (the FLEVEL bits of its zlib header: 0 is fastest)."""
    start = png.index(b"IDAT") + 4
    return png[start + 1] >> 6


def test_a_figure_is_encoded_with_zlibs_fastest_level_and_decodes_to_the_same_pixels(monkeypatch):
    """The feedback's PNGs are drawn while the grade waits: zlib's fastest level takes less CPU than Pillow's
    default, for the same image."""
    fast = pngs.png_of(blog_figure())
    monkeypatch.setattr(pngs, "COMPRESSION", 6)  # Pillow's default
    default = pngs.png_of(blog_figure())
    assert (_zlib_level(fast), _zlib_level(default)) == (0, 2)
    assert np.array_equal(_pixels(fast), _pixels(default))


def test_a_figure_keeps_a_layout_engine_that_lays_it_out_and_is_cropped_after_it():
    def constrained():
        fig, axes = plt.subplots(1, 2, layout="constrained", figsize=(8, 3))
        for ax in axes:
            ax.imshow(np.eye(4))
            ax.set_title("a title\non two lines")
        return fig

    fig = constrained()
    png = pngs.png_of(fig)
    assert type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
    (height, width, _), tight = _pixels(png).shape, _pixels(_tight_png(constrained())).shape
    assert abs(width - tight[1]) <= 1 and abs(height - tight[0]) <= 1
    with plt.rc_context({"figure.autolayout": True}):
        fig = blog_figure()
        pngs.png_of(fig)
        assert type(fig.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"
