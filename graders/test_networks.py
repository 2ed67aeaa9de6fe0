"""forward_perceptron and the MLPs' forward and backward passes (Parts 3-4.1): checks and known mistakes.

Backward passes are checked twice: against the reference, and against numerical gradients of the
mean cross-entropy computed here, so a slip in the reference would show too. Forward passes
accept results consistent with the student's own sigmoid, relu and softmax, which their own
checks grade; and a forward pass that fails (one of those raised, say) is checked again with the
course's sigmoid, relu and softmax standing in for the student's, and credited if right then:
one mistake loses points once.
"""

import numpy as np

from gradekit.checks import Fn, Mismatch, Mistake, assert_matches, assert_results_match, note

# -- the network, computed here (trusted) ----------------------------------------------------------


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def relu(Z):
    return np.maximum(0, Z)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(X, Ws, bs, hidden=relu, output=softmax):
    """Pre-activations and activations of every layer: ([Z1, ..., ZL], [A1, ..., AL])."""
    Zs, As, A = [], [], X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        A = output(Z) if i == len(Ws) - 1 else hidden(Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def mean_cross_entropy(X, y, Ws, bs):
    Z = forward(X, Ws, bs)[0][-1]
    log_p = Z - Z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * log_p, axis=1))


def numerical_gradients(X, y, Ws, bs, h=1e-6):
    """Central differences of the mean cross-entropy: (grad_W1, grad_b1, grad_W2, ...)."""
    Ws, bs = [W.copy() for W in Ws], [b.copy() for b in bs]
    grads = []
    for W, b in zip(Ws, bs):
        for p in (W, b):
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                original = p[idx]
                p[idx] = original + h
                plus = mean_cross_entropy(X, y, Ws, bs)
                p[idx] = original - h
                minus = mean_cross_entropy(X, y, Ws, bs)
                p[idx] = original
                g[idx] = (plus - minus) / (2 * h)
            grads.append(g)
    return tuple(grads)


def backprop(X, y, Ws, Zs, As, *, divide=True, bias="mean", derivative=lambda Z, A: Z > 0, masks=None):
    """The blog's backward pass for softmax + cross-entropy, with switches for the known mistakes."""
    n, inputs, delta, grads = X.shape[0], [X] + As[:-1], As[-1] - y, []
    masks = masks or [derivative(Z, A) for Z, A in zip(Zs[:-1], As[:-1])]
    for layer in reversed(range(len(Ws))):
        scale = n if divide else 1
        grad_b = {"mean": delta.sum(axis=0, keepdims=True) / scale, "sum": delta.sum(axis=0, keepdims=True),
                  "flat": delta.sum(axis=0) / scale}[bias]
        grads = [inputs[layer].T @ delta / scale, grad_b] + grads
        if layer:
            delta = (delta @ Ws[layer].T) * masks[layer - 1]
    return tuple(grads)


def network(rng, sizes, n, *, hidden_bias=0.0):
    """Inputs, one-hot labels, weights and biases of an MLP.

    No hidden pre-activation sits near ReLU's kink (numerical gradients stay exact), and every hidden
    layer has active and inactive units (so no gradient vanishes and each known mistake shows).
    """
    for _ in range(200):
        X = rng.standard_normal((n, sizes[0]))
        Ws = [rng.normal(0, 1 / np.sqrt(a), size=(a, b)) for a, b in zip(sizes, sizes[1:])]
        bs = [rng.normal(hidden_bias if i < len(sizes) - 2 else 0.0, 0.3, size=(1, b)) for i, b in enumerate(sizes[1:])]
        Zs, _ = forward(X, Ws, bs)
        if all(np.abs(Z).min() > 1e-3 and 0.1 <= (Z > 0).mean() <= 0.9 for Z in Zs[:-1]):
            break
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=n)]
    return X, y, Ws, bs


# -- a forward pass, credited given correct activations ------------------------------------------------

ACTIVATIONS = {"sigmoid": Fn("sigmoid"), "relu": Fn("relu"), "softmax": Fn("softmax")}  # graders/helpers.py


def check_given_activations(student, func, args, check):
    """check(student's func(*args)); if it fails, check again with the course's activations in place of the
    student's: a forward pass right given correct sigmoid, relu and softmax is credited (they have their own tests)."""
    try:
        return check(student.call(func, *args).value)
    except AssertionError as failure:
        first = failure
    try:
        check(student.call(func, *args, replace=ACTIVATIONS).value)
    except AssertionError as again:
        if getattr(first, "hint", None) is None and isinstance(again, Mismatch) and again.hint is not None:
            raise Mismatch(f"With the course's sigmoid, relu and softmax in place of yours: {again.public}",
                           again.hint, again.detail) from None
        raise first from None
    note(f"Accepted: {func} itself is right: it gives the expected result when the course's sigmoid, relu and "
         "softmax stand in for yours, which are graded on their own.")


# -- forward_perceptron -----------------------------------------------------------------------------

def check_perceptron(student, reference, X, W, b):
    Z = X @ W + b
    mistakes = [
        Mistake("consistent with your sigmoid: forward_perceptron itself is right (sigmoid is graded on its own).",
                lambda: student.sigmoid(Z), accepted=True),
        Mistake("the sigmoid is missing: the perceptron outputs sigmoid(X @ W + b), a probability.", lambda: Z),
        Mistake("the bias is missing: add b before the sigmoid, sigmoid(X @ W + b).", lambda: sigmoid(X @ W)),
        Mistake("ReLU used: the perceptron's activation is the sigmoid.", lambda: relu(Z)),
    ]
    expected = reference.forward_perceptron(X, W, b)
    check_given_activations(student, "forward_perceptron", (X, W, b),
                            lambda got: assert_matches(got, expected, what="the output", mistakes=mistakes))


def test_perceptron_batch(student, reference, rng):
    """forward_perceptron: sigmoid(X @ W + b) for a batch, b of shape (1, 1)"""
    check_perceptron(student, reference, rng.standard_normal((6, 3)), rng.standard_normal((3, 1)),
                     rng.standard_normal((1, 1)))


def test_perceptron_flat_bias(student, reference, rng):
    """forward_perceptron: b of shape (1,)"""
    check_perceptron(student, reference, rng.standard_normal((5, 4)), rng.standard_normal((4, 1)),
                     rng.standard_normal(1))


def test_perceptron_single_sample(student, reference, rng):
    """forward_perceptron: a batch of one sample gives shape (1, 1)"""
    check_perceptron(student, reference, rng.standard_normal((1, 2)), rng.standard_normal((2, 1)),
                     rng.standard_normal((1, 1)))


# -- forward_mlp and forward_mlp_3layer -------------------------------------------------------------

def forward_mistakes(student, X, Ws, bs):
    """Known wrong (A1, ..., AL) of a forward pass, and the one consistent with the student's own functions."""
    Zs, As = forward(X, Ws, bs)
    names = ", ".join(f"A{i}" for i in range(1, len(Ws) + 1))

    def own():
        A = X
        outputs = []
        for i, (W, b) in enumerate(zip(Ws, bs)):
            A = student.softmax(A @ W + b) if i == len(Ws) - 1 else student.relu(A @ W + b)
            outputs.append(A)
        return tuple(outputs)

    return [
        Mistake("consistent with your relu and softmax: the forward pass itself is right (relu and softmax are "
                "graded on their own).", own, accepted=True),
        Mistake("the hidden layers use the sigmoid: the blog's hidden layers use ReLU, relu(Z).",
                lambda: tuple(forward(X, Ws, bs, hidden=sigmoid)[1])),
        Mistake("ReLU is missing on the hidden layers: A = relu(Z), not Z.",
                lambda: tuple(forward(X, Ws, bs, hidden=lambda Z: Z)[1])),
        Mistake("the output layer uses the sigmoid: it is softmax(Z), one probability distribution per row.",
                lambda: tuple(forward(X, Ws, bs, output=sigmoid)[1])),
        Mistake("the output is the logits Z: apply softmax to the last layer.",
                lambda: tuple(forward(X, Ws, bs, output=lambda Z: Z)[1])),
        Mistake(f"pre-activations returned: return the activations ({names}) after ReLU, not Z.",
                lambda: tuple(Zs[:-1]) + (As[-1],)),
    ]


def check_forward(student, reference, func, X, Ws, bs):
    args = [X] + [p for pair in zip(Ws, bs) for p in pair]
    expected, names = getattr(reference, func)(*args), tuple(f"A{i}" for i in range(1, len(Ws) + 1))
    mistakes = forward_mistakes(student, X, Ws, bs)
    check_given_activations(student, func, args, lambda got: assert_results_match(got, expected, names, what=func,
                                                                                   mistakes=mistakes))


def check_forward_mlp(student, reference, X, Ws, bs):
    check_forward(student, reference, "forward_mlp", X, Ws, bs)


def check_forward_mlp_3layer(student, reference, X, Ws, bs):
    check_forward(student, reference, "forward_mlp_3layer", X, Ws, bs)


def test_forward_mlp_batch(student, reference, rng):
    """forward_mlp: ReLU hidden layer and softmax output on a small batch"""
    X, _, Ws, bs = network(rng, (4, 6, 3), 5)
    check_forward_mlp(student, reference, X, Ws, bs)


def test_forward_mlp_single_sample(student, reference, rng):
    """forward_mlp: a batch of one sample"""
    X, _, Ws, bs = network(rng, (3, 5, 4), 1)
    check_forward_mlp(student, reference, X, Ws, bs)


def test_forward_mlp_mnist_sized(student, reference, rng):
    """forward_mlp: 784 inputs and 10 classes, as for MNIST"""
    X, _, Ws, bs = network(rng, (784, 16, 10), 3)
    check_forward_mlp(student, reference, X, Ws, bs)


def test_forward_mlp_3layer_batch(student, reference, rng):
    """forward_mlp_3layer: two ReLU hidden layers and a softmax output on a small batch"""
    X, _, Ws, bs = network(rng, (4, 6, 5, 3), 5)
    check_forward_mlp_3layer(student, reference, X, Ws, bs)


def test_forward_mlp_3layer_single_sample(student, reference, rng):
    """forward_mlp_3layer: a batch of one sample"""
    X, _, Ws, bs = network(rng, (3, 4, 5, 4), 1)
    check_forward_mlp_3layer(student, reference, X, Ws, bs)


def test_forward_mlp_3layer_mnist_sized(student, reference, rng):
    """forward_mlp_3layer: 784 inputs and 10 classes, as for MNIST"""
    X, _, Ws, bs = network(rng, (784, 16, 8, 10), 3)
    check_forward_mlp_3layer(student, reference, X, Ws, bs)


# -- backward_mlp and backward_mlp_3layer -----------------------------------------------------------

NOT_DIVIDED = ("gradients not divided by n: the loss is the mean over the n = X.shape[0] samples, so divide "
               "each grad_W and grad_b by n (np.mean for the biases).")
SUMMED_BIAS = ("b gradients summed instead of averaged: grad_b = np.mean(delta, axis=0, keepdims=True), "
               "or the sum divided by n.")


def backward_mistakes(X, y, Ws, Zs, As):
    def run(**switches):
        return lambda: backprop(X, y, Ws, Zs, As, **switches)
    mistakes = [
        Mistake(NOT_DIVIDED, run(divide=False)),
        Mistake(SUMMED_BIAS, run(bias="sum")),
        Mistake("the b gradients lost their row axis: keep the shape (1, n_units) with "
                "np.mean(delta, axis=0, keepdims=True).", run(bias="flat")),
        Mistake("wrong ReLU derivative: A * (1 - A) is the sigmoid's derivative; ReLU's is 1 where Z > 0 and 0 "
                "elsewhere, (Z > 0).", run(derivative=lambda Z, A: A * (1 - A))),
        Mistake("ReLU derivative missing: multiply the back-propagated error by (Z > 0) at each hidden layer.",
                run(derivative=lambda Z, A: 1.0)),
        Mistake("wrong ReLU derivative: multiplied by the ReLU output A instead of its derivative (Z > 0).",
                run(derivative=lambda Z, A: A)),
    ]
    if len(Zs) == 3 and Zs[0].shape == Zs[1].shape:
        mistakes.append(Mistake("ReLU masks swapped: the error reaching hidden layer k is multiplied by (Zk > 0) "
                                "of that same layer.", run(masks=[Zs[1] > 0, Zs[0] > 0])))
    return mistakes


def call_backward(student_or_reference, X, y, Ws, Zs, As):
    if len(Ws) == 2:
        return student_or_reference.backward_mlp(X, As[0], As[1], y, Ws[0], Ws[1], Zs[0])
    return student_or_reference.backward_mlp_3layer(X, As[0], As[1], As[2], y, Ws[0], Ws[1], Ws[2], Zs[0], Zs[1])


def grad_names(layers):
    return tuple(f"grad_{p}{i}" for i in range(1, layers + 1) for p in ("W", "b"))


def check_backward(student, reference, X, y, Ws, bs, against="reference"):
    Zs, As = forward(X, Ws, bs)
    name = "backward_mlp" if len(Ws) == 2 else "backward_mlp_3layer"
    got = call_backward(student, X, y, Ws, Zs, As)
    if against == "reference":
        expected, tolerance = call_backward(reference, X, y, Ws, Zs, As), {}
    else:
        expected, tolerance = numerical_gradients(X, y, Ws, bs), {"rtol": 1e-5, "atol": 1e-7}
    assert_results_match(got, expected, grad_names(len(Ws)), what=name,
                         mistakes=backward_mistakes(X, y, Ws, Zs, As), **tolerance)


def test_backward_mlp_batch(student, reference, rng):
    """backward_mlp: gradients on a small batch match the blog's backward_mlp"""
    check_backward(student, reference, *network(rng, (4, 6, 3), 8))


def test_backward_mlp_numerical(student, reference, rng):
    """backward_mlp: gradients equal numerical gradients of the mean cross-entropy"""
    check_backward(student, reference, *network(rng, (3, 4, 3), 5), against="numerical")


def test_backward_mlp_inactive_units(student, reference, rng):
    """backward_mlp: hidden units with negative pre-activations pass no gradient back"""
    check_backward(student, reference, *network(rng, (4, 8, 3), 6, hidden_bias=-0.6))


def test_backward_mlp_3layer_batch(student, reference, rng):
    """backward_mlp_3layer: gradients on a small batch match the blog's backward_mlp_3layer"""
    check_backward(student, reference, *network(rng, (4, 5, 5, 3), 8))


def test_backward_mlp_3layer_numerical(student, reference, rng):
    """backward_mlp_3layer: gradients equal numerical gradients of the mean cross-entropy"""
    check_backward(student, reference, *network(rng, (3, 4, 4, 3), 5), against="numerical")


def test_backward_mlp_3layer_inactive_units(student, reference, rng):
    """backward_mlp_3layer: hidden units with negative pre-activations pass no gradient back"""
    check_backward(student, reference, *network(rng, (4, 6, 6, 3), 6, hidden_bias=-0.6))
