"""time.sleep(1000) in conv2d."""
import time


def conv2d(image, kernel, stride=1):
    time.sleep(1000)
