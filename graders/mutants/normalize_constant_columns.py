"""normalize divides by a standard deviation of 0 for a constant column (0/0 = nan)."""

import numpy as np

MODULE = "neural_network"
BREAKS = "normalize"
HINT = "division by zero"


def normalize(X):
    return (X - np.mean(X, axis=0)) / np.std(X, axis=0)
