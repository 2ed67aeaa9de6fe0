"""Huge returns: a 3.2 GB array, then an 18 MB one (over the reply cap), in turn."""
import numpy as np

CALLS = []


def conv2d(image, kernel, stride=1):
    CALLS.append(1)
    if len(CALLS) % 2:
        return np.zeros((20000, 20000))
    return np.ones((1500, 1500))
