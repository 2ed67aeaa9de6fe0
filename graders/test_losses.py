"""mse_loss, binary_cross_entropy and cross_entropy (Parts 2-3): the checks and the mistakes they recognise."""

import numpy as np

from gradekit.checks import Mismatch, Mistake, as_plain, assert_matches, difference, note

# The blog adds epsilon = 1e-15 inside the logs. Any epsilon from 1e-18 to 1e-7, added or used to clip, is
# accepted (clipping to 1 - epsilon needs one that does not round 1 - epsilon to 1, about 6e-17 or more).
EPSILONS = (1e-7, 1e-18)
NO_EPSILON = ("no epsilon: np.log(0) is -inf (and 0 * np.log(0) is nan), so one probability of exactly 0 or 1 "
              "breaks the loss. Add a small epsilon inside the log, np.log(A + epsilon), with the blog's "
              "epsilon = 1e-15.")


def probed_epsilon(student, func, probe):
    """The epsilon a student's loss uses, read off its loss of one certain and wrong prediction: -log(epsilon)."""
    try:
        value = as_plain(student.call(func, *probe).value)
    except AssertionError:
        return None
    if value is None or value.shape != () or not np.isfinite(value) or not 0 < value < 745:
        return None
    return float(np.exp(-value))


def epsilon_variants(student, func, probe, value, expected, losses):
    """The blog's loss with the student's own epsilon (`losses`: form -> loss_with(eps), added or clipping):
    accepted for an epsilon from 1e-18 to 1e-7, named for one that shifts the loss. Asked only on a mismatch."""
    if difference(value, expected, "", 1e-6, 1e-8) is None:
        return []
    eps = probed_epsilon(student, func, probe)
    if eps is None or np.isclose(eps, 1e-15, rtol=1e-6, atol=0.0):  # atol=0: isclose's 1e-8 would take 1e-8 for 1e-15
        return []
    variants = []
    for form, loss_with in losses.items():
        compute = quiet(lambda loss_with=loss_with: loss_with(eps))
        if EPSILONS[1] <= eps <= EPSILONS[0]:
            variants.append(Mistake(f"your loss is the blog's with an epsilon of {eps:.3g} {form}.", compute,
                                    accepted=True))
            continue
        size = "large" if eps > EPSILONS[0] else "small"
        variants.append(Mistake(
            f"epsilon too {size}: your loss is the blog's with epsilon = {eps:.3g} {form}, which shifts it "
            f"({float(compute()):.6g} instead of {float(expected):.6g}). Epsilon only has to keep log() finite: use "
            "the blog's 1e-15 (anything from 1e-18 to 1e-7 is accepted).", compute))
    return variants


def quiet(compute):
    """compute() with NumPy's log(0) and 0 * inf warnings off: a mistake's nan is the point."""
    def run():
        with np.errstate(all="ignore"):
            return compute()
    return run


def check_log_loss(value, expected, loss_with, what, mistakes, epsilon=lambda: None):
    """A loss on exact 0/1 probabilities: finite, and the blog's up to the choice of epsilon (`epsilon()`: the
    student's, if it has one)."""
    got = as_plain(value)
    if got is not None and got.shape == () and not np.isfinite(got):
        eps = epsilon()
        hint = NO_EPSILON if eps is None or 1.0 - eps < 1.0 else (
            f"epsilon too small to clip with: 1 - {eps:.3g} rounds to 1.0 in float64, so log(1 - A) is still log(0) "
            "where A is exactly 1. Use the blog's epsilon = 1e-15 (anything from 1e-15 to 1e-7 works for clipping).")
        raise Mismatch(f"{what} is {float(got)} on probabilities that include exactly 0 and 1; the blog's is "
                       f"{float(expected):.6g}.", hint)
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


def bce_clipped(A, y, eps):
    return bce(np.clip(A, eps, 1 - eps), y, 0.0)


BCE_PROBE = (np.array([[0.0]]), np.array([[1.0]]))  # certain and wrong: the loss is -log(epsilon)


def bce_epsilons(student, A, y, value, expected):
    return epsilon_variants(student, "binary_cross_entropy", BCE_PROBE, value, expected,
                            {"added inside the logs": lambda eps: bce(A, y, eps),
                             "clipping the probabilities": lambda eps: bce_clipped(A, y, eps)})


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
    value, expected = student.binary_cross_entropy(A, y), reference.binary_cross_entropy(A, y)
    assert_matches(value, expected, what="the loss",
                   mistakes=bce_mistakes(A, y) + bce_epsilons(student, A, y, value, expected))


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
    value, expected = student.binary_cross_entropy(A, y), reference.binary_cross_entropy(A, y)
    check_log_loss(value, expected, lambda eps: bce(A, y, eps), "the loss",
                   bce_mistakes(A, y) + bce_epsilons(student, A, y, value, expected),
                   lambda: probed_epsilon(student, "binary_cross_entropy", BCE_PROBE))


# -- cross_entropy ----------------------------------------------------------------------------------

def ce(A, y, eps):
    with np.errstate(all="ignore"):
        return float(-np.mean(np.sum(y * np.log(A + eps), axis=1)))


def ce_clipped(A, y, eps):
    return ce(np.clip(A, eps, 1 - eps), y, 0.0)


CE_PROBE = (np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))  # certain and wrong: the loss is -log(epsilon)


def ce_epsilons(student, A, y, value, expected):
    return epsilon_variants(student, "cross_entropy", CE_PROBE, value, expected,
                            {"added inside the log": lambda eps: ce(A, y, eps),
                             "clipping the probabilities": lambda eps: ce_clipped(A, y, eps),
                             "raising each probability to at least epsilon":
                                 lambda eps: ce(np.maximum(A, eps), y, 0.0)})


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
    value, expected = student.cross_entropy(A, y), reference.cross_entropy(A, y)
    assert_matches(value, expected, what="the loss", mistakes=ce_mistakes(A, y) + ce_epsilons(student, A, y, value,
                                                                                             expected))


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
    value, expected = student.cross_entropy(A, y), reference.cross_entropy(A, y)
    check_log_loss(value, expected, lambda eps: ce(A, y, eps), "the loss",
                   ce_mistakes(A, y) + ce_epsilons(student, A, y, value, expected))
