"""Named helper functions a grader may pass to a student's function (`Fn("mse")`): losses, forward passes.

Known-good textbook helpers, so a grader can test one student function (gradient_descent,
numerical_gradient) without trusting another. Every public function here is a helper by its
name; the kit loads this file (standard library and NumPy only) beside the student's code, in
the grading process, and in the nbgrader notebook's checks.
"""

import numpy as np


def identity(z):
    return z


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mse(y_pred, y):
    return float(np.mean((y_pred - y) ** 2))


def bce(a, y):
    return float(-np.mean(y * np.log(a + 1e-15) + (1 - y) * np.log(1 - a + 1e-15)))


def linear(X, p):
    return X @ p["W"] + p["b"]


def perceptron(X, p):
    return sigmoid(X @ p["W"] + p["b"])
