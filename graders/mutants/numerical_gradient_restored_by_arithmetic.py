"""numerical_gradient puts each entry back by subtracting h again instead of assigning the saved value."""

import numpy as np

MODULE = "neural_network"
BREAKS = "numerical_gradient"
HINT = "restored by arithmetic"


def numerical_gradient(X, y, params, loss_fn, forward_fn, h=1e-4):
    num_grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            value[idx] += h
            loss_plus = loss_fn(forward_fn(X, params), y)
            value[idx] -= 2 * h
            loss_minus = loss_fn(forward_fn(X, params), y)
            value[idx] += h
            grad[idx] = (loss_plus - loss_minus) / (2 * h)
        num_grads[name] = grad
    return num_grads
