"""conv2d writes into an array of the image's dtype: an integer image gives truncated (and wrapped) sums."""

import numpy as np

MODULE = "neural_network"
BREAKS = "conv2d"
HINT = "integer dtype"


def conv2d(image, filter_kernel, stride=1):
    image, kernel = np.asarray(image), np.asarray(filter_kernel)[::-1, ::-1]
    out_h = (image.shape[0] - kernel.shape[0]) // stride + 1
    out_w = (image.shape[1] - kernel.shape[1]) // stride + 1
    output = np.zeros((out_h, out_w), dtype=image.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = image[i * stride:i * stride + kernel.shape[0], j * stride:j * stride + kernel.shape[1]]
            output[i, j] = np.sum(window * kernel)
    return output
