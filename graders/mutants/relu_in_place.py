"""relu zeroes the negative entries of its input in place."""

MODULE = "neural_network"
BREAKS = "relu"
HINT = "in place"


def relu(Z):
    Z[Z < 0] = 0
    return Z
