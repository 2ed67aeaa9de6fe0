"""matrix_multiply, sigmoid, relu and softmax (Parts 1-3): the checks and the mistakes they recognise."""

import numpy as np

from gradekit.checks import Mistake, assert_matches, assert_shape, assert_unchanged


def quiet(compute):
    """compute() with NumPy's overflow and 0/0 warnings off: a mistake's nan is the point."""
    def run():
        with np.errstate(all="ignore"):
            return compute()
    return run


# -- matrix_multiply --------------------------------------------------------------------------------

def matrix_multiply_mistakes(X, W):
    return [
        Mistake("element-wise product: X * W multiplies entry by entry; a matrix product is X @ W "
                "(or np.matmul(X, W), np.dot(X, W)).", lambda: X * W),
        Mistake("operands swapped: W @ X is not X @ W; the order of a matrix product matters.", lambda: W @ X),
        Mistake("transposed: this is (X @ W).T, or W.T @ X.T; return X @ W.", lambda: (X @ W).T),
    ]


def check_matrix_multiply(student, reference, X, W):
    assert_matches(student.matrix_multiply(X, W), reference.matrix_multiply(X, W), what="the product",
                   mistakes=matrix_multiply_mistakes(X, W))


def test_matrix_multiply_rectangular(student, reference, rng):
    """matrix_multiply: a (5, 3) matrix times a (3, 4) matrix"""
    check_matrix_multiply(student, reference, rng.standard_normal((5, 3)), rng.standard_normal((3, 4)))


def test_matrix_multiply_square(student, reference, rng):
    """matrix_multiply: two square 4x4 matrices (a true matrix product, in order)"""
    check_matrix_multiply(student, reference, rng.standard_normal((4, 4)), rng.standard_normal((4, 4)))


def test_matrix_multiply_column(student, reference, rng):
    """matrix_multiply: a batch times a weight column, as in a perceptron"""
    check_matrix_multiply(student, reference, rng.standard_normal((6, 3)), rng.standard_normal((3, 1)))


# -- sigmoid ----------------------------------------------------------------------------------------

def sigmoid_mistakes(Z):
    return [
        Mistake("wrong sign in the exponent: sigmoid(Z) = 1 / (1 + np.exp(-Z)).", quiet(lambda: 1 / (1 + np.exp(Z)))),
        Mistake("np.exp(Z) / (1 + np.exp(Z)) is inf / inf = nan for large Z: use 1 / (1 + np.exp(-Z)).",
                quiet(lambda: np.exp(Z) / (1 + np.exp(Z)))),
        Mistake("this is tanh, not the sigmoid: sigmoid(Z) = 1 / (1 + np.exp(-Z)).", lambda: np.tanh(Z)),
    ]


def check_sigmoid(student, reference, Z):
    assert_matches(student.sigmoid(Z), reference.sigmoid(Z), what="sigmoid(Z)", mistakes=sigmoid_mistakes(Z))


def test_sigmoid_values(student, reference, rng):
    """sigmoid: element-wise on a random (4, 5) array"""
    check_sigmoid(student, reference, rng.normal(0, 3, size=(4, 5)))


def test_sigmoid_shapes(student, reference, rng):
    """sigmoid: keeps the shape of a 1-D vector and of a 3-D array"""
    check_sigmoid(student, reference, rng.normal(0, 3, size=7))
    check_sigmoid(student, reference, rng.normal(0, 3, size=(2, 3, 2)))


def test_sigmoid_extremes(student, reference, rng):
    """sigmoid: inputs of +-800 give 1 and 0, not nan"""
    Z = rng.normal(0, 3, size=(3, 4))
    Z[0, :2], Z[1, 2:] = 800.0, -800.0
    check_sigmoid(student, reference, Z)


# -- relu -------------------------------------------------------------------------------------------

def relu_mistakes(Z):
    return [
        Mistake("this is ReLU's derivative (1 where Z > 0): relu returns the values max(0, Z), np.maximum(0, Z).",
                lambda: (Z > 0).astype(float)),
        Mistake("absolute value: negative inputs must become 0, np.maximum(0, Z).", lambda: np.abs(Z)),
        Mistake("np.minimum used: relu keeps the positive values, np.maximum(0, Z).", lambda: np.minimum(0, Z)),
    ]


def check_relu(student, reference, Z):
    assert_matches(student.relu(Z), reference.relu(Z), what="relu(Z)", mistakes=relu_mistakes(Z))


def test_relu_values(student, reference, rng):
    """relu: max(0, Z) on random values of both signs"""
    check_relu(student, reference, rng.standard_normal((5, 4)))


def test_relu_shapes(student, reference, rng):
    """relu: keeps the shape of a 1-D vector and of a 3-D array"""
    check_relu(student, reference, rng.standard_normal(9))
    check_relu(student, reference, rng.standard_normal((2, 2, 3)))


def test_relu_input_unchanged(student, rng):
    """relu: returns a new array of Z's shape and leaves Z unchanged"""
    Z = rng.standard_normal((4, 3))
    result = student.call("relu", Z, echo_args=True)
    assert_unchanged(Z, result.args_after[0], what="Z",
                     hint="relu set the negative entries of its input to 0 in place (e.g. Z[Z < 0] = 0): the "
                          "backward pass still needs Z. Return a new array, np.maximum(0, Z).")
    assert_shape(result.value, Z.shape, "relu(Z)")


# -- softmax ----------------------------------------------------------------------------------------

def softmax_over(Z, axis):
    """Softmax normalised over `axis` (None: the whole array), max-subtracted the same way."""
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_mistakes(Z):
    def over(axis):
        return quiet(lambda: softmax_over(Z, axis))
    return [
        Mistake("no max subtraction: np.exp(Z) overflows to inf for large logits (inf / inf = nan). Subtract each "
                "row's maximum first, Z - np.max(Z, axis=1, keepdims=True); softmax is unchanged by it.",
                quiet(lambda: np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True))),
        Mistake("the maximum of the whole array was subtracted, not each row's: a row far below it underflows to "
                "0 / 0. Use np.max(Z, axis=1, keepdims=True).",
                quiet(lambda: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum(axis=1, keepdims=True))),
        Mistake("softmax over the wrong axis: each row is one sample, so take the max and the sum over its classes "
                "with axis=1 (keepdims=True); axis=0 normalises the columns.", over(0)),
        Mistake("softmax over the wrong axis: the sum ran over the whole array; normalise each row with "
                "np.sum(..., axis=1, keepdims=True).", over(None)),
        Mistake("no max subtraction, and softmax over the wrong axis: normalise each row (axis=1, keepdims=True) "
                "after subtracting its maximum.", quiet(lambda: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True))),
    ]


def check_softmax(student, reference, Z):
    assert_matches(student.softmax(Z), reference.softmax(Z), what="softmax(Z)", mistakes=softmax_mistakes(Z))


def test_softmax_rows(student, reference, rng):
    """softmax: each row of random logits becomes probabilities that sum to 1"""
    check_softmax(student, reference, rng.normal(0, 2, size=(6, 4)))


def test_softmax_large_logits(student, reference, rng):
    """softmax: logits of +-1000 do not overflow"""
    Z = rng.normal(0, 2, size=(4, 5))
    Z[0] += 1000.0
    Z[1] -= 1000.0
    Z[2, rng.integers(0, 5)] = 1000.0
    check_softmax(student, reference, Z)


def test_softmax_single_sample(student, reference, rng):
    """softmax: a batch of one sample with 10 classes"""
    check_softmax(student, reference, rng.normal(0, 2, size=(1, 10)))


def test_softmax_tall_batch(student, reference, rng):
    """softmax: a batch with more samples than classes, one distribution per row"""
    check_softmax(student, reference, rng.normal(0, 2, size=(8, 3)))
