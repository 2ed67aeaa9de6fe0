"""KeyboardInterrupt and SystemExit raised at import time."""
import numpy as np


def conv2d(image, kernel, stride=1):
    raise SystemExit(3)


try:
    raise SystemExit(1)
finally:
    raise KeyboardInterrupt("stop the grader")
