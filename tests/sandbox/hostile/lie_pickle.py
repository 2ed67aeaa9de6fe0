"""A pickle whose unpickling would create a file: as bytes, then as a uint8 array, in turn."""
import pickle

import numpy as np

CALLS = []


class Payload:
    def __reduce__(self):
        return (open, ("@SENTINEL@", "w"))


def conv2d(image, kernel, stride=1):
    CALLS.append(1)
    data = pickle.dumps(Payload())
    return data if len(CALLS) % 2 else np.frombuffer(data, dtype=np.uint8)
