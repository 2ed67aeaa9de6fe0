"""The four exercises of "Learn Deep Learning with NumPy", Part 4.2: Convolutional Layers for CNNs.

Each exercise is a function that returns its results (these are graded); the blog's printing
and plotting run under `python conv_exercises.py`. In the instructor's reference (reference/)
the solutions sit between the `### BEGIN SOLUTION` and `### END SOLUTION` markers; the student
handout (exercises/, written by `python cli.py release`) has `raise NotImplementedError(...)`
in their place.
"""

import os
import sys
from pathlib import Path
from typing import Tuple

import matplotlib


def no_display() -> bool:
    """True on Linux without an X11 or Wayland display (a server, a grader), outside Jupyter."""
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return sys.platform.startswith("linux") and headless and "ipykernel" not in sys.modules


if no_display():
    matplotlib.use("Agg")  # draw off-screen: plots are saved as PNG files

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from neural_network import conv2d  # noqa: E402
from mnist_data import first_digit  # noqa: E402

# The blog's 4x4 synthetic image and 2x2 averaging filter (exercises 1 and 2)
IMAGE_4X4 = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]])
AVERAGING_FILTER = np.array([[0.25, 0.25], [0.25, 0.25]])
# The blog's 3x3 edge filters (exercises 3 and 4)
HORIZONTAL_FILTER = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
VERTICAL_FILTER = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])

NON_INTERACTIVE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def show_image(ax: Axes, image: NDArray[np.floating], title: str) -> None:
    """Draw one image in grey on `ax`, with a title and no axis ticks."""
    ax.imshow(image, cmap='gray')
    ax.set_title(title)
    ax.axis('off')


def show_or_save(fig: Figure, name: str) -> None:
    """Show the figure (in a window, or inline in Jupyter); without a display, save it as <name>.png here."""
    if no_display() or matplotlib.get_backend().lower() in NON_INTERACTIVE_BACKENDS:
        path = Path.cwd() / f"{name}.png"
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)
        print(f"Saved the plot to {path}")
    else:
        plt.show()


def exercise_1() -> NDArray[np.floating]:
    """
    Exercise 1: apply the 2x2 averaging filter to the 4x4 image with stride 1.
    Returns:
        The 3x3 feature map
    """
    raise NotImplementedError("exercise_1: your code here (Part 4.2: Convolutional Layers for CNNs)")


def exercise_2() -> NDArray[np.floating]:
    """
    Exercise 2: the same image and filter as exercise 1, with stride 2.
    Returns:
        The 2x2 feature map
    """
    raise NotImplementedError("exercise_2: your code here (Part 4.2: Convolutional Layers for CNNs)")


def exercise_3(image: NDArray[np.floating] | None = None, label: str | None = None) -> Tuple[NDArray[np.floating], Figure]:
    """
    Exercise 3: horizontal edges of one MNIST digit (HORIZONTAL_FILTER), stride 1.
    Args:
        image: A 28x28 digit (default: the first MNIST digit, from first_digit())
        label: The digit's label, shown in the input's title
    Returns:
        Tuple of (feature_map, fig): fig has 2 panels side by side (figsize (10, 5)), titled
        "Input Image (Digit: <label>)" and "Feature Map (Horizontal Edges)", drawn with show_image
    """
    raise NotImplementedError("exercise_3: your code here (Part 4.2: Convolutional Layers for CNNs)")


def exercise_4(image: NDArray[np.floating] | None = None, label: str | None = None) -> Tuple[NDArray[np.floating], NDArray[np.floating], Figure]:
    """
    Exercise 4: horizontal and vertical edges of one MNIST digit, stride 1.
    Args:
        image: A 28x28 digit (default: the first MNIST digit, from first_digit())
        label: The digit's label, shown in the input's title
    Returns:
        Tuple of (horizontal_map, vertical_map, fig): the maps of HORIZONTAL_FILTER and
        VERTICAL_FILTER; fig has 3 panels side by side
        (figsize (15, 5)), titled "Input Image (Digit: <label>)", "Feature Map (Horizontal Edges)"
        and "Feature Map (Vertical Edges)", drawn with show_image
    """
    raise NotImplementedError("exercise_4: your code here (Part 4.2: Convolutional Layers for CNNs)")


def main() -> None:
    """Run the four exercises with the blog's printouts; plots are shown or saved as PNG."""
    feature_map = exercise_1()
    print("Exercise 1\nInput Image (4x4):\n", IMAGE_4X4)
    print("Output Feature Map:\n", feature_map)
    print("Output Shape:", feature_map.shape)

    feature_map = exercise_2()
    print("\nExercise 2\nInput Image (4x4):\n", IMAGE_4X4)
    print("Output Feature Map (stride=2):\n", feature_map)
    print("Output Shape:", feature_map.shape)

    print("\nExercise 3")
    image, label = first_digit()
    feature_map, fig = exercise_3(image, label)
    print("Input Image Shape:", image.shape)
    print("Feature Map Shape:", feature_map.shape)
    show_or_save(fig, "exercise_3")

    print("\nExercise 4")
    horizontal_map, vertical_map, fig = exercise_4(image, label)
    print("Input Image Shape:", image.shape)
    print("Horizontal Feature Map Shape:", horizontal_map.shape)
    print("Vertical Feature Map Shape:", vertical_map.shape)
    show_or_save(fig, "exercise_4")


if __name__ == "__main__":
    main()
