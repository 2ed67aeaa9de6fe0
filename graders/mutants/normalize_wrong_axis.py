"""normalize standardises each row (axis=1) instead of each column."""

import numpy as np

MODULE = "neural_network"
BREAKS = "normalize"
HINT = "wrong axis"


def normalize(X):
    mean = np.mean(X, axis=1, keepdims=True)
    std = np.std(X, axis=1, keepdims=True)
    return (X - mean) / np.where(std == 0, 1, std)
