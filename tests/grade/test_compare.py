"""The comparisons graders use: a difference described, a known mistake named, an accepted variant noted."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradekit.checks import Mismatch, Mistake, assert_matches, assert_results_match, difference
from gradekit.grade.compare import NOTES

finite = arrays(np.float64, st.integers(1, 6).map(lambda n: (n, 3)), elements=st.floats(-1e6, 1e6))


@given(finite)
def test_an_array_matches_itself_and_a_copy_as_a_list(a):
    assert difference(a, a.copy(), "x", 1e-6, 1e-8) is None
    assert difference(a.tolist(), [list(r) for r in a], "x", 1e-6, 1e-8) is None


@given(finite, st.integers(0, 2))
def test_a_changed_entry_is_found_and_located(a, column):
    b = a.copy()
    b[0, column] += 1 + abs(b[0, column])
    problem = difference(b, a, "the map", 1e-6, 1e-8)
    assert problem is not None and "the map differs" in problem and f"[0, {column}]" in problem


def test_shapes_types_and_missing_returns_are_described():
    assert "has shape (2,), expected (3,)" in difference(np.zeros(2), np.zeros(3), "r", 1e-6, 1e-8)
    assert "did you forget to return" in difference(None, np.zeros(3), "r", 1e-6, 1e-8)
    assert "should have keys" in difference({"W": 1}, {"W": 1, "b": 2}, "p", 1e-6, 1e-8)


def test_a_known_mistake_gives_its_hint_and_the_instructor_the_values():
    expected = np.arange(4.0)
    with pytest.raises(Mismatch) as caught:
        assert_matches(expected[::-1], expected, what="v", mistakes=[Mistake("reversed", lambda: expected[::-1])])
    assert caught.value.hint == "reversed" and "expected" in caught.value.detail and "v differs" in caught.value.public


def test_an_unknown_mistake_has_no_hint_and_a_mistake_that_cannot_be_computed_is_skipped():
    def broken():
        raise ZeroDivisionError

    with pytest.raises(Mismatch) as caught:
        assert_matches(np.ones(2), np.zeros(2), mistakes=[Mistake("never", broken)])
    assert caught.value.hint is None


def test_an_accepted_variant_passes_with_a_note():
    notes: list[str] = []
    token = NOTES.set(notes)
    try:
        assert_matches(np.ones(2), np.zeros(2), mistakes=[Mistake("the other convention", np.ones(2).copy,
                                                                  accepted=True)])
    finally:
        NOTES.reset(token)
    assert notes == ["Accepted: the other convention"]


def test_several_results_are_named_in_the_explanation():
    with pytest.raises(Mismatch, match="W"):
        assert_results_match((np.ones(2), 0.0), (np.zeros(2), 0.0), ("W", "b"), what="update")
    with pytest.raises(Mismatch, match="2 values"):
        assert_results_match(np.ones(2), (np.zeros(2), 0.0), ("W", "b"), what="update")


def noted(check) -> list[str]:
    notes: list[str] = []
    token = NOTES.set(notes)
    try:
        check()
    finally:
        NOTES.reset(token)
    return notes


def test_a_list_is_called_a_list_with_the_shape_it_would_have():
    problem = difference([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2)), "the map", 1e-6, 1e-8)
    assert "is a list of 2 items, not a NumPy array (np.array would make one of shape (2, 2))" in problem
    assert "shape (2, 2) and dtype float64, but is a tuple of 1 item." in difference(("a",), np.ones((2, 2)), "r",
                                                                                      1e-6, 1e-8)


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(0.5, 1e6)))
def test_a_difference_of_rounding_only_says_so_with_every_digit(a):
    b = np.nextafter(a, np.inf)
    problem = difference(b, a, "params", 0.0, 0.0)
    assert problem.startswith("params differs by rounding only") and repr(float(b[0])) in problem
    assert "rounding only" not in difference(a * (1 + 1e-12), a, "params", 0.0, 0.0)


@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)), elements=st.floats(-300, 300)),
       arrays(np.float64, (3, 3), elements=st.floats(-3, 3)))
def test_a_float32_computation_is_accepted_to_its_precision_scaled_to_its_terms(image, kernel):
    """A sum of products in float32: its error is relative to the terms, not to the (perhaps cancelling) result."""
    padded = np.pad(image, 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    exact = np.einsum("ijkl,kl->ij", windows, kernel)
    low = np.einsum("ijkl,kl->ij", windows.astype(np.float32), kernel.astype(np.float32))
    terms = np.abs(image).max() * np.abs(kernel).sum()
    notes = noted(lambda: assert_matches(low, exact, what="the map", scale=terms))
    assert notes in ([], ["Accepted: the map was computed in float32 and agrees to its precision (NumPy's default, "
                          "float64, keeps about 16 digits)."])
    with pytest.raises(Mismatch):  # but not a wrong one
        assert_matches(low + np.float32(1 + terms / 100), exact, what="the map", scale=terms)


def test_float64_values_computed_in_float32_are_explained_and_other_errors_are_not():
    exact = np.linspace(-7, 11, 12).reshape(3, 4) / 3
    through_float32 = exact.astype(np.float32).astype(np.float64)
    with pytest.raises(Mismatch) as caught:
        assert_matches(through_float32, exact, rtol=1e-9, atol=0.0)
    assert caught.value.hint.startswith("matches to float32 precision only")
    for wrong in (exact * 1.01, exact + 1e-12, exact[::-1]):
        with pytest.raises(Mismatch) as caught:
            assert_matches(wrong, exact, rtol=1e-13, atol=0.0)
        assert caught.value.hint is None
    with pytest.raises(Mismatch) as caught:  # a known mistake comes first
        assert_matches(through_float32, exact, rtol=1e-9, atol=0.0,
                       mistakes=[Mistake("cast", lambda: exact.astype(np.float32).astype(float))])
    assert caught.value.hint == "cast"
