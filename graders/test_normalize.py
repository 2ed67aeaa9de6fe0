"""normalize (Part 1): the check and the mistakes it recognises, side by side."""

import numpy as np

from gradekit.checks import Mistake, assert_matches, assert_shape, assert_unchanged


def standardized(X, mean, std):
    """(X - mean) / std, leaving entries with std 0 at X - mean (which is 0 for a constant column)."""
    centered = np.asarray(X - mean, dtype=float)
    return np.divide(centered, std, out=centered.copy(), where=np.asarray(std) != 0)


def divided(numerator, denominator):
    """numerator / denominator as plain NumPy computes it, 0/0 = nan included."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


def normalize_mistakes(X):
    """Known wrong outputs of normalize(X)."""
    X = np.asarray(X, dtype=float)
    mean, std = X.mean(axis=0), X.std(axis=0)
    row_axis = ("wrong axis: normalise each column (one feature over all samples) with axis=0; axis=1 normalises "
                "each row.")
    return [
        Mistake("division by zero: a constant column has standard deviation 0, so (X - mean) / std is 0/0 = nan. "
                "Divide only where std != 0 (e.g. std = np.where(std == 0, 1, std)); a constant column becomes 0.",
                lambda: divided(X - mean, std)),
        Mistake(row_axis, lambda: standardized(X, X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True))),
        Mistake(row_axis, lambda: divided(X - X.mean(axis=1), X.std(axis=1))),  # no keepdims: square X only
        Mistake("wrong axis: one mean and one standard deviation of the whole array were used; the blog normalises "
                "each column separately with np.mean(X, axis=0) and np.std(X, axis=0).",
                lambda: standardized(X, X.mean(), X.std())),
        Mistake("sample standard deviation (ddof=1) used: the blog divides by np.std(X, axis=0), the population "
                "standard deviation (ddof=0).", lambda: standardized(X, mean, X.std(axis=0, ddof=1))),
        Mistake("only the mean was subtracted: also divide by each column's standard deviation.", lambda: X - mean),
        Mistake("only divided by the standard deviation: subtract each column's mean first.",
                lambda: standardized(X, 0.0, std)),
    ]


def check_normalize(student, reference, X):
    assert_matches(student.normalize(X), reference.normalize(X), what="the normalized array",
                   mistakes=normalize_mistakes(X))


def features(rng, n, d):
    """n samples of d features, each column with its own mean and scale."""
    return rng.normal(rng.uniform(-50, 50, size=d), rng.uniform(0.5, 20, size=d), size=(n, d))


def test_columns(student, reference, rng):
    """normalize: each column of a random data matrix gets mean 0 and standard deviation 1"""
    check_normalize(student, reference, features(rng, 12, 5))


def test_constant_column(student, reference, rng):
    """normalize: a constant column becomes 0 instead of nan (no division by zero)"""
    X = features(rng, 10, 4)
    X[:, rng.integers(0, 4)] = rng.integers(-5, 6)  # an integer: its mean is exact, so its std is exactly 0
    check_normalize(student, reference, X)


def test_integer_input(student, reference, rng):
    """normalize: a square integer matrix (such as pixel values) is normalized column by column"""
    X = rng.integers(0, 256, size=(6, 6))
    check_normalize(student, reference, X)


def test_input_unchanged(student, rng):
    """normalize: returns a new array of X's shape and leaves X unchanged"""
    X = features(rng, 9, 3)
    result = student.call("normalize", X, echo_args=True)
    assert_unchanged(X, result.args_after[0], what="X",
                     hint="normalize modified its input in place (e.g. X -= mean): compute a new array, "
                          "normalized_X = (X - mean) / std, and leave X as it was.")
    assert_shape(result.value, X.shape, "the normalized array")
