"""forward_mlp uses the sigmoid on its hidden layer instead of ReLU."""

MODULE = "neural_network"
BREAKS = "forward_mlp"
HINT = "hidden layers use the sigmoid"


def forward_mlp(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1 + b1)  # noqa: F821 - the reference module's sigmoid
    return A1, softmax(A1 @ W2 + b2)  # noqa: F821
