"""numerical_gradient perturbs each entry but never restores it: params come back changed."""

import numpy as np

MODULE = "neural_network"
BREAKS = "numerical_gradient"
HINT = "parameters left mutated"


def numerical_gradient(X, y, params, loss_fn, forward_fn, h=1e-4):
    num_grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            original = value[idx]
            value[idx] = original + h
            loss_plus = loss_fn(forward_fn(X, params), y)
            value[idx] = original - h
            loss_minus = loss_fn(forward_fn(X, params), y)
            grad[idx] = (loss_plus - loss_minus) / (2 * h)
        num_grads[name] = grad
    return num_grads
