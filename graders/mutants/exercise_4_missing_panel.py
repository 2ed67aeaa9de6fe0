"""exercise_4 plots only the two feature maps, not the input digit."""

MODULE = "conv_exercises"
BREAKS = "exercise_4"
HINT = "has 2 axes with an image"


def exercise_4(image=None, label=None):
    horizontal_map = conv2d(image, HORIZONTAL_FILTER, stride=1)  # noqa: F821 - the reference module's names
    vertical_map = conv2d(image, VERTICAL_FILTER, stride=1)  # noqa: F821
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 5))  # noqa: F821
    show_image(ax1, horizontal_map, "Feature Map (Horizontal Edges)")  # noqa: F821
    show_image(ax2, vertical_map, "Feature Map (Vertical Edges)")  # noqa: F821
    return horizontal_map, vertical_map, fig
