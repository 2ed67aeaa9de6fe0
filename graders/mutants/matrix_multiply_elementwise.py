"""matrix_multiply multiplies entry by entry (broadcasting where the shapes allow)."""

MODULE = "neural_network"
BREAKS = "matrix_multiply"
HINT = "element-wise product"


def matrix_multiply(X, W):
    return X * W
