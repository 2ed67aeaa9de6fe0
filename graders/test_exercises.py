"""The four exercises of Part 4.2: their feature maps and plots, and the mistakes they recognise.

Feature maps are compared with the reference's; a map equal to the student's own conv2d on the
same inputs is accepted too, so a broken conv2d loses points once (on conv2d). Plots are
checked structurally: panels, image shapes, titles, and that a map panel shows the map returned.

An exercise is graded in either of two forms, with the same checks and hints: the handout's function
`exercise_N()` (what it returns), or the blog's script (what it computes and shows). A submission whose
`exercise_N` is missing or still the handout's stub is graded on its script `ex_N.py`, else (when
`conv_exercises.py` defines no `exercise_N` at all) on the top-level code of conv_exercises.py: the
script is run as `python ex_N.py`, its conv2d calls are recorded and its figures captured at plt.show().
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from gradekit.checks import (FigureSummary, Fn, Mismatch, Mistake, ScriptRun, StudentFailure, assert_matches,
                             assert_results_match, describe, difference, note)

# The blog's inputs (Part 4.2), dtypes included: the exercises pass integer arrays to conv2d
IMAGE_4X4 = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]])
AVERAGING_FILTER = np.full((2, 2), 0.25)
HORIZONTAL_FILTER = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
VERTICAL_FILTER = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
EDGE_FILTERS = {"exercise_3": (HORIZONTAL_FILTER,), "exercise_4": (HORIZONTAL_FILTER, VERTICAL_FILTER)}
MNIST_SAMPLE = Path(__file__).resolve().parents[1] / "reference" / "mnist_sample.npz"


def conv(image, kernel, stride, convention):
    """The course's conv2d: a true convolution (the blog's code) or a cross-correlation (its formula)."""
    slide = signal.correlate2d if convention == "cross-correlation" else signal.convolve2d
    return slide(image, kernel, mode="valid")[::stride, ::stride]


CONSISTENT = "consistent with your conv2d: this exercise is right given your conv2d (conv2d is graded on its own)."


def accepted_maps(student, convention, image, kernels, stride=1, calls=()):
    """The maps accepted besides the course's: the student's own conv2d's, and cross-correlations if allowed.

    `kernels` is one kernel, or a tuple of kernels for an exercise returning several maps; `calls` are a
    script's recorded conv2d calls (its own result on the exercise's inputs is its conv2d's).
    """
    several = isinstance(kernels, tuple)
    kernels = kernels if several else (kernels,)

    def maps(slide):
        out = tuple(slide(k) for k in kernels)
        return out if several else out[0]

    accepted = [Mistake(CONSISTENT, lambda: maps(lambda k: own_conv(student, image, k, stride, calls)), accepted=True)]
    if convention == "either":
        accepted.append(Mistake("a cross-correlation: this course accepts it.",
                                lambda: maps(lambda k: conv(image, k, stride, "cross-correlation")), accepted=True))
    return accepted


def same_inputs(call, image, kernel, stride):
    """Whether a recorded conv2d call was on exactly these inputs (positional, or by keyword)."""
    arrays = list(call.args[:2]) + [v for k, v in call.kwargs.items() if k != "stride"]
    given = call.kwargs.get("stride", call.args[2] if len(call.args) > 2 else 1)
    try:
        return (len(arrays) >= 2 and given == stride and np.array_equal(np.asarray(arrays[0], dtype=float), image)
                and np.array_equal(np.asarray(arrays[1], dtype=float), kernel))
    except (TypeError, ValueError):
        return False


def own_conv(student, image, kernel, stride, calls=()):
    """The student's conv2d(image, kernel, stride): a script's own call on those very inputs, if it made one."""
    mine = next((call for call in calls if call.recorded and not call.error and same_inputs(call, image, kernel, stride)),
                None)
    return mine.value if mine is not None else student.conv2d(image, kernel, stride=stride)


def own_map_shape(student, image, kernel, stride, calls=()):
    """The shape of the student's conv2d(image, kernel, stride), or None if it fails."""
    try:
        return np.shape(own_conv(student, image, kernel, stride, calls))
    except AssertionError:  # the student's conv2d failed: only the blog's shape counts
        return None


def own_shape(student, run):
    """A callable giving the shape of the student's horizontal edge map of the run's digit (asked only when needed)."""
    return lambda: own_map_shape(student, run.image, HORIZONTAL_FILTER, 1, run.calls)


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


# -- the blog's form: an exercise as a script ------------------------------------------------------------

SCRIPTS = {"exercise_1": "ex_1.py", "exercise_2": "ex_2.py", "exercise_3": "ex_3.py", "exercise_4": "ex_4.py"}
ALL_IN_ONE = "conv_exercises.py"  # the four exercises pasted one after the other as top-level code
RECORD = ["conv2d"]  # the calls a script is graded on
MAPS = {"exercise_1": 1, "exercise_2": 1, "exercise_3": 1, "exercise_4": 2}  # conv2d calls the blog's exercise makes


@dataclass
class Scripted:
    """An exercise as the blog's script did it: its conv2d calls, and the figure shown after them."""

    run: ScriptRun
    exercise: str
    alone: bool  # in its own script (ex_N.py), not among the four in one file
    calls: list
    figure: FigureSummary | None

    @property
    def name(self) -> str:
        return self.run.script if self.alone else f"{self.run.script} ({self.exercise})"

    def stopped(self) -> str:
        return f"; it stopped: {self.run.error.public()}" if self.run.error else ""

    def maps(self) -> tuple:
        """The feature maps conv2d returned for the exercise (as exercise_N returns them), or why there are none."""
        if len(self.calls) < MAPS[self.exercise]:
            raise Mismatch(f"{self.name} made {len(self.calls)} call(s) of conv2d for {self.exercise}; the blog's "
                           f"exercise makes {MAPS[self.exercise]}{self.stopped()}.")
        failed = next((call for call in self.calls if call.error), None)
        if failed is not None:
            raise Mismatch(f"conv2d raised in {self.name}: {failed.error}.")
        return tuple(call.value for call in self.calls)

    def shown(self) -> FigureSummary:
        """The figure the script showed after the exercise's conv2d calls (as exercise_N returns it)."""
        if self.figure is None:
            raise Mismatch(f"{self.name} showed no figure after its conv2d call(s){self.stopped()}.",
                           "draw it with fig, axes = plt.subplots(...) and show it with plt.show().")
        return self.figure


def _shape(value):
    try:
        return np.shape(value)
    except ValueError:  # a ragged list
        return None


def exercise_calls(run, exercise, alone):
    """The indices of `exercise`'s conv2d calls in `run`, and the index of the next exercise's first call.

    In its own script an exercise's calls are the script's first ones; among the four in one file,
    exercises 1 and 2 are the calls on the 4x4 image, in that order, and 3 and 4 the calls that follow on a digit.
    """
    indices = list(range(len(run.calls)))
    if alone:
        return indices[:MAPS[exercise]], None
    small = [i for i in indices if _shape(run.calls[i].first) == IMAGE_4X4.shape]
    digits = [i for i in indices if i not in small]
    groups = {"exercise_1": small[:1], "exercise_2": small[1:2], "exercise_3": digits[:1], "exercise_4": digits[1:3]}
    order = list(groups)
    later = [i for name in order[order.index(exercise) + 1:] for i in groups[name]]
    return groups[exercise], min(later) if later else None


def figure_after(run, calls, bound):
    """The first figure shown after the last of `calls` (and, if `bound`, before call number `bound` was made)."""
    last = max(calls) + 1 if calls else 0
    return next((fig for fig, after in zip(run.figures, run.shown_after)
                 if after >= last and (bound is None or after <= bound)), None)


def scripted(student, once, exercise, failure):
    """The exercise's script form, for a submission whose exercise_N is not written; else `failure` again.

    Its own script ex_N.py first; then conv_exercises.py run as a script, when it defines no exercise_N at all.
    """
    def compute():
        candidates = [(SCRIPTS[exercise], True)] + [(ALL_IN_ONE, False)] * (failure.error.kind == "missing")
        for script, alone in candidates:
            run = once(f"run {script}", lambda: student.run_script(script, record=RECORD))
            if not run.missing:
                calls, bound = exercise_calls(run, exercise, alone)
                return Scripted(run, exercise, alone, [run.calls[i] for i in calls], figure_after(run, calls, bound))
        raise failure
    if not failure.not_written:
        raise failure
    return once(f"script {exercise}", compute)


def small_map(student, once, exercise):
    """(the map exercise 1 or 2 computed, its name in messages, the script's calls): what exercise_N() returned,
    or its script's conv2d result."""
    try:
        return once(exercise, getattr(student, exercise)), exercise, ()
    except StudentFailure as failure:
        form = scripted(student, once, exercise, failure)
        return form.maps()[0], f"conv2d in {form.name}", form.calls


def check_shape(student, once, exercise, stride):
    value, name, calls = small_map(student, once, exercise)
    expected = conv(IMAGE_4X4, AVERAGING_FILTER, stride, "convolution").shape
    shape = np.shape(value) if isinstance(value, np.ndarray) else None
    if shape == expected:
        return
    if shape is not None and shape == own_map_shape(student, IMAGE_4X4, AVERAGING_FILTER, stride, calls):
        note(f"Accepted: {CONSISTENT}")
        return
    got = f"an array of shape {shape}" if shape is not None else describe(value)
    raise Mismatch(f"{name} returned {got}; the 2x2 filter sliding with stride {stride} over the 4x4 image gives "
                   f"a {expected[0]}x{expected[1]} feature map.",
                   "output size: floor((4 - 2) / stride) + 1 in each direction, with no padding ('valid')."
                   if shape is not None else "not a NumPy array: return the array conv2d gives (np.array(...) "
                   "converts a list).")


def check_small_map(student, reference, convention, once, exercise, stride):
    """The exercise's map against the reference's conv2d of the blog's image and filter (what the reference's
    exercise returns: grading need not import the reference's exercises, nor their matplotlib)."""
    other = 2 if stride == 1 else 1
    value, _, calls = small_map(student, once, exercise)
    mistakes = accepted_maps(student, convention, IMAGE_4X4, AVERAGING_FILTER, stride, calls) + [
        Mistake(f"stride {other} used: {exercise} uses stride {stride}.", lambda: conv(IMAGE_4X4, AVERAGING_FILTER,
                                                                                       other, convention)),
        Mistake("a filter of ones used: the blog's averaging filter has 0.25 in each of its 4 entries.",
                lambda: conv(IMAGE_4X4, np.ones((2, 2)), stride, convention)),
    ]
    expected = conv(IMAGE_4X4, AVERAGING_FILTER, stride, convention) if convention == "cross-correlation" \
        else reference.conv2d(IMAGE_4X4, AVERAGING_FILTER, stride=stride)
    assert_matches(value, expected, what="the feature map", mistakes=mistakes)


# -- exercises 3 and 4: an MNIST digit ------------------------------------------------------------------

@functools.cache
def mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """The shipped MNIST sample's images (float64, one flat digit a row) and labels, read once a process (a class
    run grades many submissions in one): read-only."""
    with np.load(MNIST_SAMPLE) as sample:
        images, labels = sample["images"].astype(np.float64), sample["labels"]
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digit(rng):
    """A digit of the shipped MNIST sample, as the float64 28x28 image and label string the exercises take."""
    images, labels = mnist_sample()
    i = int(rng.integers(0, len(labels)))
    return images[i].reshape(28, 28).copy(), str(labels[i])


@dataclass
class DigitRun:
    """One digit, the student's result for it, and the reference's maps; `form` when a script computed it."""

    image: np.ndarray
    label: str
    result: object  # what exercise_N returned (None for a script)
    expected: tuple
    name: str  # how messages name what computed it: exercise_N, or its script
    form: Scripted | None = None

    @property
    def calls(self) -> list:
        """The script's conv2d calls for the exercise (none for the function form)."""
        return self.form.calls if self.form else []

    @property
    def given(self) -> str:
        """How messages say where the digit came from."""
        return f"the digit {self.name} passed to conv2d" if self.form else f"the digit passed to {self.name}"


@pytest.fixture
def digit_run(student, reference, convention, rng, once):
    """exercise -> DigitRun: the exercise run once per grading on a digit drawn for it (or its script, once); if
    the function fails, the same code with the course's conv2d standing in for the student's, credited so (noted):
    conv2d is graded on its own. (Not for the public exercises 1 and 2: the handout would then ship the course's
    conv2d among its helpers.)
    """
    helper = {"conv2d": Fn("cross_correlation" if convention == "cross-correlation" else "convolution")}

    def run(exercise):
        def compute():
            image, label = digit(rng)
            try:
                result = getattr(student, exercise)(image, label)
            except StudentFailure as failure:
                if failure.not_written:  # the script form, if it has one; else this failure
                    return scripted_digit_run(reference, convention, scripted(student, once, exercise, failure))
                result = with_course_conv2d(student, exercise, image, label, helper, failure)
            return DigitRun(image, label, result, expected_maps(reference, exercise, image, convention), exercise)
        return once(exercise, compute)
    return run


def with_course_conv2d(student, exercise, image, label, helper, failure):
    """The exercise's result with the course's conv2d in place of the student's, noted; else the first failure."""
    try:
        given = student.call(exercise, image, label, replace=helper).value
    except AssertionError:
        raise failure from None
    note("Accepted: graded with the course's conv2d standing in for yours, which failed here; conv2d is "
         "graded on its own.")  # a note is the kit's text: no student text in it
    return given


def expected_maps(reference, exercise, image, convention):
    """The maps the exercise makes of the digit: its edge filters at stride 1, by the reference's conv2d (or as a
    cross-correlation). The reference's exercise is not called: it would draw its figure, ~50 ms a submission,
    and `validate` grades it against these same maps."""
    if convention == "cross-correlation":
        return tuple(conv(image, k, 1, convention) for k in EDGE_FILTERS[exercise])
    return tuple(np.asarray(reference.conv2d(image, k, stride=1)) for k in EDGE_FILTERS[exercise])


@functools.cache
def standardized_digits() -> np.ndarray:
    """The sample's digits, each scaled to mean 0 and standard deviation 1 (read-only)."""
    digits = mnist_sample()[0]
    digits = (digits - digits.mean(axis=1, keepdims=True)) / digits.std(axis=1, keepdims=True)
    digits.setflags(write=False)
    return digits


def label_of(image):
    """The label of the shipped MNIST digit `image` shows (scaled or not), or None if it shows none of them."""
    flat = image.ravel()
    if not flat.std() > 0:
        return None
    labels = mnist_sample()[1]
    similarity = standardized_digits() @ ((flat - flat.mean()) / flat.std()) / flat.size
    best = int(np.argmax(similarity))
    return str(labels[best]) if similarity[best] > 0.999 else None


def scripted_digit_run(reference, convention, form):
    """The digit a script passed to conv2d for exercise 3 or 4, its label, and the reference's maps of it."""
    if not form.calls:
        form.maps()  # raises: no call of conv2d
    first = form.calls[0].first
    image = np.asarray(first, dtype=np.float64) if _shape(first) and np.asarray(first).dtype.kind in "biuf" else None
    if image is None or image.shape != (28, 28):
        raise Mismatch(f"{form.name} passed conv2d {describe(first)} for {form.exercise}; the exercise takes an MNIST "
                       "digit as a 28x28 image.", "reshape the digit's 784 pixels: X[0].reshape(28, 28).")
    label = label_of(image)
    if label is None:
        raise Mismatch(f"{form.name} passed conv2d a 28x28 image that is none of the MNIST digits; the exercise "
                       "takes one from fetch_openml('mnist_784', version=1, return_X_y=True, as_frame=False).")
    return DigitRun(image, label, None, expected_maps(reference, form.exercise, image, convention), form.name,
                    form)


def figure_of(run, exercise, count):
    """The figure returned last in the student's tuple (or shown by the script), or a clear failure."""
    if run.form is not None:
        return run.form.shown()
    result = run.result
    returns = "(feature_map, fig)" if count == 1 else "(horizontal_map, vertical_map, fig)"
    if not isinstance(result, (tuple, list)) or len(result) != count + 1:
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else describe(result)
        raise Mismatch(f"{exercise} should return {returns}, but returned {got}.")
    if not isinstance(result[-1], FigureSummary):
        raise Mismatch(f"{exercise} should return {returns}; its last value is a {type(result[-1]).__name__}, "
                       "not a matplotlib Figure (fig, axes = plt.subplots(...)).")
    return result[-1]


def maps_of(run, exercise, count):
    """The maps the exercise computed: those exercise_N returned before its figure, or its script's conv2d results."""
    if run.form is not None:
        return run.form.maps()
    values = list(run.result) if isinstance(run.result, (tuple, list)) else [run.result]
    maps = [v for v in values if not isinstance(v, FigureSummary)]
    if len(maps) != count:  # graded whatever the figure: only a wrong number of maps fails here
        figure_of(run, exercise, count)  # raises, saying what the exercise should return
        raise Mismatch(f"{exercise} returned {len(maps)} feature map(s) besides figures; it should return {count}.")
    return tuple(maps)


PANELS = {"exercise_3": "the input digit and the feature map",
          "exercise_4": "the input digit, the horizontal and the vertical feature maps"}


def panels_of(run, exercise, count, every=False):
    """The axes of the student's figure that show an image, in order; the blog has one per map plus the input.

    Only the figure's own check needs `every` panel: a missing panel fails the checks about that panel alone.
    """
    fig = figure_of(run, exercise, count)
    panels = [ax for ax in fig.axes if ax.images]
    if every and len(panels) != count + 1:
        extra = "" if len(panels) == len(fig.axes) else f" (of {len(fig.axes)} axes in all)"
        raise Mismatch(f"{run.name}'s figure has {len(panels)} axes with an image{extra}; the blog's has "
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


def check_input_panel(panels, run):
    image, label, exercise = run.image, run.label, run.name
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
        raise Mismatch(f"the input panel ('{panel.title}') of {exercise}'s figure does not show {run.given}.",
                       "another digit shown: show the image argument itself.")
    if label not in panel.title:
        raise Mismatch(f"the input panel's title '{panel.title}' does not name the digit's label.",
                       "label missing: title it as the blog does, f'Input Image (Digit: {label})'.")


OTHER_DIGIT = ("the map is of another digit: use the image passed to the exercise (first_digit() is only its "
               "default when no image is given).")


def first_digit():
    """The digit a student's exercise sees when it ignores its image argument (the sample's first)."""
    return mnist_sample()[0][0].reshape(28, 28).copy()


def exercise_4_mistakes(student, convention, image, calls=()):
    filters = EDGE_FILTERS["exercise_4"]
    horizontal, vertical = (conv(image, k, 1, convention) for k in filters)
    return accepted_maps(student, convention, image, filters, calls=calls) + [
        Mistake(OTHER_DIGIT, lambda: tuple(conv(first_digit(), k, 1, convention) for k in filters)),
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
    assert_results_match(maps_of(run, "exercise_4", 2), run.expected, ("horizontal_map", "vertical_map"), what=run.name,
                         mistakes=exercise_4_mistakes(student, convention, run.image, run.calls))


def test_exercise_4_figure(student, digit_run):
    """exercise_4: the figure shows the 28x28 digit and two 26x26 feature maps"""
    run = digit_run("exercise_4")
    check_figure_shapes(panels_of(run, "exercise_4", 2, every=True), run.name, own_shape(student, run))


def test_exercise_4_input_panel(digit_run):
    """exercise_4: the input panel shows the digit given and its label"""
    run = digit_run("exercise_4")
    check_input_panel(panels_of(run, "exercise_4", 2), run)


@pytest.mark.parametrize("word", ["Horizontal", "Vertical"])
def test_exercise_4_map_panels(digit_run, word):
    """exercise_4: the panel titled '{word}' shows the {word} feature map that exercise_4 returned"""
    run = digit_run("exercise_4")
    panel = titled(panels_of(run, "exercise_4", 2), word, run.name)
    check_map_panel(panel, maps_of(run, "exercise_4", 2)[0 if word == "Horizontal" else 1], word, run.name)


def exercise_3_mistakes(student, convention, image, calls=()):
    return accepted_maps(student, convention, image, HORIZONTAL_FILTER, calls=calls) + [
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
    assert_matches(maps_of(run, "exercise_3", 1)[0], run.expected[0], what="the feature map",
                   mistakes=exercise_3_mistakes(student, convention, run.image, run.calls))


def test_exercise_3_figure(student, digit_run):
    """exercise_3: the figure shows the 28x28 digit and the 26x26 feature map"""
    run = digit_run("exercise_3")
    check_figure_shapes(panels_of(run, "exercise_3", 1, every=True), run.name, own_shape(student, run))


def test_exercise_3_input_panel(digit_run):
    """exercise_3: the input panel shows the digit given and its label"""
    run = digit_run("exercise_3")
    check_input_panel(panels_of(run, "exercise_3", 1), run)


def test_exercise_3_map_panel(digit_run):
    """exercise_3: the panel titled 'Horizontal' shows the feature map returned"""
    run = digit_run("exercise_3")
    panel = titled(panels_of(run, "exercise_3", 1), "Horizontal", run.name)
    check_map_panel(panel, maps_of(run, "exercise_3", 1)[0], "Horizontal", run.name)


# -- exercises 1 and 2, tested last: the kit draws the figure of exercise 3 meanwhile ------------------------

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
