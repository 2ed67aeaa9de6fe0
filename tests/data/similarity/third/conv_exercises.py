"""A third student's own exercises for Part 4.2, filled into the handout's conv_exercises.py (which
defines the images, the filters and show_image); see neural_network.py beside this file."""

from typing import Tuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from mnist_data import first_digit
from neural_network import conv2d


def exercise_1() -> NDArray[np.floating]:
    """The averaging filter over the small image, one pixel at a time."""
    smoothed = conv2d(image=IMAGE_4X4, filter_kernel=AVERAGING_FILTER)
    return smoothed


def exercise_2() -> NDArray[np.floating]:
    """The same, jumping two pixels."""
    return conv2d(image=IMAGE_4X4, filter_kernel=AVERAGING_FILTER, stride=2)


def _digit(image: NDArray[np.floating] | None, label: str | None) -> tuple[NDArray[np.floating], str | None]:
    return first_digit() if image is None else (image, label)


def _panels(pictures: list[NDArray[np.floating]], titles: list[str], width: int) -> Figure:
    fig = plt.figure(figsize=(width, 5))
    for place, (picture, title) in enumerate(zip(pictures, titles), start=1):
        show_image(fig.add_subplot(1, len(pictures), place), picture, title)
    fig.tight_layout()
    return fig


def exercise_3(image: NDArray[np.floating] | None = None, label: str | None = None) -> Tuple[NDArray[np.floating], Figure]:
    """Where the digit's brightness changes from top to bottom."""
    digit, name = _digit(image, label)
    edges = conv2d(digit, HORIZONTAL_FILTER)
    titles = [f"Input Image (Digit: {name})", "Feature Map (Horizontal Edges)"]
    return edges, _panels([digit, edges], titles, 10)


def exercise_4(image: NDArray[np.floating] | None = None,
               label: str | None = None) -> Tuple[NDArray[np.floating], NDArray[np.floating], Figure]:
    """Both edge directions side by side."""
    digit, name = _digit(image, label)
    across, down = (conv2d(digit, kernel) for kernel in (HORIZONTAL_FILTER, VERTICAL_FILTER))
    titles = [f"Input Image (Digit: {name})", "Feature Map (Horizontal Edges)", "Feature Map (Vertical Edges)"]
    return across, down, _panels([digit, across, down], titles, 15)
