"""numerical_gradient with a one-sided (forward) difference instead of the central one."""

import numpy as np

MODULE = "neural_network"
BREAKS = "numerical_gradient"
HINT = "one-sided difference"


def numerical_gradient(X, y, params, loss_fn, forward_fn, h=1e-4):
    num_grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            original = value[idx]
            loss = loss_fn(forward_fn(X, params), y)
            value[idx] = original + h
            loss_plus = loss_fn(forward_fn(X, params), y)
            value[idx] = original
            grad[idx] = (loss_plus - loss) / h
        num_grads[name] = grad
    return num_grads
