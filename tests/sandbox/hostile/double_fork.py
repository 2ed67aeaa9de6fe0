"""A double fork + setsid daemon that outlives the call and writes SENTINEL later."""
import os

import numpy as np

STARTED = []


def conv2d(image, kernel, stride=1):
    if not STARTED:
        STARTED.append(1)
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    os.execv("/bin/sh", ["sh", "-c", 'sleep 2; touch "$1"', "@MARKER@", "@SENTINEL@"])
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    return np.zeros((1, 1))
