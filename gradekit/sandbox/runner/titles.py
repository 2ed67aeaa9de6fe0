"""Matplotlib in the sandbox places the title of an axes turned off without laying out its y axis's tick labels.

Every draw, `fig.tight_layout()` and tight bounding box places each titled axes' title (`_update_title_position`):
above an offset text of its y axis ("1e7"), which it lays out all of the y axis to find, tick labels included
(~6 ms an axes, ~20 of the ~45 ms of the blog's exercise 4), even with `ax.axis("off")`, where no axis is drawn.
For such an axes the y axis is skipped there, unless its offset text is shown: the offset text is set as that
layout sets it, and the title lands where it did. The x axis is laid out there only when its ticks or label are
on top, and is left as it is.

The worker and its warm sandbox install it with `import_hooks.after_import(MODULE, place_lightly)`, before any
student code runs: the children drawing the figures' PNGs are forked from the worker and have it too. Standard
library only: this runs inside the sandbox.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Callable

MODULE = "matplotlib.axes._base"
TITLES = ("center", "left", "right")  # the locations of an axes' three titles


def place_lightly(module: ModuleType) -> None:
    """Wrap the title placement of `module` (matplotlib.axes._base); a matplotlib without it is left as it is."""
    cls = getattr(module, "_AxesBase", None)
    place = getattr(cls, "_update_title_position", None)
    if callable(place) and not getattr(place, "skips_turned_off_axes", False):
        cls._update_title_position = _skipping_turned_off_y_axis(place)


def _skipping_turned_off_y_axis(place: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    @functools.wraps(place)
    def update_title_position(ax: Any, renderer: Any) -> None:
        if not _y_axis_unmeasured(ax):
            return place(ax, renderer)
        ax.yaxis._visible = False  # not set_visible(): no callback, nothing made stale, for the call only
        try:
            return place(ax, renderer)
        finally:
            ax.yaxis._visible = True

    update_title_position.skips_turned_off_axes = True
    return update_title_position


def _y_axis_unmeasured(ax: Any) -> bool:
    """Whether the title of `ax` can be placed without laying out its y axis: the axes is turned off, places a
    title, and its y axis (visible) has no offset text, computed here as laying it out computes it."""
    placed = getattr(ax, "_autotitlepos", None) is not False and any(ax.get_title(loc) for loc in TITLES)
    if ax.axison or not placed or not ax.yaxis.get_visible():
        return False
    formatter = ax.yaxis.get_major_formatter()
    formatter.format_ticks(ax.yaxis.get_majorticklocs())
    ax.yaxis.offsetText.set_text(formatter.get_offset())
    return not (ax.yaxis.offsetText.get_visible() and ax.yaxis.offsetText.get_text())

