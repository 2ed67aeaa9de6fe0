"""conv2d (Part 4.2): the check and the mistakes it recognises, side by side."""

import numpy as np
import pytest
from scipy import signal

from gradekit.checks import Mistake, assert_matches


def conv2d_mistakes(image, kernel, stride, convention):
    """Known wrong outputs of conv2d(image, kernel, stride); the course's convention decides one."""
    valid = signal.convolve2d(image, kernel, mode="valid")
    corr = signal.correlate2d(image, kernel, mode="valid")
    flipped = [
        Mistake("kernel not flipped: this is a cross-correlation (the blog's formula), while the blog's code "
                "(scipy.signal.convolve2d) flips the kernel. Use convolve2d, or flip the kernel with "
                "kernel[::-1, ::-1].", lambda: corr[::stride, ::stride], accepted=convention == "either"),
    ]
    if convention == "cross-correlation":
        flipped = [Mistake("kernel flipped: this course grades the cross-correlation (the blog's formula), "
                           "without flipping the kernel.", lambda: valid[::stride, ::stride])]
    base = corr if convention == "cross-correlation" else valid
    return flipped + [
        Mistake("stride ignored: take every stride-th row and column of the 'valid' result, "
                "output[::stride, ::stride].", lambda: base),
        Mistake("stride applied to the rows only: slice both axes, output[::stride, ::stride].",
                lambda: base[::stride]),
        Mistake("stride starts at the wrong offset: the first output is at position 0, output[::stride, ::stride].",
                lambda: base[stride - 1::stride, stride - 1::stride]),
        Mistake("output size off by one: the last window that fits is missing; the size is "
                "floor((H - fh) / stride) + 1.", lambda: base[::stride, ::stride][:-1, :-1]),
        Mistake("stride applied to the input image before convolving: convolve first, then subsample.",
                lambda: signal.convolve2d(image[::stride, ::stride], kernel, mode="valid")),
        Mistake("padding used: the blog's conv2d is 'valid' (no padding), so the output shrinks by the kernel size "
                "minus one.", lambda: signal.convolve2d(image, kernel, mode="same")[::stride, ::stride]),
        Mistake("'full' mode used: the blog's conv2d uses mode='valid'.",
                lambda: signal.convolve2d(image, kernel, mode="full")[::stride, ::stride]),
        Mistake("the output kept the image's integer dtype (e.g. np.zeros_like(image) or dtype=image.dtype), so "
                "each sum was truncated (or wrapped around, for uint8): make the output a float array, "
                "np.zeros((out_h, out_w)).", lambda: base[::stride, ::stride].astype(np.asarray(image).dtype)),
    ]


def expected_conv2d(reference, image, kernel, stride, convention):
    if convention == "cross-correlation":
        return signal.correlate2d(image, kernel, mode="valid")[::stride, ::stride]
    return reference.conv2d(image, kernel, stride=stride)


def check_conv2d(student, reference, convention, image, kernel, stride):
    expected = expected_conv2d(reference, image, kernel, stride, convention)
    terms = np.abs(image).max() * np.abs(kernel).sum()  # the magnitude of what each output sums
    assert_matches(student.conv2d(image, kernel, stride=stride), expected, what="the feature map",
                   mistakes=conv2d_mistakes(image, kernel, stride, convention), scale=terms)


def edge_kernel(rng):
    """An asymmetric 3x3 kernel (like the blog's edge filters), so a missing flip shows."""
    kernel = rng.integers(-3, 4, size=(3, 3)).astype(float)
    kernel[0, 0], kernel[2, 2] = -2.0, 3.0
    return kernel


def test_edge_kernel(student, reference, convention, rng):
    """conv2d: an asymmetric 3x3 kernel on a 28x28 image, stride 1"""
    check_conv2d(student, reference, convention, rng.random((28, 28)) * 255, edge_kernel(rng), 1)


@pytest.mark.parametrize("stride", [2, 3])
def test_stride(student, reference, convention, rng, stride):
    """conv2d: stride {stride} on a 28x28 image"""
    check_conv2d(student, reference, convention, rng.random((28, 28)), edge_kernel(rng), stride)


def test_non_square(student, reference, convention, rng):
    """conv2d: a 2x4 kernel on a non-square 17x23 image, stride 2"""
    check_conv2d(student, reference, convention, rng.standard_normal((17, 23)), rng.standard_normal((2, 4)), 2)


def test_integer_image(student, reference, convention, rng):
    """conv2d: an integer (uint8) image such as MNIST's"""
    image = rng.integers(0, 256, size=(12, 10)).astype(np.uint8)
    kernel = rng.integers(-2, 3, size=(3, 2)).astype(np.int64)
    check_conv2d(student, reference, convention, image, kernel, 1)


def test_kernel_fills_image(student, reference, convention, rng):
    """conv2d: a kernel as large as the image gives a 1x1 map"""
    check_conv2d(student, reference, convention, rng.random((5, 4)), rng.standard_normal((5, 4)), 1)


def test_averaging_example(student, reference, convention):
    """conv2d: the blog's 4x4 image with the 2x2 averaging filter"""
    image = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]], dtype=float)
    check_conv2d(student, reference, convention, image, np.full((2, 2), 0.25), 1)
