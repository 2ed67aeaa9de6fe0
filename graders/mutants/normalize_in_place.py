"""normalize modifies its input in place."""

import numpy as np

MODULE = "neural_network"
BREAKS = "normalize"
HINT = "modified its input in place"


def normalize(X):
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(float)
    std = np.std(X, axis=0)
    X -= np.mean(X, axis=0)
    X /= np.where(std == 0, 1, std)
    return X
