"""backward_mlp returns the gradients of the summed loss: nothing divided by n."""

import numpy as np

MODULE = "neural_network"
BREAKS = "backward_mlp"
HINT = "not divided by n"


def backward_mlp(X, A1, A2, y, W1, W2, Z1):
    delta2 = A2 - y
    grad_W2 = A1.T @ delta2
    grad_b2 = np.sum(delta2, axis=0, keepdims=True)
    delta1 = (delta2 @ W2.T) * (Z1 > 0)
    grad_W1 = X.T @ delta1
    grad_b1 = np.sum(delta1, axis=0, keepdims=True)
    return grad_W1, grad_b1, grad_W2, grad_b2
