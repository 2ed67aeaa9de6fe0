"""gradient_descent walks the mini-batches in the same order every epoch (no shuffling)."""

import numpy as np

MODULE = "neural_network"
BREAKS = "gradient_descent"
HINT = "not shuffled"


def gradient_descent(X, y, W, b, lr, num_epochs, batch_size, loss_fn, activation_fn=lambda x: x):
    n_samples = X.shape[0]
    loss_history = []
    for epoch in range(num_epochs):
        for start in range(0, n_samples, batch_size):
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            error = activation_fn(X_batch @ W + b) - y_batch
            W = W - lr * (X_batch.T @ error) / X_batch.shape[0]
            b = b - lr * np.mean(error)
        loss_history.append(loss_fn(activation_fn(X @ W + b), y))
    return W, b, loss_history
