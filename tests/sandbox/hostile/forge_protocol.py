"""Forged protocol writes: bytes written straight to the worker's reply pipe, a different forgery per call."""
import json
import os
import struct

import numpy as np

CALLS = []


def reply_pipes():
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                yield int(name)
        except OSError:
            pass


def frame(body):
    return struct.pack(">I", len(body)) + body


def zeros(shape):
    import base64
    return {"__nd__": ["<f8", list(shape), base64.b64encode(np.zeros(shape).tobytes()).decode()]}


FORGERIES = [
    lambda: frame(json.dumps({"ok": True, "value": zeros((1, 1)), "output": "x" * 10_000_000}).encode()),
    lambda: struct.pack(">I", 0xFFFFFFFF),
    lambda: frame(b"\x00\xff not json at all"),
    lambda: frame(b'{"ok":true,"value":NaN}'),
    lambda: frame(b"[" * 100_000),
    lambda: frame(json.dumps({"ok": False, "error": {"type": "X" * 10**6, "trace": ["t"] * 10**5,
                                                     "line": 10**400 % 7, "file": ["no"]}}).encode()),
    lambda: frame(json.dumps({"ok": True, "value": {"__nd__": ["|O", [1], "AAAA"]}}).encode()),
    lambda: b"\x00\x00",
]


def forge(data):
    for fd in reply_pipes():
        try:
            os.write(fd, data)
        except OSError:
            pass


forge(frame(json.dumps({"ok": True, "errors": {"neural_network": 12, "conv_exercises": "x"}}).encode()))


def conv2d(image, kernel, stride=1):
    CALLS.append(1)
    forge(FORGERIES[len(CALLS) % len(FORGERIES)]())
    return np.zeros((1, 1))
