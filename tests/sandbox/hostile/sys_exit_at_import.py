"""sys.exit(0) at import time, after a wrong conv2d."""
import sys

import numpy as np


def conv2d(image, kernel, stride=1):
    return np.zeros((1, 1))


sys.exit(0)
