"""gradient_descent takes the summed gradient of each mini-batch for W (not divided by its size)."""

import numpy as np

MODULE = "neural_network"
BREAKS = "gradient_descent"
HINT = "not divided by the batch size"


def gradient_descent(X, y, W, b, lr, num_epochs, batch_size, loss_fn, activation_fn=lambda x: x):
    n_samples = X.shape[0]
    loss_history = []
    for epoch in range(num_epochs):
        indices = np.random.permutation(n_samples)
        X_shuffled, y_shuffled = X[indices], y[indices]
        for start in range(0, n_samples, batch_size):
            X_batch, y_batch = X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]
            error = activation_fn(X_batch @ W + b) - y_batch
            W = W - lr * (X_batch.T @ error)
            b = b - lr * np.mean(error)
        loss_history.append(loss_fn(activation_fn(X @ W + b), y))
    return W, b, loss_history
