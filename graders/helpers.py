"""Named helper functions a grader may pass to a student's function (`Fn("mse")`): losses, forward passes.

Known-good textbook helpers, so a grader can test one student function (gradient_descent,
numerical_gradient) without trusting another, or check one again with a helper standing in for a
function of the student's that it calls (`replace={"softmax": Fn("softmax")}`: relu, softmax,
sigmoid, a convolution or cross-correlation). Every public function here is a helper by its
name; the kit loads this file (standard library and NumPy only) beside the student's code, in
the grading process, and in the nbgrader notebook's checks.
"""

import numpy as np


def identity(z):
    return z


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mse(y_pred, y):
    return float(np.mean((y_pred - y) ** 2))


def bce(a, y):
    return float(-np.mean(y * np.log(a + 1e-15) + (1 - y) * np.log(1 - a + 1e-15)))


def linear(X, p):
    return X @ p["W"] + p["b"]


def perceptron(X, p):
    return sigmoid(X @ p["W"] + p["b"])


def relu(z):
    return np.maximum(0, z)


def softmax(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def _slide(image, kernel, stride):
    """Every kernel-sized window of image times kernel, summed ('valid' mode), every stride-th one."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    height, width = image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    out = np.zeros((height, width))
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * image[i:i + height, j:j + width]
    return out[::stride, ::stride]


def convolution(image, kernel, stride=1):
    """A true 2-D convolution (the kernel flipped, as scipy.signal.convolve2d), 'valid' mode."""
    return _slide(image, np.asarray(kernel)[::-1, ::-1], stride)


def cross_correlation(image, kernel, stride=1):
    """A 2-D cross-correlation (the kernel as it is), 'valid' mode."""
    return _slide(image, kernel, stride)
