"""softmax without subtracting each row's maximum: exp overflows for large logits."""

import numpy as np

MODULE = "neural_network"
BREAKS = "softmax"
HINT = "no max subtraction"


def softmax(Z):
    exp_Z = np.exp(Z)
    return exp_Z / np.sum(exp_Z, axis=1, keepdims=True)
