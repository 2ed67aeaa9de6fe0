"""Patching the worker's own code: a garbage greeting and a forged encoder for the reply."""
import sys

import numpy as np

runner = sys.modules.get("__main__")
if runner is not None and hasattr(runner, "Worker"):
    runner.Worker.hello = lambda self: {"ok": True, "errors": {"neural_network": "nope", "conv_exercises": {
        "type": ["x"], "message": {"a": 1}, "line": "NaN", "file": 7, "trace": "x" * 10_000}}}
wire = sys.modules.get("wire")
if wire is not None:
    wire.encode = lambda value, depth=0: {"__nd__": ["<f8", [2**40, 2**40], ""]}


def conv2d(image, kernel, stride=1):
    return np.zeros((1, 1))
