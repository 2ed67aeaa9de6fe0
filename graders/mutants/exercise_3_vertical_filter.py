"""exercise_3 detects edges with the vertical filter instead of the horizontal one."""

MODULE = "conv_exercises"
BREAKS = "exercise_3"
HINT = "vertical edge filter"


def exercise_3(image=None, label=None):
    feature_map = conv2d(image, VERTICAL_FILTER, stride=1)  # noqa: F821 - the reference module's names
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 5))  # noqa: F821
    show_image(ax1, image, f"Input Image (Digit: {label})")  # noqa: F821
    show_image(ax2, feature_map, "Feature Map (Horizontal Edges)")  # noqa: F821
    return feature_map, fig
