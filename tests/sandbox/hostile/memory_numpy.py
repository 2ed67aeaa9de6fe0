"""A 128 GB numpy allocation in conv2d."""
import numpy as np


def conv2d(image, kernel, stride=1):
    return np.ones((1 << 34,))
