"""mse_loss sums the squared errors instead of averaging them."""

import numpy as np

MODULE = "neural_network"
BREAKS = "mse_loss"
HINT = "summed instead of averaged"


def mse_loss(y_pred, y):
    return float(np.sum((y_pred - y) ** 2))
