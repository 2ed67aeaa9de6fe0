"""binary_cross_entropy without an epsilon in the logs: probabilities of exactly 0 or 1 give nan."""

import numpy as np

MODULE = "neural_network"
BREAKS = "binary_cross_entropy"
HINT = "no epsilon"


def binary_cross_entropy(A, y):
    return float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))
