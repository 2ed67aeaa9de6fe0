"""forward_mlp_3layer returns the output logits Z3 instead of softmax(Z3)."""

MODULE = "neural_network"
BREAKS = "forward_mlp_3layer"
HINT = "output is the logits"


def forward_mlp_3layer(X, W1, b1, W2, b2, W3, b3):
    A1 = relu(X @ W1 + b1)  # noqa: F821 - the reference module's relu
    A2 = relu(A1 @ W2 + b2)  # noqa: F821
    return A1, A2, A2 @ W3 + b3
