"""conv2d applies the stride to the rows only."""

from scipy import signal as _signal

MODULE = "neural_network"
BREAKS = "conv2d"
HINT = "stride applied to the rows only"


def conv2d(image, filter_kernel, stride=1):
    return _signal.convolve2d(image, filter_kernel, mode="valid")[::stride]
