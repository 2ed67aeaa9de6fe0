"""Returns that are not arrays: a dict, a str, None, a list of objects, in turn."""
CALLS = []


def conv2d(image, kernel, stride=1):
    CALLS.append(1)
    return [{"shape": image.shape}, "42", None, [object(), object()]][len(CALLS) % 4]
