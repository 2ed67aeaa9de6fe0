"""cross_entropy adds epsilon = 1e-3 inside the log: every loss is shifted."""

import numpy as np

MODULE = "neural_network"
BREAKS = "cross_entropy"
HINT = "epsilon too large"


def cross_entropy(A, y):
    return float(-np.mean(np.sum(y * np.log(A + 1e-3), axis=1)))
