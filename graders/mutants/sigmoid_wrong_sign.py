"""sigmoid with the wrong sign in the exponent."""

import numpy as np

MODULE = "neural_network"
BREAKS = "sigmoid"
HINT = "wrong sign in the exponent"


def sigmoid(Z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(Z))
