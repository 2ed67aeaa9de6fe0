"""Named callables a grader may pass as arguments (loss and forward functions).

Known-good textbook helpers, so a grader can test one student function (gradient_descent,
numerical_gradient) without trusting another. Both sides resolve `Fn(name)` from this table.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


FUNCTIONS: dict[str, Callable] = {
    "identity": lambda z: z,
    "sigmoid": _sigmoid,
    "mse": lambda y_pred, y: float(np.mean((y_pred - y) ** 2)),
    "bce": lambda a, y: float(-np.mean(y * np.log(a + 1e-15) + (1 - y) * np.log(1 - a + 1e-15))),
    "linear": lambda X, p: X @ p["W"] + p["b"],
    "perceptron": lambda X, p: _sigmoid(X @ p["W"] + p["b"]),
}
