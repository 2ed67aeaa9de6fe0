"""conv2d loops one window short in each direction (range(H - fh) instead of range(H - fh + 1))."""

import numpy as np

MODULE = "neural_network"
BREAKS = "conv2d"
HINT = "off by one"


def conv2d(image, filter_kernel, stride=1):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(filter_kernel, dtype=float)[::-1, ::-1]
    fh, fw = kernel.shape
    rows = range(0, image.shape[0] - fh, stride)
    cols = range(0, image.shape[1] - fw, stride)
    return np.array([[np.sum(image[i:i + fh, j:j + fw] * kernel) for j in cols] for i in rows]).reshape(
        len(rows), len(cols))
