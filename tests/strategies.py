"""Hypothesis strategies shared by the kit's tests: images, kernels, strides, logits."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


def images(min_side: int = 1, max_side: int = 12) -> st.SearchStrategy[np.ndarray]:
    """2-D float images, square or not, odd or even sides."""
    shapes = st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side))
    return arrays(np.float64, shapes, elements=values)


def kernels(max_height: int = 5, max_width: int = 5) -> st.SearchStrategy[np.ndarray]:
    """2-D float kernels no larger than max_height x max_width."""
    shapes = st.tuples(st.integers(1, max_height), st.integers(1, max_width))
    return arrays(np.float64, shapes, elements=values)


@st.composite
def image_and_kernel(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """An image and a kernel that fits inside it (what 'valid' mode needs)."""
    image = draw(images())
    kernel = draw(kernels(min(image.shape[0], 5), min(image.shape[1], 5)))
    return image, kernel


def strides(max_stride: int = 3) -> st.SearchStrategy[int]:
    return st.integers(1, max_stride)


def logits(max_rows: int = 6, max_classes: int = 8, bound: float = 1000) -> st.SearchStrategy[np.ndarray]:
    """(n_samples, n_classes) scores, up to +-bound."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(1, max_classes))
    return arrays(np.float64, shapes, elements=st.floats(-bound, bound, allow_nan=False, width=64))
