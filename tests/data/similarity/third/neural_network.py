"""A third student's own work for Part 4.2, written apart from the reference and the samples: the
functions that replace the handout's stubs (tests/similarity_set.py fills them in)."""

import numpy as np
from numpy.typing import NDArray


def conv2d(image: NDArray[np.floating], filter_kernel: NDArray[np.floating], stride: int = 1) -> NDArray[np.floating]:
    """Valid 2-D convolution: every window of the image times the flipped kernel, then every stride-th output."""
    if int(stride) != stride or stride <= 0:
        raise ValueError("stride has to be a positive whole number")
    pixels = np.asarray(image, dtype=np.float64)
    weights = np.flip(np.asarray(filter_kernel, dtype=np.float64))
    windows = np.lib.stride_tricks.sliding_window_view(pixels, weights.shape)
    full = np.einsum("rckl,kl->rc", windows, weights)
    return full[::stride, ::stride]
