"""A small handout: provided helpers, and two stubs to fill in."""

import numpy as np
from numpy.typing import NDArray

IMAGE = np.arange(36.0).reshape(6, 6)
KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def check_inputs(image: NDArray[np.floating], kernel: NDArray[np.floating], stride: int) -> None:
    """Provided: raise ValueError for inputs the exercises do not define."""
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got {image.shape} and {kernel.shape}")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel {kernel.shape} is larger than the image {image.shape}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")


def output_shape(image: NDArray[np.floating], kernel: NDArray[np.floating], stride: int) -> tuple[int, int]:
    """Provided: the shape of a 'valid' convolution's output."""
    rows = (image.shape[0] - kernel.shape[0]) // stride + 1
    cols = (image.shape[1] - kernel.shape[1]) // stride + 1
    return rows, cols


def conv2d(image: NDArray[np.floating], kernel: NDArray[np.floating], stride: int = 1) -> NDArray[np.floating]:
    """Exercise 1: a 'valid' convolution (kernel flipped) with a stride."""
    check_inputs(image, kernel, stride)
    k = kernel[::-1, ::-1]  # flip it: true convolution
    h, w = k.shape
    n_rows, n_cols = output_shape(image, kernel, stride)
    feature_map = np.zeros(
        (n_rows, n_cols)
    )
    for row in range(n_rows):
        for col in range(n_cols):
            y0, x0 = row * stride, col * stride   # top-left corner
            patch = image[y0:y0 + h,
                          x0:x0 + w]
            feature_map[row, col] = np.sum(patch * k)
    return feature_map


def max_pool(image: NDArray[np.floating], size: int = 2) -> NDArray[np.floating]:
    """Exercise 2: non-overlapping max pooling of size x size windows."""
    H, W = image.shape
    pooled = np.zeros((H // size, W // size))  # one value per window
    for a in range(pooled.shape[0]):
        for b in range(pooled.shape[1]):
            win = image[a * size:(a + 1) * size,
                        b * size:(b + 1) * size]
            pooled[a, b] = win.max()
    return pooled
