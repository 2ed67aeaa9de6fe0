"""os._exit(3) in conv2d after forking a child that keeps the worker's reply pipe open."""
import os
import time


def conv2d(image, kernel, stride=1):
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
    os._exit(3)
