"""Matplotlib in the sandbox places the title of an axes turned off without laying out its plain y axis.

Every draw, `fig.tight_layout()` and tight bounding box places each titled axes' title (`_update_title_position`):
above an offset text of its y axis ("1e7"), for which it lays out all of the y axis, tick labels and label included
(~6 ms an axes, ~20 of the ~45 ms of the blog's exercise 4), even with `ax.axis("off")`, where none is drawn.
There, for an axes turned off, the y axis's `get_tightbbox` (whose box the placement does not use) only sets the
offset text, computed as laying out the axis computes it, when the axis is plain: a YAxis with numbers for tick
labels (a ScalarFormatter without mathtext or TeX, a MaxNLocator, no minor ticks, major ticks shown), no label,
and no offset text to show; any other axis is laid out as matplotlib does. A title lands where it did, a layout and
its pixels are the same, and what can raise (a formatter, mathtext, TeX) is laid out. What differs: that undrawn
axis's tick objects and label position are not updated there (`ax.get_yticklabels()` updates them when asked), and
a font that lacks a tick label's glyph warns later or not at all.

The worker and its warm sandbox install it with `import_hooks.after_import(MODULE, place_lightly)`, before any
student code runs: the children drawing the figures' PNGs are forked from the worker and have it too. Standard
library only until matplotlib is imported: this runs inside the sandbox.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Callable

MODULE = "matplotlib.axes._base"
MEASURE = "get_tightbbox"  # what the placement calls on the y axis, for its offset text


def place_lightly(module: ModuleType) -> None:
    """Wrap the title placement of `module` (matplotlib.axes._base); a matplotlib without it is left as it is."""
    cls = getattr(module, "_AxesBase", None)
    place = getattr(cls, "_update_title_position", None)
    if callable(place) and not getattr(place, "skips_turned_off_axes", False):
        cls._update_title_position = _measuring_offset_text_only(place)


def _measuring_offset_text_only(place: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    @functools.wraps(place)
    def update_title_position(ax: Any, renderer: Any) -> None:
        yaxis = getattr(ax, "yaxis", None)
        if ax.axison or yaxis is None or MEASURE in vars(yaxis):
            return place(ax, renderer)
        light = functools.partial(_offset_text_of, yaxis)
        setattr(yaxis, MEASURE, light)  # this axis, for this call: the method is matplotlib's again after it
        try:
            return place(ax, renderer)
        finally:
            if vars(yaxis).get(MEASURE) is light:
                delattr(yaxis, MEASURE)

    update_title_position.skips_turned_off_axes = True
    return update_title_position


def _offset_text_of(axis: Any, renderer: Any = None, *, for_layout_only: bool = False) -> Any:
    """Axis.get_tightbbox as the title placement sees it: for a plain axis whose offset text is not shown, the offset
    text set as laying it out sets it, and no box; else the axis laid out."""
    if not axis.get_visible() or for_layout_only and not axis.get_in_layout():
        return None
    if not _plain_y_axis(axis):
        return type(axis).get_tightbbox(axis, renderer, for_layout_only=for_layout_only)
    formatter = axis.get_major_formatter()
    formatter.format_ticks(axis.get_majorticklocs())  # what laying out the major ticks asks of the formatter
    offset = formatter.get_offset()
    if offset and axis.offsetText.get_visible():  # the title clears it: measured as matplotlib measures it
        return type(axis).get_tightbbox(axis, renderer, for_layout_only=for_layout_only)
    axis.offsetText.set_text(offset)
    return None


def _plain_y_axis(axis: Any) -> bool:
    """Whether laying out `axis` does nothing the title placement sees but set its offset text, and cannot raise:
    matplotlib's own YAxis and get_tightbbox, numbers for tick labels, major ticks laid out, no minor ones, no label,
    no other axes' labels aligned with its own (whose tick labels laying it out would lay out too)."""
    import matplotlib
    from matplotlib import axis as axes_axis, ticker

    formatter, shown = axis.get_major_formatter(), getattr(axis, "_tick_group_visible", None)
    aligned = getattr(axis.get_figure(root=False), "_align_label_groups", {}).get("y")  # fig.align_ylabels()
    return (type(axis) is axes_axis.YAxis and type(axis).get_tightbbox is axes_axis.Axis.get_tightbbox
            and aligned is not None and aligned.get_siblings(axis.axes) == [axis.axes]
            and type(formatter) is ticker.ScalarFormatter and not formatter.get_useMathText()
            and getattr(formatter, "_usetex", True) is False and not matplotlib.rcParams["text.usetex"]
            and not any(tick.label1.get_usetex() or tick.label2.get_usetex() for tick in axis.majorTicks[:1])
            and isinstance(axis.get_major_locator(), ticker.MaxNLocator)
            and isinstance(axis.get_minor_locator(), ticker.NullLocator)
            and callable(shown) and shown(axis._major_tick_kw) and not axis.label.get_text())
