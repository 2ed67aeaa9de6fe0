"""backward_mlp_3layer sums the bias gradients over the batch instead of averaging them."""

import numpy as np

MODULE = "neural_network"
BREAKS = "backward_mlp_3layer"
HINT = "summed instead of averaged"


def backward_mlp_3layer(X, A1, A2, A3, y, W1, W2, W3, Z1, Z2):
    n = X.shape[0]
    delta3 = A3 - y
    grad_W3 = (A2.T @ delta3) / n
    grad_b3 = np.sum(delta3, axis=0, keepdims=True)
    delta2 = (delta3 @ W3.T) * (Z2 > 0)
    grad_W2 = (A1.T @ delta2) / n
    grad_b2 = np.sum(delta2, axis=0, keepdims=True)
    delta1 = (delta2 @ W2.T) * (Z1 > 0)
    grad_W1 = (X.T @ delta1) / n
    grad_b1 = np.sum(delta1, axis=0, keepdims=True)
    return grad_W1, grad_b1, grad_W2, grad_b2, grad_W3, grad_b3
