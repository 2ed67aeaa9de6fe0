"""binary_cross_entropy clips the probabilities with epsilon = 1e-3: every loss is shifted."""

import numpy as np

MODULE = "neural_network"
BREAKS = "binary_cross_entropy"
HINT = "epsilon too large"


def binary_cross_entropy(A, y):
    A = np.clip(A, 1e-3, 1 - 1e-3)
    return float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))
