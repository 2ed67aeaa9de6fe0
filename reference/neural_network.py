"""The NumPy neural-network library of "Learn Deep Learning with NumPy" (Parts 1 to 4.2).

In the instructor's reference (reference/) each function's solution sits between the
`### BEGIN SOLUTION` and `### END SOLUTION` markers. The student handout (exercises/, written
by `python cli.py release`) has `raise NotImplementedError(...)` in their place: replace that
line by your code.
"""

import numpy as np
from numpy.typing import NDArray
from typing import Callable, Tuple, List, Dict
from scipy import signal


def normalize(X: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Normalize each column of X to mean 0 and standard deviation 1.
    Args:
        X: Input array of shape (n_samples, n_features); integer arrays are converted to float
    Returns:
        A new array of the same shape; columns with standard deviation 0 are only
        mean-subtracted (they become 0). X itself is not modified.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(float)
    mean = np.mean(X, axis=0)
    std = np.std(X, axis=0)
    # A constant column's std can round to 1e-17 instead of 0, so test the values' range.
    constant = np.ptp(X, axis=0) == 0
    normalized_X = np.where(constant, 0.0, (X - mean) / np.where(constant, 1.0, std))  # a new array
    return normalized_X
    ### END SOLUTION


def matrix_multiply(X: NDArray[np.floating], W: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Perform matrix multiplication between two arrays.
    Args:
        X: First input array/matrix of shape (m, n) with floating-point values
        W: Second input array/matrix of shape (n, p) with floating-point values
    Returns:
        Result of matrix multiplication, shape (m, p) with floating-point values
    """
    ### BEGIN SOLUTION
    return np.matmul(X, W)
    ### END SOLUTION


def sigmoid(Z: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Compute the sigmoid activation function element-wise.
    Args:
        Z: Input array of any shape with floating-point values
    Returns:
        Array of the same shape with sigmoid applied element-wise, values in [0, 1]
    """
    ### BEGIN SOLUTION
    with np.errstate(over="ignore"):  # exp(-Z) = inf for very negative Z gives exactly 0
        return 1 / (1 + np.exp(-Z))
    ### END SOLUTION


def relu(Z: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Compute the ReLU activation function element-wise.
    Args:
        Z: Input array of any shape with floating-point values
    Returns:
        Array of the same shape with ReLU applied element-wise, max(0, Z)
    """
    ### BEGIN SOLUTION
    return np.maximum(0, Z)
    ### END SOLUTION


def softmax(Z: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Compute the softmax activation function row-wise.
    Args:
        Z: Input array of shape (n_samples, n_classes) with floating-point values
    Returns:
        Array of the same shape with softmax applied row-wise, probabilities summing to 1 per row
    """
    ### BEGIN SOLUTION
    Z_max = np.max(Z, axis=1, keepdims=True)  # subtracting the row maximum avoids overflow
    exp_Z = np.exp(Z - Z_max)
    sum_exp_Z = np.sum(exp_Z, axis=1, keepdims=True)
    return exp_Z / sum_exp_Z
    ### END SOLUTION


def mse_loss(y_pred: NDArray[np.floating], y: NDArray[np.floating]) -> float:
    """
    Compute the Mean Squared Error loss between predicted and true values.
    Args:
        y_pred: Predicted values, array of shape (n,) or (n,1) with floating-point values
        y: True values, array of shape (n,) or (n,1) with floating-point values
    Returns:
        Mean squared error as a single float
    """
    ### BEGIN SOLUTION
    return float(np.mean((y_pred - y) ** 2))
    ### END SOLUTION


def binary_cross_entropy(A: NDArray[np.floating], y: NDArray[np.floating]) -> float:
    """
    Compute the Binary Cross-Entropy loss between predicted probabilities and true labels.
    Args:
        A: Predicted probabilities (after sigmoid), array of shape (n,) or (n,1), values in [0, 1]
        y: True binary labels, array of shape (n,) or (n,1), values in {0, 1}
    Returns:
        Binary cross-entropy loss as a single float
    """
    ### BEGIN SOLUTION
    epsilon = 1e-15  # keeps log() finite when a probability is exactly 0 or 1
    return float(-np.mean(y * np.log(A + epsilon) + (1 - y) * np.log(1 - A + epsilon)))
    ### END SOLUTION


def cross_entropy(A: NDArray[np.floating], y: NDArray[np.floating]) -> float:
    """
    Compute categorical cross-entropy loss for multi-class classification.
    Args:
        A: Predicted probabilities after softmax, shape (n_samples, n_classes)
        y: True labels, one-hot encoded, shape (n_samples, n_classes)
    Returns:
        Cross-entropy loss as a single float
    """
    ### BEGIN SOLUTION
    epsilon = 1e-15  # keeps log() finite when a probability is exactly 0
    return float(-np.mean(np.sum(y * np.log(A + epsilon), axis=1)))
    ### END SOLUTION


def gradient_descent(X: NDArray[np.floating], y: NDArray[np.floating], W: NDArray[np.floating],
                     b: NDArray[np.floating], lr: float, num_epochs: int, batch_size: int,
                     loss_fn: Callable[[NDArray[np.floating], NDArray[np.floating]], float],
                     activation_fn: Callable[[NDArray[np.floating]], NDArray[np.floating]] = lambda x: x) -> Tuple[NDArray[np.floating], NDArray[np.floating], List[float]]:
    """
    Perform mini-batch gradient descent to minimize loss.
    Args:
        X: Input data, shape (n_samples, n_features)
        y: True values, shape (n_samples, 1)
        W: Initial weights, shape (n_features, 1)
        b: Initial bias, shape (1,) or (1,1)
        lr: Learning rate, step size for updates
        num_epochs: Number of full passes through the dataset
        batch_size: Size of each mini-batch
        loss_fn: Loss function to compute error, e.g., mse_loss or binary_cross_entropy
        activation_fn: Activation function to apply to linear output (default: identity)
    Returns:
        Tuple of (updated W, updated b, list of loss values over epochs)
    """
    ### BEGIN SOLUTION
    n_samples = X.shape[0]
    loss_history = []

    for epoch in range(num_epochs):
        indices = np.random.permutation(n_samples)
        X_shuffled = X[indices]
        y_shuffled = y[indices]

        for start_idx in range(0, n_samples, batch_size):
            end_idx = min(start_idx + batch_size, n_samples)
            X_batch = X_shuffled[start_idx:end_idx]
            y_batch = y_shuffled[start_idx:end_idx]
            batch_size_actual = X_batch.shape[0]

            Z_batch = X_batch @ W + b
            error = activation_fn(Z_batch) - y_batch
            grad_W = (X_batch.T @ error) / batch_size_actual
            grad_b = np.mean(error)
            W = W - lr * grad_W  # new arrays: the caller's W and b are not modified
            b = b - lr * grad_b

        loss = loss_fn(activation_fn(X @ W + b), y)
        loss_history.append(loss)
        print(f"Epoch {epoch+1}/{num_epochs}, Loss: {loss:.4f}")

    return W, b, loss_history
    ### END SOLUTION


def numerical_gradient(X: NDArray[np.floating], y: NDArray[np.floating], params: Dict[str, NDArray[np.floating]],
                       loss_fn: Callable[[NDArray[np.floating], NDArray[np.floating]], float],
                       forward_fn: Callable[[NDArray[np.floating], Dict[str, NDArray[np.floating]]], NDArray[np.floating]],
                       h: float = 1e-4) -> Dict[str, NDArray[np.floating]]:
    """
    Compute numerical gradients for parameters using central difference approximation.
    Args:
        X: Input data, shape (n_samples, n_features)
        y: True values, shape (n_samples, 1)
        params: Dictionary of parameters (e.g., {'W': ..., 'b': ...}); each element is
            perturbed in place and restored, so params are left exactly as found
        loss_fn: Loss function to compute error, e.g., mse_loss
        forward_fn: Function to compute predictions from X and params
        h: Step size for finite difference approximation (default: 1e-4)
    Returns:
        Dictionary of numerical gradients for each parameter
    """
    ### BEGIN SOLUTION
    num_grads = {}

    for param_name, param_value in params.items():
        num_grad = np.zeros_like(param_value)
        for idx in np.ndindex(param_value.shape):
            original_value = param_value[idx]
            try:
                param_value[idx] = original_value + h
                loss_plus = loss_fn(forward_fn(X, params), y)
                param_value[idx] = original_value - h
                loss_minus = loss_fn(forward_fn(X, params), y)
            finally:
                param_value[idx] = original_value  # restored even if forward_fn raises
            num_grad[idx] = (loss_plus - loss_minus) / (2 * h)
        num_grads[param_name] = num_grad

    return num_grads
    ### END SOLUTION


def forward_perceptron(X: NDArray[np.floating], W: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.floating]:
    """
    Compute the forward pass of a single-layer perceptron.
    Args:
        X: Input data, shape (n_samples, n_features)
        W: Weights, shape (n_features, 1)
        b: Bias, shape (1, 1) or (1,)
    Returns:
        Output after sigmoid activation, shape (n_samples, 1)
    """
    ### BEGIN SOLUTION
    Z = X @ W + b  # Linear combination
    return sigmoid(Z)
    ### END SOLUTION


def forward_mlp(X: NDArray[np.floating], W1: NDArray[np.floating], b1: NDArray[np.floating],
                W2: NDArray[np.floating], b2: NDArray[np.floating]) -> Tuple[NDArray[np.floating], NDArray[np.floating]]:
    """
    Compute the forward pass of a 2-layer MLP.
    Args:
        X: Input data, shape (n_samples, n_features, e.g., 784 for MNIST)
        W1: Weights for first layer, shape (n_features, n_hidden, e.g., 784x256)
        b1: Bias for first layer, shape (1, n_hidden)
        W2: Weights for second layer, shape (n_hidden, n_classes, e.g., 256x10)
        b2: Bias for second layer, shape (1, n_classes)
    Returns:
        Tuple of (A1, A2):
        - A1: Hidden layer output after ReLU, shape (n_samples, n_hidden)
        - A2: Output layer output after softmax, shape (n_samples, n_classes)
    """
    ### BEGIN SOLUTION
    Z1 = X @ W1 + b1  # First layer linear combination
    A1 = relu(Z1)  # ReLU activation for hidden layer
    Z2 = A1 @ W2 + b2  # Second layer linear combination
    A2 = softmax(Z2)  # Softmax activation for output layer
    return A1, A2
    ### END SOLUTION


def backward_mlp(X: NDArray[np.floating], A1: NDArray[np.floating], A2: NDArray[np.floating],
                 y: NDArray[np.floating], W1: NDArray[np.floating], W2: NDArray[np.floating],
                 Z1: NDArray[np.floating]) -> Tuple[NDArray[np.floating], NDArray[np.floating], NDArray[np.floating], NDArray[np.floating]]:
    """
    Compute gradients for a 2-layer MLP using backpropagation.
    Args:
        X: Input data, shape (n_samples, n_features)
        A1: Hidden layer output after ReLU, shape (n_samples, n_hidden)
        A2: Output layer output after softmax, shape (n_samples, n_classes)
        y: True labels, one-hot encoded, shape (n_samples, n_classes)
        W1: Weights for first layer, shape (n_features, n_hidden)
        W2: Weights for second layer, shape (n_hidden, n_classes)
        Z1: Pre-activation values for hidden layer, shape (n_samples, n_hidden)
    Returns:
        Tuple of gradients (grad_W1, grad_b1, grad_W2, grad_b2) of the mean cross-entropy
    """
    ### BEGIN SOLUTION
    n = X.shape[0]

    delta2 = A2 - y  # softmax + cross-entropy error, shape (n_samples, n_classes)
    grad_W2 = (A1.T @ delta2) / n
    grad_b2 = np.mean(delta2, axis=0, keepdims=True)

    delta1 = (delta2 @ W2.T) * (Z1 > 0)  # ReLU derivative: 1 if Z1 > 0, 0 otherwise
    grad_W1 = (X.T @ delta1) / n
    grad_b1 = np.mean(delta1, axis=0, keepdims=True)

    return grad_W1, grad_b1, grad_W2, grad_b2
    ### END SOLUTION


def forward_mlp_3layer(X: NDArray[np.floating], W1: NDArray[np.floating], b1: NDArray[np.floating],
                       W2: NDArray[np.floating], b2: NDArray[np.floating],
                       W3: NDArray[np.floating], b3: NDArray[np.floating]) -> Tuple[NDArray[np.floating], NDArray[np.floating], NDArray[np.floating]]:
    """
    Compute the forward pass of a 3-layer MLP.
    Args:
        X: Input data, shape (n_samples, n_features, e.g., 784 for MNIST)
        W1: Weights for first layer, shape (n_features, n_hidden1, e.g., 784x256)
        b1: Bias for first layer, shape (1, n_hidden1)
        W2: Weights for second layer, shape (n_hidden1, n_hidden2, e.g., 256x128)
        b2: Bias for second layer, shape (1, n_hidden2)
        W3: Weights for third layer, shape (n_hidden2, n_classes, e.g., 128x10)
        b3: Bias for third layer, shape (1, n_classes)
    Returns:
        Tuple of (A1, A2, A3):
        - A1: First hidden layer output after ReLU, shape (n_samples, n_hidden1)
        - A2: Second hidden layer output after ReLU, shape (n_samples, n_hidden2)
        - A3: Output layer output after softmax, shape (n_samples, n_classes)
    """
    ### BEGIN SOLUTION
    Z1 = X @ W1 + b1
    A1 = relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = relu(Z2)
    Z3 = A2 @ W3 + b3
    A3 = softmax(Z3)
    return A1, A2, A3
    ### END SOLUTION


def backward_mlp_3layer(X: NDArray[np.floating], A1: NDArray[np.floating], A2: NDArray[np.floating],
                        A3: NDArray[np.floating], y: NDArray[np.floating],
                        W1: NDArray[np.floating], W2: NDArray[np.floating], W3: NDArray[np.floating],
                        Z1: NDArray[np.floating], Z2: NDArray[np.floating]) -> Tuple[NDArray[np.floating], NDArray[np.floating], NDArray[np.floating], NDArray[np.floating], NDArray[np.floating], NDArray[np.floating]]:
    """
    Compute gradients for a 3-layer MLP using backpropagation.
    Args:
        X: Input data, shape (n_samples, n_features)
        A1: First hidden layer output after ReLU, shape (n_samples, n_hidden1)
        A2: Second hidden layer output after ReLU, shape (n_samples, n_hidden2)
        A3: Output layer output after softmax, shape (n_samples, n_classes)
        y: True labels, one-hot encoded, shape (n_samples, n_classes)
        W1: Weights for first layer, shape (n_features, n_hidden1)
        W2: Weights for second layer, shape (n_hidden1, n_hidden2)
        W3: Weights for third layer, shape (n_hidden2, n_classes)
        Z1: Pre-activation values for first hidden layer, shape (n_samples, n_hidden1)
        Z2: Pre-activation values for second hidden layer, shape (n_samples, n_hidden2)
    Returns:
        Tuple of gradients (grad_W1, grad_b1, grad_W2, grad_b2, grad_W3, grad_b3) of the
        mean cross-entropy
    """
    ### BEGIN SOLUTION
    n = X.shape[0]

    delta3 = A3 - y  # softmax + cross-entropy error, shape (n_samples, n_classes)
    grad_W3 = (A2.T @ delta3) / n
    grad_b3 = np.mean(delta3, axis=0, keepdims=True)

    delta2 = (delta3 @ W3.T) * (Z2 > 0)  # ReLU derivative: 1 if Z2 > 0, 0 otherwise
    grad_W2 = (A1.T @ delta2) / n
    grad_b2 = np.mean(delta2, axis=0, keepdims=True)

    delta1 = (delta2 @ W2.T) * (Z1 > 0)  # ReLU derivative: 1 if Z1 > 0, 0 otherwise
    grad_W1 = (X.T @ delta1) / n
    grad_b1 = np.mean(delta1, axis=0, keepdims=True)

    return grad_W1, grad_b1, grad_W2, grad_b2, grad_W3, grad_b3
    ### END SOLUTION


def conv2d(image: NDArray[np.floating], filter_kernel: NDArray[np.floating], stride: int = 1) -> NDArray[np.floating]:
    """
    Perform 2D convolution on an image using a filter kernel ('valid' mode: no padding).
    Args:
        image: Input image, shape (height, width)
        filter_kernel: Convolution filter, shape (filter_height, filter_width), at most the
            image's size in each dimension
        stride: Stride of the convolution operation, an integer >= 1 (default: 1)
    Returns:
        Output feature map, shape (floor((height - filter_height) / stride) + 1,
        floor((width - filter_width) / stride) + 1)
    Raises:
        ValueError: for a stride that is not an integer >= 1, inputs that are not 2-D or
            are empty, or a kernel larger than the image

    Convention: like scipy.signal.convolve2d, this flips the kernel (a true convolution).
    The blog's formula out[i, j] = sum_m sum_n I[i+m, j+n] * F[m, n] slides the kernel
    unflipped: that is a cross-correlation. The two agree for symmetric kernels (such as
    an averaging filter) and differ for asymmetric ones (such as edge filters).
    """
    ### BEGIN SOLUTION
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    image = np.asarray(image, dtype=float)
    filter_kernel = np.asarray(filter_kernel, dtype=float)
    if image.ndim != 2 or filter_kernel.ndim != 2:
        raise ValueError(f"image and filter_kernel must be 2-D, got shapes {image.shape} and {filter_kernel.shape}")
    if image.size == 0 or filter_kernel.size == 0:
        raise ValueError(f"image and filter_kernel must not be empty, got shapes {image.shape} and {filter_kernel.shape}")
    if filter_kernel.shape[0] > image.shape[0] or filter_kernel.shape[1] > image.shape[1]:
        raise ValueError(f"filter_kernel of shape {filter_kernel.shape} is larger than the image of shape "
                         f"{image.shape}; 'valid' mode needs a kernel no larger than the image")

    # 'valid' mode: the kernel only visits positions where it fits inside the image
    output = signal.convolve2d(image, filter_kernel, mode='valid', boundary='fill', fillvalue=0)
    return output[::stride, ::stride]  # stride: keep every stride-th row and column
    ### END SOLUTION
