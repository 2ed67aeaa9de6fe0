"""conv2d computed as a cross-correlation: the blog's formula, without flipping the kernel."""

from scipy import signal as _signal

MODULE = "neural_network"
BREAKS = "conv2d"
HINT = "kernel not flipped"


def conv2d(image, filter_kernel, stride=1):
    return _signal.correlate2d(image, filter_kernel, mode="valid")[::stride, ::stride]
