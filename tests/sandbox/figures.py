"""Figures the PNG and title tests draw: the blog's, and the turned-off axes whose layout matplotlib lets move a
title (an offset text, ticks on top)."""

from __future__ import annotations

import io

import numpy as np
import pytest

plt = pytest.importorskip("matplotlib.pyplot")
Image = pytest.importorskip("PIL.Image")


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


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
