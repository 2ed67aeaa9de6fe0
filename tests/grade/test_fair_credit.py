"""Fair credit, end to end: every correct solution scores full however it is written, and a mistake costs
points once, in its own part, with a hint that names it.

Each test writes a variant of the reference (one function or two rewritten, as a student would) and
grades it through `gradekit.grade.pipeline.grade` in a warm sandbox (tests/grade/variants.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from variants import Variants

PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def variants():
    kit = Variants()
    yield kit
    kit.close()


# -- gradient_descent, whatever shuffles it -------------------------------------------------------------

DESCENT = '''
import random


{module_level}


def gradient_descent(X, y, W, b, lr, num_epochs, batch_size, loss_fn, activation_fn=lambda x: x):
    n_samples = X.shape[0]
    loss_history = []
    {setup}
    for epoch in range(num_epochs):
        {shuffle}
        for start in range(0, n_samples, batch_size):
            X_batch, y_batch = X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]
            error = activation_fn(X_batch @ W + b) - y_batch
            W = W - lr * (X_batch.T @ error) / X_batch.shape[0]
            b = b - lr * np.mean(error)
        loss_history.append(loss_fn(activation_fn(X @ W + b), y))
    return W, b, loss_history
'''
TAKE = "X_shuffled, y_shuffled = X[indices], y[indices]"
# (module-level code, set-up before the epochs, the shuffle at the start of each epoch)
SHUFFLES = {
    "np.random.permutation": ("", "", f"indices = np.random.permutation(n_samples); {TAKE}"),
    "np.random.shuffle": ("", "", f"indices = np.arange(n_samples); np.random.shuffle(indices); {TAKE}"),
    "np.random.shuffle, one index array": ("", "indices = np.arange(n_samples)", f"np.random.shuffle(indices); {TAKE}"),
    "np.random.choice": ("", "", f"indices = np.random.choice(n_samples, n_samples, replace=False); {TAKE}"),
    "default_rng().permutation": ("", "rng = np.random.default_rng()", f"indices = rng.permutation(n_samples); {TAKE}"),
    "default_rng(42).shuffle": ("", "rng = np.random.default_rng(42)",
                                f"indices = np.arange(n_samples); rng.shuffle(indices); {TAKE}"),
    "default_rng(7).shuffle, one index array": ("", "rng = np.random.default_rng(7); indices = np.arange(n_samples)",
                                                f"rng.shuffle(indices); {TAKE}"),
    "a module-level Generator": ("RNG = np.random.default_rng(3)", "", f"indices = RNG.permutation(n_samples); {TAKE}"),
    "RandomState(0)": ("", "rs = np.random.RandomState(0)", f"indices = rs.permutation(n_samples); {TAKE}"),
    "random.shuffle": ("", "", f"indices = list(range(n_samples)); random.shuffle(indices); {TAKE}"),
    "random.shuffle, one index list": ("", "indices = list(range(n_samples))", f"random.shuffle(indices); {TAKE}"),
    "random.sample": ("", "", f"indices = random.sample(range(n_samples), n_samples); {TAKE}"),
    "the data rows shuffled": ("", "", "data = np.hstack([X, y]); np.random.default_rng().shuffle(data); "
                                       "X_shuffled, y_shuffled = data[:, :-1], data[:, -1:]"),
    "X and y reordered for good": ("", "", "p = np.random.permutation(n_samples); X, y = X[p], y[p]; "
                                           "X_shuffled, y_shuffled = X, y"),
    "X and y permuted alike": ("", "", "state = np.random.get_state(); X_shuffled = np.random.permutation(X); "
                                       "np.random.set_state(state); y_shuffled = np.random.permutation(y)"),
}


def descent(way: str) -> str:
    module_level, setup, shuffle = SHUFFLES[way]
    return DESCENT.format(module_level=module_level, setup=setup or "pass", shuffle=shuffle)


@PROPERTY
@given(way=st.sampled_from(sorted(SHUFFLES)), seed=st.integers(0, 2**31 - 1))
def test_a_correct_descent_scores_full_whatever_shuffles_it(variants, way, seed):
    graded = variants.grade(descent(way), seed=seed)
    assert graded.lost() == {}, (way, graded.text("gradient_descent"))


@pytest.mark.parametrize("setup, shuffle", [
    ("indices = np.random.permutation(n_samples)", TAKE),
    ("", f"np.random.seed(0); indices = np.random.permutation(n_samples); {TAKE}"),
])
def test_a_descent_shuffled_once_for_all_epochs_loses_there_only_and_is_named(variants, setup, shuffle):
    graded = variants.grade(DESCENT.format(module_level="", setup=setup or "pass", shuffle=shuffle))
    assert set(graded.lost()) == {"gradient_descent"} and graded.lost()["gradient_descent"] < 10
    assert "shuffled once for all epochs" in graded.text("gradient_descent")


# -- a dependency that fails costs points in its own part only ------------------------------------------

@pytest.mark.parametrize("function, error", [("softmax", "NotImplementedError"), ("softmax", "ValueError"),
                                             ("relu", "ValueError"), ("sigmoid", "RuntimeError")])
def test_a_function_that_raises_costs_points_only_in_its_own_part(variants, function, error):
    graded = variants.grade(f"def {function}(Z):\n    raise {error}('not today')\n")
    assert set(graded.lost()) == {function}, graded.lost()
    users = {"softmax": "forward_mlp", "relu": "forward_mlp_3layer", "sigmoid": "forward_perceptron"}[function]
    assert "Accepted: " in graded.text(users) and "stand in for yours" in graded.text(users)


def test_a_forward_pass_wrong_in_itself_still_loses_with_its_own_hint(variants):
    graded = variants.grade('''
def softmax(Z):
    raise ValueError("not today")


def forward_mlp(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1 + b1)
    return A1, softmax(A1 @ W2 + b2)
''')
    assert set(graded.lost()) == {"softmax", "forward_mlp"}
    assert "the hidden layers use the sigmoid" in graded.text("forward_mlp")


def test_a_conv2d_that_raises_costs_the_digit_exercises_nothing(variants):
    """Exercises 3 and 4 are checked again with the course's conv2d; exercises 1 and 2 are public, and the
    handout would have to ship that conv2d for them, so they are not."""
    graded = variants.grade('''
def conv2d(image, filter_kernel, stride=1):
    if np.shape(image)[0] > 20:
        raise ValueError("small images only")
    return signal.convolve2d(image, filter_kernel, mode="valid")[::stride, ::stride]
''', assignment="part-4.2")
    assert set(graded.lost()) == {"conv2d"}, graded.lost()
    assert "course's conv2d standing in for yours" in graded.text("exercise_3")
    assert "course's conv2d standing in for yours" in graded.text("exercise_4")


def test_a_conv2d_of_integer_dtype_loses_on_conv2d_only(variants):
    """The exercises pass the handout's integer 4x4 image: "consistent with your conv2d" is judged on it."""
    source = (variants.paths.mutants / "conv2d_integer_output.py").read_text()
    graded = variants.grade(source, assignment="part-4.2")
    assert set(graded.lost()) == {"conv2d"}, graded.lost()
    assert "integer dtype" in graded.text("conv2d") and "consistent with your conv2d" in graded.text("exercise_1")


# -- exercise checks independent of each other -----------------------------------------------------------

EXERCISE_3_NO_FIGURE = '''
def exercise_3(image=None, label=None):
    return conv2d(image, HORIZONTAL_FILTER, stride=1)
'''
EXERCISE_4_NO_FIGURE = '''
def exercise_4(image=None, label=None):
    return conv2d(image, HORIZONTAL_FILTER, stride=1), conv2d(image, VERTICAL_FILTER, stride=1)
'''
EXERCISE_4_NO_INPUT_PANEL = '''
def exercise_4(image=None, label=None):
    horizontal_map, vertical_map = conv2d(image, HORIZONTAL_FILTER), conv2d(image, VERTICAL_FILTER)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    show_image(ax1, horizontal_map, "Feature Map (Horizontal Edges)")
    show_image(ax2, vertical_map, "Feature Map (Vertical Edges)")
    return horizontal_map, vertical_map, fig
'''


def failed(graded, part: str) -> list[str]:
    return [t.name.split(": ", 1)[1] for t in graded.results.tests if t.part == part and t.status == "failed"]


def test_a_figure_not_returned_fails_only_the_figure_checks(variants):
    graded = variants.grade(sources={"conv_exercises": EXERCISE_3_NO_FIGURE + EXERCISE_4_NO_FIGURE},
                            assignment="part-4.2")
    assert set(graded.lost()) == {"exercise_3", "exercise_4"}
    assert not any("edge map" in name for name in failed(graded, "exercise_3") + failed(graded, "exercise_4"))
    assert len(failed(graded, "exercise_3")) == 3 and len(failed(graded, "exercise_4")) == 4


def test_a_missing_panel_fails_only_the_checks_about_that_panel(variants):
    graded = variants.grade(EXERCISE_4_NO_INPUT_PANEL, module="conv_exercises", assignment="part-4.2")
    assert set(graded.lost()) == {"exercise_4"}
    assert sorted(failed(graded, "exercise_4")) == [
        "the figure shows the 28x28 digit and two 26x26 feature maps",
        "the input panel shows the digit given and its label"]
    assert "input panel missing" in graded.text("exercise_4")


# -- every recognised mistake, on any inputs ----------------------------------------------------------------

def mutant(variants, name: str) -> str:
    return (variants.paths.mutants / f"{name}.py").read_text()


# name -> (how to grade it: keyword arguments of Variants.grade, or a mutant's name; its part; its hint)
MISTAKES = {
    "shuffled once": (dict(source=DESCENT.format(module_level="", setup="indices = np.random.permutation(n_samples)",
                                                 shuffle=TAKE)), "gradient_descent", "shuffled once"),
    "softmax raises": (dict(source="def softmax(Z):\n    raise ValueError('no')\n"), "softmax", "raised: ValueError"),
    "binary cross-entropy epsilon 1e-3": ("bce_large_epsilon", "binary_cross_entropy", "epsilon too large"),
    "cross-entropy epsilon 1e-3": ("cross_entropy_large_epsilon", "cross_entropy", "epsilon too large"),
    "parameters restored by arithmetic": ("numerical_gradient_restored_by_arithmetic", "numerical_gradient",
                                          "restored by arithmetic"),
    "conv2d of integer dtype": ("conv2d_integer_output", "conv2d", "integer dtype"),
    "exercise_4 without its input panel": (dict(source=EXERCISE_4_NO_INPUT_PANEL, module="conv_exercises"),
                                           "exercise_4", "input panel missing"),
}


@PROPERTY
@given(name=st.sampled_from(sorted(MISTAKES)), seed=st.integers(0, 2**31 - 1))
def test_each_recognised_mistake_costs_points_in_its_own_part_only_with_its_hint(variants, name, seed):
    how, part, hint = MISTAKES[name]
    options = dict(how) if isinstance(how, dict) else dict(source=mutant(variants, how))
    assignment = "part-4.2" if part in ("conv2d", "exercise_4") else "library"
    graded = variants.grade(**options, seed=seed, assignment=assignment)
    assert set(graded.lost()) == {part}, (name, graded.lost())
    assert hint in graded.text(part), (name, graded.text(part))
