"""The four exercises of Part 4.2: their feature maps and plots, and the mistakes they recognise.

Feature maps are compared with the reference's; a map equal to the student's own conv2d on the
same inputs is accepted too, so a broken conv2d loses points once (on conv2d). Plots are
checked structurally: panels, image shapes, titles, and that a map panel shows the map returned.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from gradekit.checks import (FigureSummary, Fn, Mismatch, Mistake, assert_matches, assert_results_match, describe,
                             difference, note)

# The blog's inputs (Part 4.2), dtypes included: the exercises pass integer arrays to conv2d
IMAGE_4X4 = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]])
AVERAGING_FILTER = np.full((2, 2), 0.25)
HORIZONTAL_FILTER = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
VERTICAL_FILTER = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
MNIST_SAMPLE = Path(__file__).resolve().parents[1] / "reference" / "mnist_sample.npz"


def conv(image, kernel, stride, convention):
    """The course's conv2d: a true convolution (the blog's code) or a cross-correlation (its formula)."""
    slide = signal.correlate2d if convention == "cross-correlation" else signal.convolve2d
    return slide(image, kernel, mode="valid")[::stride, ::stride]


CONSISTENT = "consistent with your conv2d: this exercise is right given your conv2d (conv2d is graded on its own)."


def accepted_maps(student, convention, image, kernels, stride=1):
    """The maps accepted besides the course's: the student's own conv2d's, and cross-correlations if allowed.

    `kernels` is one kernel, or a tuple of kernels for an exercise returning several maps.
    """
    several = isinstance(kernels, tuple)
    kernels = kernels if several else (kernels,)

    def maps(slide):
        out = tuple(slide(k) for k in kernels)
        return out if several else out[0]

    accepted = [Mistake(CONSISTENT, lambda: maps(lambda k: student.conv2d(image, k, stride=stride)), accepted=True)]
    if convention == "either":
        accepted.append(Mistake("a cross-correlation: this course accepts it.",
                                lambda: maps(lambda k: conv(image, k, stride, "cross-correlation")), accepted=True))
    return accepted


def own_map_shape(student, image, kernel, stride):
    """The shape of the student's conv2d(image, kernel, stride), or None if it fails."""
    try:
        return np.shape(student.conv2d(image, kernel, stride=stride))
    except AssertionError:  # the student's conv2d failed: only the blog's shape counts
        return None


def own_shape(student, image):
    """A callable giving the shape of the student's horizontal edge map of `image` (asked only when needed)."""
    return lambda: own_map_shape(student, image, HORIZONTAL_FILTER, 1)


RUNS = pytest.StashKey[dict]()


@pytest.fixture
def once(request):
    """once(key, compute): compute() the first time in a grading run, its value (or failure) after that.

    Each exercise runs once per grading, its checks share the result: a figure is slow to render, and a
    hanging exercise costs one time limit, not one per check.
    """
    runs = request.config.stash.setdefault(RUNS, {})

    def cached(key, compute):
        if key not in runs:
            try:
                runs[key] = (compute(), None)
            except AssertionError as failure:  # the student's function failed: each check reports it
                runs[key] = (None, failure)
        value, failure = runs[key]
        if failure is not None:
            raise failure
        return value
    return cached


def check_shape(student, once, exercise, stride):
    value = once(exercise, getattr(student, exercise))
    expected = conv(IMAGE_4X4, AVERAGING_FILTER, stride, "convolution").shape
    shape = np.shape(value) if isinstance(value, np.ndarray) else None
    if shape == expected:
        return
    if shape is not None and shape == own_map_shape(student, IMAGE_4X4, AVERAGING_FILTER, stride):
        note(f"Accepted: {CONSISTENT}")
        return
    got = f"an array of shape {shape}" if shape is not None else describe(value)
    raise Mismatch(f"{exercise} returned {got}; the 2x2 filter sliding with stride {stride} over the 4x4 image gives "
                   f"a {expected[0]}x{expected[1]} feature map.",
                   "output size: floor((4 - 2) / stride) + 1 in each direction, with no padding ('valid')."
                   if shape is not None else "not a NumPy array: return the array conv2d gives (np.array(...) "
                   "converts a list).")


def check_small_map(student, reference, convention, once, exercise, stride):
    other = 2 if stride == 1 else 1
    mistakes = accepted_maps(student, convention, IMAGE_4X4, AVERAGING_FILTER, stride) + [
        Mistake(f"stride {other} used: {exercise} uses stride {stride}.", lambda: conv(IMAGE_4X4, AVERAGING_FILTER,
                                                                                       other, convention)),
        Mistake("a filter of ones used: the blog's averaging filter has 0.25 in each of its 4 entries.",
                lambda: conv(IMAGE_4X4, np.ones((2, 2)), stride, convention)),
    ]
    expected = conv(IMAGE_4X4, AVERAGING_FILTER, stride, convention) if convention == "cross-correlation" \
        else getattr(reference, exercise)()
    assert_matches(once(exercise, getattr(student, exercise)), expected, what="the feature map", mistakes=mistakes)


def test_exercise_1_shape(student, once):
    """exercise_1: returns the 3x3 feature map (stride 1)"""
    check_shape(student, once, "exercise_1", 1)


def test_exercise_1_values(student, reference, convention, once):
    """exercise_1: the averaging filter's feature map of the blog's 4x4 image"""
    check_small_map(student, reference, convention, once, "exercise_1", 1)


def test_exercise_2_shape(student, once):
    """exercise_2: returns the 2x2 feature map (stride 2)"""
    check_shape(student, once, "exercise_2", 2)


def test_exercise_2_values(student, reference, convention, once):
    """exercise_2: the averaging filter's feature map of the blog's 4x4 image with stride 2"""
    check_small_map(student, reference, convention, once, "exercise_2", 2)


# -- exercises 3 and 4: an MNIST digit ------------------------------------------------------------------

def digit(rng):
    """A digit of the shipped MNIST sample, as the float64 28x28 image and label string the exercises take."""
    with np.load(MNIST_SAMPLE) as sample:
        i = int(rng.integers(0, len(sample["labels"])))
        return sample["images"][i].reshape(28, 28).astype(np.float64), str(sample["labels"][i])


@dataclass
class DigitRun:
    """One digit, the student's result for it, and the reference's maps."""

    image: np.ndarray
    label: str
    result: object
    expected: tuple


@pytest.fixture
def digit_run(student, reference, convention, rng, once):
    """exercise -> DigitRun: the exercise run once per grading on a digit drawn for it; if it fails, the same code
    with the course's conv2d standing in for the student's, credited so (noted): conv2d is graded on its own.

    (Not for the public exercises 1 and 2: the handout would then ship the course's conv2d among its helpers.)
    """
    helper = {"conv2d": Fn("cross_correlation" if convention == "cross-correlation" else "convolution")}

    def run(exercise):
        def draw():
            image, label = digit(rng)
            return DigitRun(image, label, None, expected_maps(reference, exercise, image, label, convention))
        drawn = once(exercise, draw)
        try:
            return replace(drawn, result=once(("run", exercise), lambda: getattr(student, exercise)(drawn.image,
                                                                                                 drawn.label)))
        except AssertionError as failure:
            try:
                given = once(("given conv2d", exercise),
                             lambda: student.call(exercise, drawn.image, drawn.label, replace=helper).value)
            except AssertionError:
                raise failure from None
            note("Accepted: graded with the course's conv2d standing in for yours, which failed here; conv2d is "
                 "graded on its own.")  # a note is the kit's text: no student text in it
            return replace(drawn, result=given)
    return run


def expected_maps(reference, exercise, image, label, convention):
    """The reference's maps for the digit (its figure closed at once)."""
    import matplotlib.pyplot as plt

    *maps, fig = getattr(reference, exercise)(image, label)
    plt.close(fig)
    if convention == "cross-correlation":
        return tuple(conv(image, k, 1, convention) for k in (HORIZONTAL_FILTER, VERTICAL_FILTER)[:len(maps)])
    return tuple(maps)


def figure_of(result, exercise, count):
    """The figure returned last in the student's tuple, or a clear failure."""
    returns = "(feature_map, fig)" if count == 1 else "(horizontal_map, vertical_map, fig)"
    if not isinstance(result, (tuple, list)) or len(result) != count + 1:
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else describe(result)
        raise Mismatch(f"{exercise} should return {returns}, but returned {got}.")
    if not isinstance(result[-1], FigureSummary):
        raise Mismatch(f"{exercise} should return {returns}; its last value is a {type(result[-1]).__name__}, "
                       "not a matplotlib Figure (fig, axes = plt.subplots(...)).")
    return result[-1]


PANELS = {"exercise_3": "the input digit and the feature map",
          "exercise_4": "the input digit, the horizontal and the vertical feature maps"}


def maps_of(result, exercise, count):
    """The maps an exercise returned, with or without its figure: they are graded whatever its figure."""
    values = list(result) if isinstance(result, (tuple, list)) else [result]
    maps = [v for v in values if not isinstance(v, FigureSummary)]
    if len(maps) != count:
        figure_of(result, exercise, count)  # raises, saying what the exercise should return
        raise Mismatch(f"{exercise} returned {len(maps)} feature map(s) besides figures; it should return {count}.")
    return maps


def panels_of(run, exercise, count, every=False):
    """The axes of the student's figure that show an image, in order; the blog has one per map plus the input.

    Only the figure's own check needs `every` panel: a missing panel fails the checks about that panel alone.
    """
    fig = figure_of(run.result, exercise, count)
    panels = [ax for ax in fig.axes if ax.images]
    if every and len(panels) != count + 1:
        extra = "" if len(panels) == len(fig.axes) else f" (of {len(fig.axes)} axes in all)"
        raise Mismatch(f"{exercise}'s figure has {len(panels)} axes with an image{extra}; the blog's has "
                       f"{count + 1}: {PANELS[exercise]}.",
                       "one panel per image: fig, axes = plt.subplots(1, n), then axes[i].imshow(...) on each.")
    return panels


def titled(panels, word, exercise):
    found = [ax for ax in panels if word.lower() in ax.title.lower()]
    if not found:
        titles = ", ".join(repr(ax.title) for ax in panels)
        raise Mismatch(f"no panel of {exercise}'s figure has a title containing '{word}'; its titles are {titles}.",
                       f"panel titles: title the map panel as the blog does, e.g. 'Feature Map ({word} Edges)'.")
    return found[0]


def check_map_panel(panel, shown_map, word, exercise):
    """The panel titled `word` shows the map the exercise returned (as imshow received it)."""
    image = panel.images[-1]
    if image.shape != np.shape(shown_map):
        raise Mismatch(f"the '{panel.title}' panel of {exercise}'s figure shows an image of shape {image.shape}; "
                       f"the {word.lower()} feature map {exercise} returned has shape {np.shape(shown_map)}.")
    problem = difference(image, shown_map, f"the image in the '{panel.title}' panel", 1e-6, 1e-8)
    if problem:
        raise Mismatch(f"{problem} It should be the {word.lower()} feature map {exercise} returned.",
                       "another image is shown: imshow the returned map itself, unscaled, on that panel.")


def check_figure_shapes(panels, exercise, student_shape):
    """The input panel shows a 28x28 image and each map panel a 26x26 one (or the shape of the student's conv2d)."""
    shapes = sorted((panel.images[-1].shape for panel in panels), reverse=True)
    expected = [(28, 28)] + [(26, 26)] * (len(panels) - 1)
    if shapes == expected:
        return
    if shapes == [(28, 28)] + [student_shape()] * (len(panels) - 1):
        note(f"Accepted: {CONSISTENT}")
        return
    shown = ", ".join(f"{h}x{w}" for h, w in shapes)
    raise Mismatch(f"{exercise}'s figure shows images of {shown}; the blog's shows the 28x28 digit and "
                   f"{len(panels) - 1} feature map(s) of 26x26.",
                   "image sizes: show the digit itself and the feature maps conv2d returned "
                   "('valid' mode, 28 - 3 + 1 = 26).")


def check_input_panel(panels, image, label, exercise):
    maps = {id(ax) for ax in panels if "horizontal" in ax.title.lower() or "vertical" in ax.title.lower()}
    panel = next((ax for ax in panels if id(ax) not in maps), None)
    if panel is None:
        raise Mismatch(f"no panel of {exercise}'s figure shows the input digit: its panels show the feature maps.",
                       "input panel missing: show the digit itself beside the maps, titled "
                       "f'Input Image (Digit: {label})'.")
    shown = panel.images[-1]
    if shown.shape != image.shape:
        raise Mismatch(f"the input panel ('{panel.title}') of {exercise}'s figure shows an image of shape "
                       f"{shown.shape}; the digit is {image.shape[0]}x{image.shape[1]}.")
    similar = np.corrcoef(shown.ravel(), image.ravel())[0, 1] if shown.std() > 0 else 0.0
    if not similar > 0.99:
        raise Mismatch(f"the input panel ('{panel.title}') of {exercise}'s figure does not show the digit passed "
                       f"to {exercise}.", "another digit shown: show the image argument itself.")
    if label not in panel.title:
        raise Mismatch(f"the input panel's title '{panel.title}' does not name the digit's label.",
                       "label missing: title it as the blog does, f'Input Image (Digit: {label})'.")


OTHER_DIGIT = ("the map is of another digit: use the image passed to the exercise (first_digit() is only its "
               "default when no image is given).")


def first_digit():
    """The digit a student's exercise sees when it ignores its image argument (the sample's first)."""
    with np.load(MNIST_SAMPLE) as sample:
        return sample["images"][0].reshape(28, 28).astype(np.float64)


def exercise_3_mistakes(student, convention, image):
    return accepted_maps(student, convention, image, HORIZONTAL_FILTER) + [
        Mistake(OTHER_DIGIT, lambda: conv(first_digit(), HORIZONTAL_FILTER, 1, convention)),
        Mistake("this is the vertical edge filter's map: exercise 3 uses HORIZONTAL_FILTER, "
                "[[-1, -1, -1], [0, 0, 0], [1, 1, 1]].", lambda: conv(image, VERTICAL_FILTER, 1, convention)),
        Mistake("sign flipped: for HORIZONTAL_FILTER a cross-correlation (the blog's formula, or the filter turned "
                "upside down) is minus the blog's convolution; compute the map with conv2d.",
                lambda: conv(image, HORIZONTAL_FILTER[::-1], 1, convention)),
        Mistake("the feature map has padding: the blog's conv2d uses 'valid' mode, so a 3x3 filter on 28x28 gives "
                "26x26.", lambda: signal.convolve2d(image, HORIZONTAL_FILTER, mode="same")),
    ]


def test_exercise_3_map(student, convention, digit_run):
    """exercise_3: the horizontal edge map of an MNIST digit"""
    run = digit_run("exercise_3")
    assert_matches(maps_of(run.result, "exercise_3", 1)[0], run.expected[0], what="the feature map",
                   mistakes=exercise_3_mistakes(student, convention, run.image))


def test_exercise_3_figure(student, digit_run):
    """exercise_3: the figure shows the 28x28 digit and the 26x26 feature map"""
    run = digit_run("exercise_3")
    check_figure_shapes(panels_of(run, "exercise_3", 1, every=True), "exercise_3", own_shape(student, run.image))


def test_exercise_3_input_panel(digit_run):
    """exercise_3: the input panel shows the digit given and its label"""
    run = digit_run("exercise_3")
    check_input_panel(panels_of(run, "exercise_3", 1), run.image, run.label, "exercise_3")


def test_exercise_3_map_panel(digit_run):
    """exercise_3: the panel titled 'Horizontal' shows the feature map returned"""
    run = digit_run("exercise_3")
    panel = titled(panels_of(run, "exercise_3", 1), "Horizontal", "exercise_3")
    check_map_panel(panel, maps_of(run.result, "exercise_3", 1)[0], "Horizontal", "exercise_3")


def exercise_4_mistakes(student, convention, image):
    horizontal, vertical = (conv(image, k, 1, convention) for k in (HORIZONTAL_FILTER, VERTICAL_FILTER))
    return accepted_maps(student, convention, image, (HORIZONTAL_FILTER, VERTICAL_FILTER)) + [
        Mistake(OTHER_DIGIT, lambda: tuple(conv(first_digit(), k, 1, convention)
                                           for k in (HORIZONTAL_FILTER, VERTICAL_FILTER))),
        Mistake("the maps are swapped: return (horizontal_map, vertical_map), in that order.",
                lambda: (vertical, horizontal)),
        Mistake("the horizontal filter was used for both maps: the vertical map uses VERTICAL_FILTER, "
                "[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]].", lambda: (horizontal, horizontal)),
        Mistake("the vertical filter was used for both maps: the horizontal map uses HORIZONTAL_FILTER, "
                "[[-1, -1, -1], [0, 0, 0], [1, 1, 1]].", lambda: (vertical, vertical)),
    ]


def test_exercise_4_maps(student, convention, digit_run):
    """exercise_4: the horizontal and vertical edge maps of an MNIST digit"""
    run = digit_run("exercise_4")
    assert_results_match(tuple(maps_of(run.result, "exercise_4", 2)), run.expected, ("horizontal_map", "vertical_map"),
                         what="exercise_4", mistakes=exercise_4_mistakes(student, convention, run.image))


def test_exercise_4_figure(student, digit_run):
    """exercise_4: the figure shows the 28x28 digit and two 26x26 feature maps"""
    run = digit_run("exercise_4")
    check_figure_shapes(panels_of(run, "exercise_4", 2, every=True), "exercise_4", own_shape(student, run.image))


def test_exercise_4_input_panel(digit_run):
    """exercise_4: the input panel shows the digit given and its label"""
    run = digit_run("exercise_4")
    check_input_panel(panels_of(run, "exercise_4", 2), run.image, run.label, "exercise_4")


@pytest.mark.parametrize("word", ["Horizontal", "Vertical"])
def test_exercise_4_map_panels(digit_run, word):
    """exercise_4: the panel titled '{word}' shows the {word} feature map that exercise_4 returned"""
    run = digit_run("exercise_4")
    panel = titled(panels_of(run, "exercise_4", 2), word, "exercise_4")
    shown = maps_of(run.result, "exercise_4", 2)[0 if word == "Horizontal" else 1]
    check_map_panel(panel, shown, word, "exercise_4")
