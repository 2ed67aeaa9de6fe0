"""A busy loop at import time: the module never finishes importing."""
import numpy as np


def conv2d(image, kernel, stride=1):
    return np.zeros((1, 1))


while True:
    pass
