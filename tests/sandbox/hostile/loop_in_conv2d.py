"""An infinite loop in conv2d."""


def conv2d(image, kernel, stride=1):
    while True:
        pass
