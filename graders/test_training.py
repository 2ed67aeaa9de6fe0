"""gradient_descent and numerical_gradient (Part 2): the checks and the mistakes they recognise.

Loss, activation and forward functions are passed as the course's named helpers (`Fn`, graders/helpers.py), so these
checks depend on the student's gradient_descent and numerical_gradient alone.
"""

import itertools

import numpy as np

import helpers
from gradekit.checks import Fn, Mismatch, Mistake, assert_matches, assert_results_match, assert_unchanged, difference

# -- gradient_descent -------------------------------------------------------------------------------

NOT_DIVIDED = ("gradients not divided by the batch size: the loss is a mean, so grad_W = X_batch.T @ error / "
               "batch_size_actual and grad_b = np.mean(error).")


UNFOLLOWED = ("the mini-batches are in an order the grader could not follow: shuffle at the start of each epoch "
              "with np.random.permutation(n_samples) as the blog does, or np.random.shuffle, a "
              "np.random.default_rng() generator's permutation or shuffle, or random.shuffle (the grader replays the "
              "blog's updates in the order your code drew).")
NOT_SHUFFLED = ("the data was not shuffled: the blog shuffles at the start of each epoch with "
                "indices = np.random.permutation(n_samples), then takes the mini-batches in that order.")
SHUFFLED_ONCE = ("shuffled once for all epochs: every epoch walks the mini-batches in the same order; draw a new "
                 "order at the start of each epoch, indices = np.random.permutation(n_samples).")
RESHUFFLED = ("each epoch reshuffles the previous epoch's order (an index array shuffled in place): each epoch is "
              "still in a fresh random order.")


def descend(X, y, W, b, lr, epochs, batch, loss, activation, orders, *, divisor="actual", bias="mean",
            drop_last=False):
    """The blog's mini-batch gradient descent, epoch k taking its rows in orders[k], with switches for the known
    mistakes."""
    loss_fn, act = getattr(helpers, loss), getattr(helpers, activation)
    n, history = X.shape[0], []
    for order in orders[:epochs]:
        for start in range(0, n - batch + 1 if drop_last else n, batch):
            rows = order[start:start + batch]
            error = act(X[rows] @ W + b) - y[rows]
            size = {"actual": len(rows), "batch_size": batch, "none": 1}[divisor]
            grad_b = {"mean": np.mean(error), "sum": np.sum(error), "scaled": np.sum(error) / size}[bias]
            W, b = W - lr * (X[rows].T @ error) / size, b - lr * grad_b
        history.append(loss_fn(act(X @ W + b), y))
    return W, b, history


def blog_orders(seed, n, epochs):
    """The orders of the blog's np.random.permutation(n_samples) per epoch, np.random seeded with `seed`."""
    shuffler = np.random.RandomState(seed)
    return [shuffler.permutation(n) for _ in range(epochs)]


def drawn_orders(draws, n):
    """The full orders of the n samples among a call's draws, one per shuffle: X and y permuted alike count once,
    and an order that leaves the samples as they were (as likely as 1 in n!) counts as no shuffle."""
    same = np.arange(n)
    full = [o for o in draws or [] if len(o) == n and np.array_equal(np.sort(o), same) and not np.array_equal(o, same)]
    return [o for i, o in enumerate(full) if i == 0 or not np.array_equal(o, full[i - 1])]


def descent_mistakes(run, orders):
    """Known wrong results of a descent through `orders`; run(orders, **switches) computes one."""
    def wrong(**switches):
        return lambda: run(orders, **switches)
    return [
        Mistake(NOT_DIVIDED, wrong(divisor="none", bias="sum")),
        Mistake(NOT_DIVIDED, wrong(divisor="none")),
        Mistake("grad_b summed instead of averaged over the batch: use np.mean(error).", wrong(bias="sum")),
        *(Mistake("divided by batch_size instead of the actual size of each batch: the last mini-batch can be "
                  "smaller, so divide by X_batch.shape[0].", wrong(divisor="batch_size", bias=bias))
          for bias in ("mean", "scaled")),
        Mistake("the last, smaller mini-batch was skipped: range(0, n_samples, batch_size) ends with a partial batch "
                "that still counts.", wrong(drop_last=True)),
    ]


def descent_expectations(reference, args, seed, draws, epochs):
    """What the descent should return, and the mistakes to name, given the orders the student's code drew.

    A shuffle the grader saw is replayed: the blog's updates in the student's own orders. Without one,
    the blog's own shuffles (np.random seeded) are expected, and a descent that does not shuffle is named.
    """
    X = args[0]
    n = X.shape[0]

    def run(orders, **switches):
        return descend(*args[:7], args[7].name, args[8].name, orders, **switches)
    orders, blog = drawn_orders(draws, n), blog_orders(seed, n, epochs)
    expected = reference.call("gradient_descent", *args, seed=seed).value  # in the blog's own orders
    if len(orders) >= epochs:
        fresh, reshuffled = orders[:epochs], list(itertools.accumulate(orders[:epochs], lambda a, o: a[o]))
        if not all(np.array_equal(o, b) for o, b in zip(fresh, blog)):
            expected = run(fresh)
        return expected, [Mistake(RESHUFFLED, lambda: run(reshuffled), accepted=True),
                          *descent_mistakes(run, fresh), *descent_mistakes(run, reshuffled)]
    mistakes = [*descent_mistakes(run, blog),
                Mistake(NOT_SHUFFLED, lambda: run([np.arange(n)] * epochs))]
    if len(orders) == 1:
        mistakes.append(Mistake(SHUFFLED_ONCE, lambda: run(orders * epochs)))
    return expected, mistakes


def check_descent(student, reference, rng, X, y, lr, epochs, batch, loss, activation):
    W = rng.normal(0, 0.1, size=(X.shape[1], 1))
    b = np.zeros((1, 1))
    seed = int(rng.integers(0, 2**31))
    args = (X, y, W, b, lr, epochs, batch, Fn(loss), Fn(activation))
    result = student.call("gradient_descent", *args, seed=seed, draws=True)
    got = result.value
    if isinstance(got, (tuple, list)) and len(got) == 3 and isinstance(got[2], np.ndarray) and got[2].ndim == 1:
        got = (got[0], got[1], list(got[2]))  # a loss history kept as a 1-D array is fine
    expected, mistakes = descent_expectations(reference, args, seed, result.draws, epochs)
    try:
        assert_results_match(got, expected, ("W", "b", "loss_history"), what="gradient_descent", mistakes=mistakes)
    except Mismatch as mismatch:
        if (mismatch.hint is None and not drawn_orders(result.draws, X.shape[0]) and batch < X.shape[0]
                and full_batch_right(student, reference, args, seed)):
            raise Mismatch(mismatch.public, UNFOLLOWED, mismatch.detail) from None
        raise


def full_batch_right(student, reference, args, seed):
    """Whether the student's descent matches the blog's with one batch per epoch (where order cannot matter)."""
    args = args[:6] + (args[0].shape[0],) + args[7:]
    try:
        got = student.call("gradient_descent", *args, seed=seed).value
    except AssertionError:
        return False
    expected = reference.call("gradient_descent", *args, seed=seed).value
    return isinstance(got, (tuple, list)) and len(got) == 3 and all(
        difference(g, e, "", 1e-6, 1e-8) is None for g, e in zip(got[:2], expected[:2]))


def regression_data(rng, n, d):
    X = rng.standard_normal((n, d))
    y = X @ rng.normal(0, 2, size=(d, 1)) + rng.normal() + rng.normal(0, 0.1, size=(n, 1))
    return X, y


def test_descent_full_batch(student, reference, rng):
    """gradient_descent: full-batch linear regression with MSE (one batch per epoch)"""
    X, y = regression_data(rng, 30, 3)
    check_descent(student, reference, rng, X, y, 0.1, 5, 30, "mse", "identity")


def test_descent_mini_batches(student, reference, rng):
    """gradient_descent: mini-batches under a fixed seed, MSE and identity activation"""
    X, y = regression_data(rng, 40, 3)
    check_descent(student, reference, rng, X, y, 0.05, 4, 8, "mse", "identity")


def test_descent_logistic(student, reference, rng):
    """gradient_descent: logistic regression with binary cross-entropy and sigmoid"""
    X = rng.standard_normal((40, 2))
    y = ((X @ rng.normal(0, 2, size=(2, 1)) + rng.normal(0, 0.5, size=(40, 1))) > 0).astype(float)
    check_descent(student, reference, rng, X, y, 0.2, 4, 10, "bce", "sigmoid")


def test_descent_partial_batch(student, reference, rng):
    """gradient_descent: a last mini-batch smaller than batch_size"""
    X, y = regression_data(rng, 38, 2)
    check_descent(student, reference, rng, X, y, 0.05, 3, 8, "mse", "identity")


# -- numerical_gradient -----------------------------------------------------------------------------

def finite_differences(X, y, params, loss, forward, h, scheme="central"):
    """Numerical gradients of loss(forward(X, params), y) by one of the difference schemes."""
    loss_fn, forward_fn = getattr(helpers, loss), getattr(helpers, forward)
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            original = value[idx]
            value[idx] = original + h
            plus = loss_fn(forward_fn(X, params), y)
            value[idx] = original - h
            minus = loss_fn(forward_fn(X, params), y)
            value[idx] = original
            base = loss_fn(forward_fn(X, params), y)
            grads[name][idx] = {"central": (plus - minus) / (2 * h), "forward": (plus - base) / h,
                                "backward": (base - minus) / h, "no_half": (plus - minus) / h}[scheme]
    return grads


def numerical_mistakes(X, y, params, loss, forward, h):
    one_sided = ("one-sided difference: (L(p + h) - L(p)) / h has an error of order h; use the central difference "
                 "(L(p + h) - L(p - h)) / (2 * h).")
    return [
        Mistake(one_sided, lambda: finite_differences(X, y, params, loss, forward, h, "forward")),
        Mistake(one_sided, lambda: finite_differences(X, y, params, loss, forward, h, "backward")),
        Mistake("divided by h instead of 2 * h: the central difference spans from p - h to p + h.",
                lambda: finite_differences(X, y, params, loss, forward, h, "no_half")),
        Mistake("the step h argument was ignored: perturb each entry by the h you are given (default 1e-4).",
                lambda: finite_differences(X, y, params, loss, forward, 1e-4)),
    ]


def linear_problem(rng):
    X, y = regression_data(rng, 6, 3)
    return X, y, {"W": rng.standard_normal((3, 1)), "b": rng.standard_normal((1, 1))}


def perceptron_problem(rng):
    X = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, size=(8, 1)).astype(float)
    return X, y, {"W": rng.normal(0, 0.5, size=(3, 1)), "b": rng.normal(0, 0.5, size=(1, 1))}


def check_numerical(student, reference, X, y, params, loss, forward, h=None):
    step = {} if h is None else {"h": h}
    got = student.numerical_gradient(X, y, params, Fn(loss), Fn(forward), **step)
    assert_matches(got, reference.numerical_gradient(X, y, params, Fn(loss), Fn(forward), **step),
                   what="gradients", mistakes=numerical_mistakes(X, y, params, loss, forward, h or 1e-4))
    return got


def test_numerical_linear_mse(student, reference, rng):
    """numerical_gradient: the MSE of a linear model, against the analytic gradient"""
    X, y, params = linear_problem(rng)
    got = check_numerical(student, reference, X, y, params, "mse", "linear")
    error = X @ params["W"] + params["b"] - y
    analytic = {"W": 2 * X.T @ error / error.size, "b": 2 * error.sum(keepdims=True) / error.size}
    assert_matches(got, analytic, what="gradients", rtol=1e-5, atol=1e-7)


def test_numerical_perceptron_bce(student, reference, rng):
    """numerical_gradient: the binary cross-entropy of a sigmoid perceptron, against the analytic gradient"""
    X, y, params = perceptron_problem(rng)
    got = check_numerical(student, reference, X, y, params, "bce", "perceptron")
    error = helpers.perceptron(X, params) - y
    analytic = {"W": X.T @ error / len(X), "b": error.mean(keepdims=True)}
    assert_matches(got, analytic, what="gradients", rtol=1e-4, atol=1e-6)


def test_numerical_step(student, reference, rng):
    """numerical_gradient: uses the step h it is given (h = 0.05)"""
    X, y, params = perceptron_problem(rng)
    check_numerical(student, reference, X, y, params, "bce", "perceptron", h=0.05)


LEFT_MUTATED = ("parameters left mutated: restore each entry after perturbing it, param[idx] = original_value "
                "(saved before the perturbation).")
RESTORED_BY_ARITHMETIC = ("parameters restored by arithmetic: adding and subtracting h again (p[idx] += h ... "
                          "p[idx] -= h) leaves a rounding error, so they come back almost but not exactly as they "
                          "were. Save the original value and assign it back, param[idx] = original_value.")


def unevenly_rounded(rng, shape, h=1e-4):
    """Small values that adding and subtracting h again does not restore exactly, in some entry, either usual way:
    p + h - h, then p - h + h; or p + h - 2 h + h."""
    for _ in range(1000):
        p = rng.normal(0, 1e-3, size=shape)
        one_way, other_way = ((p + h) - h - h) + h, ((p + h) - 2 * h) + h
        if (one_way != p).any() and (other_way != p).any():
            return p
    return p


def test_numerical_params_unchanged(student, rng):
    """numerical_gradient: leaves params exactly as it found them"""
    X, y, _ = linear_problem(rng)
    params = {"W": unevenly_rounded(rng, (3, 1)), "b": unevenly_rounded(rng, (1, 1))}
    result = student.call("numerical_gradient", X, y, params, Fn("mse"), Fn("linear"), echo_args=True)
    after = result.args_after[2]
    rounding = difference(after, params, "params", 1e-12, 0.0) is None
    assert_unchanged(params, after, what="params", hint=RESTORED_BY_ARITHMETIC if rounding else LEFT_MUTATED)
