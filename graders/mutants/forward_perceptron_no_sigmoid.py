"""forward_perceptron returns the linear output, without the sigmoid."""

MODULE = "neural_network"
BREAKS = "forward_perceptron"
HINT = "sigmoid is missing"


def forward_perceptron(X, W, b):
    return X @ W + b
