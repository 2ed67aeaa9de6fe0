"""Writes a 1 GB file, in the working folder and in the temporary folder."""
import os
import tempfile

import numpy as np

CHUNK = b"\0" * (1 << 20)


def conv2d(image, kernel, stride=1):
    written = 0
    for path in ("big.bin", os.path.join(tempfile.gettempdir(), "big-too.bin")):
        try:
            with open(path, "wb") as out:
                for _ in range(1024):
                    out.write(CHUNK)
                    written += len(CHUNK)
        except OSError:
            pass
    return np.full((1, 1), written)
