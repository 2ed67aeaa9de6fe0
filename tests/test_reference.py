"""The reference solutions against independent oracles: naive loops, numerical gradients, hand values."""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings

from strategies import image_and_kernel, logits, strides

HORIZONTAL = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
VERTICAL = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])


def naive_convolution(image: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """A true 'valid' convolution as a double loop: the kernel flipped in both directions."""
    flipped = kernel[::-1, ::-1]
    fh, fw = kernel.shape
    out = np.zeros(((image.shape[0] - fh) // stride + 1, (image.shape[1] - fw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i * stride:i * stride + fh, j * stride:j * stride + fw] * flipped)
    return out


def panels(fig) -> list[tuple[str, tuple[int, ...]]]:
    """(title, shape of the image drawn) for each axes of a figure."""
    return [(ax.get_title(), ax.get_images()[0].get_array().shape) for ax in fig.axes]


# conv2d ------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(image_and_kernel(), strides())
def test_conv2d_matches_naive_flipped_loop(nn, pair, stride):
    image, kernel = pair
    got = nn.conv2d(image, kernel, stride=stride)
    expected = naive_convolution(image, kernel, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_conv2d_flips_the_kernel(nn):
    # A true convolution pairs I[1, 1] with F[0, 0]; a cross-correlation would give 1.0.
    got = nn.conv2d(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert got.tolist() == [[4.0]]


def test_conv2d_edge_filter_is_not_a_cross_correlation(nn):
    image = np.arange(30, dtype=float).reshape(5, 6) ** 2
    correlation = naive_convolution(image, VERTICAL[::-1, ::-1], 1)
    assert np.allclose(nn.conv2d(image, VERTICAL), -correlation)


@pytest.mark.parametrize("stride", [0, -1, 1.5, "2", None, True])
def test_conv2d_rejects_bad_stride(nn, stride):
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1, got " + repr(stride).replace(".", r"\.")):
        nn.conv2d(np.ones((4, 4)), np.ones((2, 2)), stride=stride)


def test_conv2d_accepts_numpy_integer_stride(nn):
    assert nn.conv2d(np.ones((5, 5)), np.ones((1, 1)), stride=np.int64(2)).shape == (3, 3)


@pytest.mark.parametrize("image, kernel", [
    (np.ones(5), np.ones((2, 2))),
    (np.ones((4, 4, 3)), np.ones((2, 2))),
    (np.ones((4, 4)), np.ones(2)),
    (np.ones((4, 4)), np.ones((2, 2, 1))),
])
def test_conv2d_rejects_inputs_that_are_not_2d(nn, image, kernel):
    with pytest.raises(ValueError, match="2-D") as info:
        nn.conv2d(image, kernel)
    assert str(image.shape) in str(info.value) and str(kernel.shape) in str(info.value)


@pytest.mark.parametrize("kernel_shape", [(4, 2), (2, 5), (4, 5)])
def test_conv2d_rejects_kernel_larger_than_image(nn, kernel_shape):
    with pytest.raises(ValueError, match="larger than the image") as info:
        nn.conv2d(np.ones((3, 4)), np.ones(kernel_shape))
    assert str(kernel_shape) in str(info.value) and "(3, 4)" in str(info.value)


@pytest.mark.parametrize("image, kernel", [(np.ones((0, 4)), np.ones((1, 1))), (np.ones((3, 3)), np.ones((0, 2)))])
def test_conv2d_rejects_empty_arrays(nn, image, kernel):
    with pytest.raises(ValueError, match="empty"):
        nn.conv2d(image, kernel)


def test_conv2d_integer_image_same_as_float(nn):
    image = np.random.default_rng(1).integers(0, 256, size=(9, 7)).astype(np.uint8)
    got = nn.conv2d(image, HORIZONTAL, stride=2)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, nn.conv2d(image.astype(float), HORIZONTAL.astype(float), stride=2))


def test_conv2d_leaves_inputs_unchanged(nn):
    image, kernel = np.arange(20.0).reshape(4, 5), np.array([[1.0, 2.0], [3.0, 4.0]])
    nn.conv2d(image, kernel, stride=2)
    assert image.tolist() == np.arange(20.0).reshape(4, 5).tolist() and kernel.tolist() == [[1, 2], [3, 4]]


# exercises ---------------------------------------------------------------------------------

def test_exercise_1_blog_values(conv_exercises):
    got = conv_exercises.exercise_1()
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, [[1.25, 1.5, 1.25], [1.5, 2.0, 1.5], [1.25, 1.5, 1.25]])


def test_exercise_2_blog_values(conv_exercises):
    got = conv_exercises.exercise_2()
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, np.full((2, 2), 1.25))


def test_exercise_3_on_first_mnist_digit(conv_exercises, mnist_data, nn, monkeypatch):
    monkeypatch.setenv("MNIST_OFFLINE", "1")
    feature_map, fig = conv_exercises.exercise_3()
    try:
        image, label = mnist_data.first_digit()
        np.testing.assert_allclose(feature_map, nn.conv2d(image, HORIZONTAL))
        assert feature_map.shape == (26, 26)
        assert panels(fig) == [(f"Input Image (Digit: {label})", (28, 28)),
                               ("Feature Map (Horizontal Edges)", (26, 26))]
        assert tuple(fig.get_size_inches()) == (10, 5)
    finally:
        plt.close(fig)


def test_exercise_3_uses_the_given_image(conv_exercises, nn):
    image = np.random.default_rng(3).random((10, 12))
    feature_map, fig = conv_exercises.exercise_3(image, "7")
    plt.close(fig)
    np.testing.assert_allclose(feature_map, nn.conv2d(image, HORIZONTAL))
    assert panels(fig)[0] == ("Input Image (Digit: 7)", (10, 12))


def test_exercise_4_on_first_mnist_digit(conv_exercises, mnist_data, nn, monkeypatch):
    monkeypatch.setenv("MNIST_OFFLINE", "1")
    horizontal_map, vertical_map, fig = conv_exercises.exercise_4()
    try:
        image, label = mnist_data.first_digit()
        np.testing.assert_allclose(horizontal_map, nn.conv2d(image, HORIZONTAL))
        np.testing.assert_allclose(vertical_map, nn.conv2d(image, VERTICAL))
        assert panels(fig) == [(f"Input Image (Digit: {label})", (28, 28)),
                               ("Feature Map (Horizontal Edges)", (26, 26)),
                               ("Feature Map (Vertical Edges)", (26, 26))]
        assert tuple(fig.get_size_inches()) == (15, 5)
    finally:
        plt.close(fig)


# activations and losses --------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(logits())
def test_softmax_rows_sum_to_one_without_warnings(nn, Z):
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        A = nn.softmax(Z)
    assert A.shape == Z.shape and np.all(np.isfinite(A)) and np.all(A >= 0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_extreme_logits(nn):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        A = nn.softmax(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]))
    np.testing.assert_allclose(A, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-300)


def test_softmax_matches_definition(nn):
    Z = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(nn.softmax(Z), expected, rtol=1e-12)


def test_sigmoid_formula_and_extremes(nn):
    Z = np.array([-3.0, 0.0, 2.5])
    np.testing.assert_allclose(nn.sigmoid(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_relu_and_matrix_multiply(nn):
    assert nn.relu(np.array([-2.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]
    X, W = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(nn.matrix_multiply(X, W), X @ W)


def test_mse_loss_hand_value(nn):
    assert nn.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == 2.0


def test_binary_cross_entropy_hand_value(nn):
    got = nn.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))
    assert got == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-12)


def test_cross_entropy_hand_value(nn):
    A = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert nn.cross_entropy(A, y) == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2, rel=1e-12)


def test_cross_entropy_exact_zero_probability_is_finite(nn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = nn.cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
        bce = nn.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert ce == pytest.approx(-math.log(1e-15)) and bce == pytest.approx(-math.log(1e-15))


# normalize ---------------------------------------------------------------------------------

def test_normalize_columns_mean_0_std_1_and_constant_columns_0(nn):
    X = np.random.default_rng(0).normal(3, 2, size=(20, 3))
    X[:, 1] = 7.0
    original = X.copy()
    got = nn.normalize(X)
    np.testing.assert_array_equal(X, original)
    np.testing.assert_allclose(got.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(got[:, [0, 2]].std(axis=0), 1, rtol=1e-12)
    assert np.all(got[:, 1] == 0)


def test_normalize_integer_input(nn):
    X = np.array([[1, 10], [2, 10], [3, 10]])
    got = nn.normalize(X)
    np.testing.assert_allclose(got, nn.normalize(X.astype(float)))
    np.testing.assert_allclose(got[:, 0], [-math.sqrt(1.5), 0, math.sqrt(1.5)])
    assert X.tolist() == [[1, 10], [2, 10], [3, 10]]


# gradients ---------------------------------------------------------------------------------

def small_net(seed: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """X, one-hot y and float64 parameters W1, b1, ... of a small random net."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=5)]
    params = {}
    for k, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        params[f"W{k}"] = rng.normal(size=(fan_in, fan_out))
        params[f"b{k}"] = rng.normal(scale=0.1, size=(1, fan_out))
    return X, y, params


def assert_grads_close(analytic: tuple[np.ndarray, ...], numeric: dict[str, np.ndarray]) -> None:
    assert len(analytic) == len(numeric)
    for got, (name, expected) in zip(analytic, numeric.items()):
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_mlp_matches_numerical_gradient(nn, seed):
    X, y, p = small_net(seed, (4, 6, 3))
    Z1 = X @ p["W1"] + p["b1"]
    assert np.abs(Z1).min() > 1e-3  # away from ReLU's kink, where finite differences are wrong
    A1, A2 = nn.forward_mlp(X, **p)
    grads = nn.backward_mlp(X, A1, A2, y, p["W1"], p["W2"], Z1)
    numeric = nn.numerical_gradient(X, y, p, nn.cross_entropy, lambda X, q: nn.forward_mlp(X, **q)[1])
    assert_grads_close(grads, numeric)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_mlp_3layer_matches_numerical_gradient(nn, seed):
    X, y, p = small_net(seed, (4, 5, 6, 3))
    Z1 = X @ p["W1"] + p["b1"]
    A1, A2, A3 = nn.forward_mlp_3layer(X, **p)
    Z2 = A1 @ p["W2"] + p["b2"]
    assert min(np.abs(Z1).min(), np.abs(Z2).min()) > 1e-3
    grads = nn.backward_mlp_3layer(X, A1, A2, A3, y, p["W1"], p["W2"], p["W3"], Z1, Z2)
    numeric = nn.numerical_gradient(X, y, p, nn.cross_entropy, lambda X, q: nn.forward_mlp_3layer(X, **q)[2])
    assert_grads_close(grads, numeric)


def test_numerical_gradient_of_perceptron_mse(nn):
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=(8, 1)).astype(float)
    params = {"W": rng.normal(size=(3, 1)), "b": np.array([[0.3]])}
    numeric = nn.numerical_gradient(X, y, params, nn.mse_loss, lambda X, p: nn.forward_perceptron(X, p["W"], p["b"]))
    A = nn.forward_perceptron(X, params["W"], params["b"])
    dZ = 2 * (A - y) * A * (1 - A) / len(y)
    np.testing.assert_allclose(numeric["W"], X.T @ dZ, rtol=1e-6)
    np.testing.assert_allclose(numeric["b"], dZ.sum(keepdims=True), rtol=1e-6)


def test_numerical_gradient_leaves_params_exactly_as_found(nn):
    X, y, params = small_net(5, (3, 2))
    params["W1"][0, 0] = 1e-20  # 1e-20 + h - h is 0.0: restoring by arithmetic is not exact
    copies, ids = {k: v.copy() for k, v in params.items()}, {k: id(v) for k, v in params.items()}
    nn.numerical_gradient(X, y, params, nn.cross_entropy, lambda X, q: nn.softmax(X @ q["W1"] + q["b1"]))
    assert list(params) == list(copies) and {k: id(v) for k, v in params.items()} == ids
    for name, value in params.items():
        np.testing.assert_array_equal(value, copies[name])


def test_numerical_gradient_restores_params_when_forward_fails(nn):
    X, y, params = small_net(6, (3, 2))
    copies, calls = {k: v.copy() for k, v in params.items()}, []

    def forward(X, q):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return nn.softmax(X @ q["W1"] + q["b1"])

    with pytest.raises(RuntimeError, match="boom"):
        nn.numerical_gradient(X, y, params, nn.cross_entropy, forward)
    for name, value in params.items():
        np.testing.assert_array_equal(value, copies[name])


# gradient descent --------------------------------------------------------------------------

def test_gradient_descent_reproducible_and_lowers_loss(nn, capsys):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(64, 2))
    y = X @ np.array([[2.0], [-3.0]]) + 0.5 + rng.normal(scale=0.01, size=(64, 1))
    W0, b0 = np.zeros((2, 1)), np.zeros((1, 1))
    runs = []
    for _ in range(2):
        np.random.seed(0)
        runs.append(nn.gradient_descent(X, y, W0, b0, lr=0.1, num_epochs=30, batch_size=16, loss_fn=nn.mse_loss))
    (W, b, history), (W_again, b_again, history_again) = runs
    np.testing.assert_array_equal(W, W_again)
    np.testing.assert_array_equal(b, b_again)
    assert history == history_again and len(history) == 30
    assert history[-1] < history[0] / 100
    np.testing.assert_allclose(W.ravel(), [2.0, -3.0], atol=0.05)
    assert W0.tolist() == [[0.0], [0.0]] and b0.tolist() == [[0.0]]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Epoch 1/30, Loss: {history[0]:.4f}" and lines[29] == f"Epoch 30/30, Loss: {history[-1]:.4f}"


def test_gradient_descent_shuffles_with_numpy_global_rng(nn):
    X = np.arange(12.0).reshape(6, 2) / 10
    y = X @ np.array([[1.0], [-1.0]])
    results = []
    for seed in (0, 1):
        np.random.seed(seed)
        results.append(nn.gradient_descent(X, y, np.zeros((2, 1)), 0.0, 0.1, 1, 2, nn.mse_loss)[0])
    assert not np.array_equal(*results)  # mini-batch order follows np.random.permutation


def test_forward_mlp_shapes_and_probabilities(nn):
    X, _, p = small_net(8, (4, 6, 3))
    A1, A2 = nn.forward_mlp(X, **p)
    assert A1.shape == (5, 6) and A2.shape == (5, 3) and np.all(A1 >= 0)
    np.testing.assert_allclose(A2.sum(axis=1), 1.0)
    np.testing.assert_allclose(A1, np.maximum(0, X @ p["W1"] + p["b1"]))
