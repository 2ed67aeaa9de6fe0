"""A Python list that grows until memory runs out."""


def conv2d(image, kernel, stride=1):
    hoard = []
    for _ in range(100_000):  # ~100 GB if nothing stops it
        hoard.append(" " * 1_000_000)
    return hoard
