"""A background process in its own session that outlives the call and writes SENTINEL later."""
import subprocess

import numpy as np

STARTED = []


def conv2d(image, kernel, stride=1):
    if not STARTED:
        STARTED.append(subprocess.Popen(["sh", "-c", 'sleep 2; touch "$1"', "@MARKER@", "@SENTINEL@"],
                                        start_new_session=True))
    return np.zeros((1, 1))
