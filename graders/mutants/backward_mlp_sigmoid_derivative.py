"""backward_mlp uses the sigmoid's derivative A1 * (1 - A1) for the ReLU hidden layer."""

import numpy as np

MODULE = "neural_network"
BREAKS = "backward_mlp"
HINT = "wrong ReLU derivative"


def backward_mlp(X, A1, A2, y, W1, W2, Z1):
    n = X.shape[0]
    delta2 = A2 - y
    grad_W2 = (A1.T @ delta2) / n
    grad_b2 = np.mean(delta2, axis=0, keepdims=True)
    delta1 = (delta2 @ W2.T) * A1 * (1 - A1)
    grad_W1 = (X.T @ delta1) / n
    grad_b1 = np.mean(delta1, axis=0, keepdims=True)
    return grad_W1, grad_b1, grad_W2, grad_b2
