"""exercise_4 returns its two maps in the wrong order (the panels are right)."""

MODULE = "conv_exercises"
BREAKS = "exercise_4"
HINT = "maps are swapped"


def exercise_4(image=None, label=None):
    horizontal_map = conv2d(image, HORIZONTAL_FILTER, stride=1)  # noqa: F821 - the reference module's names
    vertical_map = conv2d(image, VERTICAL_FILTER, stride=1)  # noqa: F821
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 5))  # noqa: F821
    show_image(ax1, image, f"Input Image (Digit: {label})")  # noqa: F821
    show_image(ax2, horizontal_map, "Feature Map (Horizontal Edges)")  # noqa: F821
    show_image(ax3, vertical_map, "Feature Map (Vertical Edges)")  # noqa: F821
    return vertical_map, horizontal_map, fig
