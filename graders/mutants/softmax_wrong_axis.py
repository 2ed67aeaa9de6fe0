"""softmax normalised over the columns (axis=0) instead of each row."""

import numpy as np

MODULE = "neural_network"
BREAKS = "softmax"
HINT = "wrong axis"


def softmax(Z):
    exp_Z = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return exp_Z / np.sum(exp_Z, axis=0, keepdims=True)
