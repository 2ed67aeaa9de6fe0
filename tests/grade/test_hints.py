"""Hints never mislead, end to end: a list is called a list, rounding is called rounding, float32 is accepted or
explained, an epsilon too large is named; and each of these costs points in its own part only.

Each test grades a variant of the reference through the pipeline (tests/grade/variants.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from variants import Variants

PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def variants():
    kit = Variants()
    yield kit
    kit.close()


# -- the losses: any tiny epsilon, added or clipping, is right; a large one is named ------------------------

LOSSES = {
    ("binary_cross_entropy", "added"):
        "return float(-np.mean(y * np.log(A + {eps!r}) + (1 - y) * np.log(1 - A + {eps!r})))",
    ("binary_cross_entropy", "clipped"):
        "A = np.clip(A, {eps!r}, 1 - {eps!r})\n    return float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))",
    ("cross_entropy", "added"): "return float(-np.mean(np.sum(y * np.log(A + {eps!r}), axis=1)))",
    ("cross_entropy", "clipped"):
        "return float(-np.mean(np.sum(y * np.log(np.clip(A, {eps!r}, 1 - {eps!r})), axis=1)))",
    ("cross_entropy", "maximum"): "return float(-np.mean(np.sum(y * np.log(np.maximum(A, {eps!r})), axis=1)))",
}


def loss(function: str, form: str, eps: float) -> str:
    return f"def {function}(A, y):\n    {LOSSES[function, form].format(eps=eps)}\n"


@PROPERTY
@given(which=st.sampled_from(sorted(LOSSES)), exponent=st.floats(-15, -7), seed=st.integers(0, 2**31 - 1))
@example(which=("cross_entropy", "added"), exponent=-8.0, seed=521)  # a mismatch within float32 precision
@example(which=("cross_entropy", "added"), exponent=-7.0, seed=1)  # Keras's epsilon: it shifts small probabilities
def test_any_tiny_epsilon_added_or_clipping_scores_full(variants, which, exponent, seed):
    graded = variants.grade(loss(*which, 10.0 ** exponent), seed=seed)
    assert graded.lost() == {}, (which, exponent, graded.text(which[0]))


@pytest.mark.parametrize("which", sorted(LOSSES))
def test_an_epsilon_so_large_it_shifts_the_loss_is_named_and_costs_only_its_loss(variants, which):
    graded = variants.grade(loss(*which, 1e-2))
    assert set(graded.lost()) == {which[0]}, graded.lost()
    assert "epsilon too large: your loss is the blog's with epsilon = 0.01" in graded.text(which[0])


def test_an_epsilon_too_small_to_clip_with_is_named(variants):
    graded = variants.grade(loss("binary_cross_entropy", "clipped", 1e-18))
    assert set(graded.lost()) == {"binary_cross_entropy"}
    assert "too small to clip with" in graded.text("binary_cross_entropy")


# -- float32: accepted to its precision, or explained ------------------------------------------------------

FLOAT32 = {
    "sigmoid": "def sigmoid(Z):\n    Z = np.asarray(Z, dtype=np.float32)\n    return 1 / (1 + np.exp(-Z))\n",
    "relu": "def relu(Z):\n    return np.maximum(0, Z).astype(np.float32)\n",
    "softmax": "def softmax(Z):\n    Z = Z.astype(np.float32)\n    e = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
               "    return e / e.sum(axis=1, keepdims=True)\n",
    "matrix_multiply": "def matrix_multiply(X, W):\n    return X.astype(np.float32) @ W.astype(np.float32)\n",
    "normalize": "def normalize(X):\n    X = np.asarray(X, dtype=np.float32)\n    std = X.std(axis=0)\n"
                 "    return (X - X.mean(axis=0)) / np.where(std == 0, 1, std)\n",
    "conv2d": "def conv2d(image, filter_kernel, stride=1):\n    image = np.asarray(image, dtype=np.float32)\n"
              "    kernel = np.asarray(filter_kernel, dtype=np.float32)\n"
              "    return signal.convolve2d(image, kernel, mode='valid')[::stride, ::stride]\n",
}


@PROPERTY
@given(function=st.sampled_from(sorted(FLOAT32)), seed=st.integers(0, 2**31 - 1))
def test_a_float32_computation_is_accepted_to_its_precision(variants, function, seed):
    assignment = "part-4.2" if function == "conv2d" else "library"
    graded = variants.grade(FLOAT32[function], seed=seed, assignment=assignment)
    assert graded.lost() == {}, (function, graded.text(function))


def test_a_float32_result_beyond_float64_tolerance_is_accepted_with_a_note(variants):
    graded = variants.grade(FLOAT32["conv2d"], assignment="part-4.2")
    assert graded.lost() == {} and "was computed in float32 and agrees to its precision" in graded.text("conv2d")


def test_a_float64_result_computed_in_float32_is_explained(variants):
    graded = variants.grade(FLOAT32["conv2d"].replace("[::stride, ::stride]", "[::stride, ::stride].astype(float)"),
                            assignment="part-4.2")
    assert set(graded.lost()) == {"conv2d"}, graded.lost()
    assert "matches to float32 precision only" in graded.text("conv2d")


# -- lists, rounding -------------------------------------------------------------------------------------

def test_a_list_is_called_a_list_not_an_output_size_problem(variants):
    graded = variants.grade("def exercise_1():\n    return conv2d(IMAGE_4X4, AVERAGING_FILTER, stride=1).tolist()\n",
                            module="conv_exercises", assignment="part-4.2")
    assert set(graded.lost()) == {"exercise_1"}
    text = graded.text("exercise_1")
    assert "not a NumPy array" in text and "output size" not in text and "a list of 3 items" in text


def test_parameters_restored_by_arithmetic_are_named_as_such(variants):
    source = (variants.paths.mutants / "numerical_gradient_restored_by_arithmetic.py").read_text()
    graded = variants.grade(source)
    assert set(graded.lost()) == {"numerical_gradient"}
    text = graded.text("numerical_gradient")
    assert "parameters restored by arithmetic" in text and "differs by rounding only" in text
