"""cross_entropy sums the per-sample losses instead of averaging them."""

import numpy as np

MODULE = "neural_network"
BREAKS = "cross_entropy"
HINT = "summed over the samples"


def cross_entropy(A, y):
    return float(-np.sum(y * np.log(A + 1e-15)))
