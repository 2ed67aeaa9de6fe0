"""The feedback's PNG of a figure: what savefig(bbox_inches="tight") shows, in one draw."""

from __future__ import annotations

import io

import numpy as np
import pytest

from figures import FIGURES, blog_figure, pixels
from gradekit.sandbox.runner import pngs

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _closed_figures():
    yield
    plt.close("all")


def _tight_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=pngs.DPI, bbox_inches="tight")
    return buffer.getvalue()


@pytest.mark.parametrize("make", FIGURES, ids=lambda make: make.__name__)
def test_a_figure_shows_the_area_savefig_tight_shows(make):
    """Up to the few pixels by which texts measured at the figure's own dpi differ from texts drawn at the PNG's."""
    (height, width, _), tight = pixels(pngs.png_of(make())).shape, pixels(_tight_png(make())).shape
    assert abs(width - tight[1]) <= 0.03 * tight[1] and abs(height - tight[0]) <= 0.03 * tight[0]


def test_the_blogs_figure_is_drawn_once_with_the_titles_above_it():
    fig, draws = blog_figure(), []
    fig.canvas.mpl_connect("draw_event", draws.append)
    height = pixels(pngs.png_of(fig)).shape[0]
    assert len(draws) == 1  # savefig(bbox_inches="tight") draws it twice: once to measure it
    assert height > 5 * pngs.DPI  # taller than the figure itself (5 in): the titles are in


def test_what_is_drawn_outside_the_figure_is_shown():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.imshow(np.eye(3))
    fig.text(3.0, 0.5, "far to the right")  # 9 in to the right of the figure's left edge
    width = pixels(pngs.png_of(fig)).shape[1]
    assert width > 9 * pngs.DPI and abs(width - pixels(_tight_png(fig)).shape[1]) <= 0.03 * width


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
    assert np.array_equal(pixels(fast), pixels(default))


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
    (height, width, _), tight = pixels(png).shape, pixels(_tight_png(constrained())).shape
    assert abs(width - tight[1]) <= 1 and abs(height - tight[0]) <= 1
    with plt.rc_context({"figure.autolayout": True}):
        fig = blog_figure()
        pngs.png_of(fig)
        assert type(fig.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"
