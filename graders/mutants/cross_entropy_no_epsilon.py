"""cross_entropy without an epsilon in the log: a probability of exactly 0 gives inf or nan."""

import numpy as np

MODULE = "neural_network"
BREAKS = "cross_entropy"
HINT = "no epsilon"


def cross_entropy(A, y):
    return float(-np.mean(np.sum(y * np.log(A), axis=1)))
