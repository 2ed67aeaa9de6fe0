"""mse_loss, binary_cross_entropy and cross_entropy (Parts 2-3): the checks and the mistakes they recognise."""

import numpy as np

from gradekit.checks import Mismatch, Mistake, as_plain, assert_matches, note

# The blog adds epsilon = 1e-15 inside the logs. Any epsilon from 1e-18 to 1e-7, added or used to clip,
# keeps the loss finite and is accepted on exact 0 and 1 probabilities.
EPSILONS = (1e-7, 1e-18)
NO_EPSILON = ("no epsilon: np.log(0) is -inf (and 0 * np.log(0) is nan), so one probability of exactly 0 or 1 "
              "breaks the loss. Add a small epsilon inside the log, np.log(A + epsilon), with the blog's "
              "epsilon = 1e-15.")


def quiet(compute):
    """compute() with NumPy's log(0) and 0 * inf warnings off: a mistake's nan is the point."""
    def run():
        with np.errstate(all="ignore"):
            return compute()
    return run


def check_log_loss(value, expected, loss_with, what, mistakes):
    """A loss on exact 0/1 probabilities: finite, and the blog's up to the choice of epsilon."""
    got = as_plain(value)
    if got is not None and got.shape == () and not np.isfinite(got):
        raise Mismatch(f"{what} is {float(got)} on probabilities that include exactly 0 and 1; the blog's is "
                       f"{float(expected):.6g}.", NO_EPSILON)
    low, high = (loss_with(eps) for eps in EPSILONS)  # a larger epsilon gives a smaller loss
    if got is not None and got.shape == () and low * (1 - 1e-6) <= got <= high * (1 + 1e-6):
        if not np.isclose(got, expected, rtol=1e-6):
            note(f"Accepted: {what} is {float(got):.6g} with your epsilon, {float(expected):.6g} with the "
                 "blog's 1e-15.")
        return
    assert_matches(value, expected, what=what, mistakes=mistakes)


# -- mse_loss ---------------------------------------------------------------------------------------

def mse_mistakes(y_pred, y):
    return [
        Mistake("summed instead of averaged: the mean squared error divides by the number of values, np.mean.",
                lambda: np.sum((y_pred - y) ** 2)),
        Mistake("square root taken: that is the RMSE; the MSE is np.mean((y_pred - y) ** 2).",
                lambda: np.sqrt(np.mean((y_pred - y) ** 2))),
        Mistake("halved: the blog's MSE has no factor 1/2, np.mean((y_pred - y) ** 2).",
                lambda: np.mean((y_pred - y) ** 2) / 2),
        Mistake("absolute errors averaged (the MAE): square the errors, np.mean((y_pred - y) ** 2).",
                lambda: np.mean(np.abs(y_pred - y))),
        Mistake("the mean error was squared: square each error first, then average.",
                lambda: np.mean(y_pred - y) ** 2),
    ]


def check_mse(student, reference, y_pred, y):
    assert_matches(student.mse_loss(y_pred, y), reference.mse_loss(y_pred, y), what="the loss",
                   mistakes=mse_mistakes(y_pred, y))


def test_mse_column(student, reference, rng):
    """mse_loss: predictions and targets of shape (n, 1)"""
    check_mse(student, reference, rng.normal(0, 2, size=(9, 1)), rng.normal(0, 2, size=(9, 1)))


def test_mse_vector(student, reference, rng):
    """mse_loss: predictions and targets of shape (n,)"""
    check_mse(student, reference, rng.normal(0, 2, size=11), rng.normal(0, 2, size=11))


# -- binary_cross_entropy ---------------------------------------------------------------------------

def bce(A, y, eps):
    with np.errstate(all="ignore"):
        return float(-np.mean(y * np.log(A + eps) + (1 - y) * np.log(1 - A + eps)))


def bce_mistakes(A, y):
    return [
        Mistake(NO_EPSILON, quiet(lambda: bce(A, y, 0.0))),
        Mistake("summed instead of averaged over the samples: use np.mean.", lambda: bce(A, y, 1e-15) * y.size),
        Mistake("sign flipped: the loss is minus the mean log-likelihood, -np.mean(...), and is never negative.",
                lambda: -bce(A, y, 1e-15)),
        Mistake("the (1 - y) * log(1 - A) term is missing: it is the loss of the samples with label 0.",
                lambda: float(-np.mean(y * np.log(A + 1e-15)))),
    ]


def check_bce(student, reference, A, y):
    assert_matches(student.binary_cross_entropy(A, y), reference.binary_cross_entropy(A, y), what="the loss",
                   mistakes=bce_mistakes(A, y))


def labels_and_probabilities(rng, shape):
    return rng.uniform(0.02, 0.98, size=shape), rng.integers(0, 2, size=shape).astype(float)


def test_bce_column(student, reference, rng):
    """binary_cross_entropy: probabilities in (0, 1) and labels of shape (n, 1)"""
    check_bce(student, reference, *labels_and_probabilities(rng, (10, 1)))


def test_bce_vector(student, reference, rng):
    """binary_cross_entropy: probabilities and labels of shape (n,)"""
    check_bce(student, reference, *labels_and_probabilities(rng, 12))


def test_bce_exact_zero_and_one(student, reference, rng):
    """binary_cross_entropy: probabilities of exactly 0 and 1 give a finite loss"""
    A, y = labels_and_probabilities(rng, (8, 1))
    y[:4] = [[1.0], [0.0], [1.0], [0.0]]
    A[:4] = [[1.0], [0.0], [0.0], [1.0]]  # two certain and right, two certain and wrong
    check_log_loss(student.binary_cross_entropy(A, y), reference.binary_cross_entropy(A, y),
                   lambda eps: bce(A, y, eps), "the loss",
                   bce_mistakes(A, y))


# -- cross_entropy ----------------------------------------------------------------------------------

def ce(A, y, eps):
    with np.errstate(all="ignore"):
        return float(-np.mean(np.sum(y * np.log(A + eps), axis=1)))


def ce_mistakes(A, y):
    n, k = y.shape
    return [
        Mistake(NO_EPSILON, quiet(lambda: ce(A, y, 0.0))),
        Mistake("summed over the samples: average each sample's loss over the batch, "
                "-np.mean(np.sum(y * np.log(A + epsilon), axis=1)).", lambda: ce(A, y, 1e-15) * n),
        Mistake("averaged over the classes too: sum over the classes (axis=1), then average over the samples.",
                lambda: ce(A, y, 1e-15) / k),
        Mistake("sign flipped: the loss is minus the mean log-probability of the true class.",
                lambda: -ce(A, y, 1e-15)),
    ]


def one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def softmax_rows(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_ce(student, reference, A, y):
    assert_matches(student.cross_entropy(A, y), reference.cross_entropy(A, y), what="the loss",
                   mistakes=ce_mistakes(A, y))


def test_ce_softmax_output(student, reference, rng):
    """cross_entropy: softmax probabilities and one-hot labels"""
    check_ce(student, reference, softmax_rows(rng.normal(0, 2, size=(7, 4))), one_hot(rng, 7, 4))


def test_ce_single_sample(student, reference, rng):
    """cross_entropy: a batch of one sample with 10 classes"""
    check_ce(student, reference, softmax_rows(rng.normal(0, 2, size=(1, 10))), one_hot(rng, 1, 10))


def test_ce_exact_zero(student, reference, rng):
    """cross_entropy: probabilities of exactly 0 give a finite loss"""
    y = one_hot(rng, 6, 3)
    A = softmax_rows(rng.normal(0, 2, size=(6, 3)))
    A[0] = 1.0 - y[0]  # certain and wrong: probability 0 for the true class
    A[0] /= A[0].sum()
    A[1] = y[1]  # certain and right: probability 0 for the other classes
    check_log_loss(student.cross_entropy(A, y), reference.cross_entropy(A, y), lambda eps: ce(A, y, eps), "the loss",
                   ce_mistakes(A, y))
