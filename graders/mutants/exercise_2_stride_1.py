"""exercise_2 forgets the stride: it returns exercise 1's 3x3 map."""

MODULE = "conv_exercises"
BREAKS = "exercise_2"
HINT = "stride 1 used"


def exercise_2():
    return conv2d(IMAGE_4X4, AVERAGING_FILTER, stride=1)  # noqa: F821 - the reference module's names
