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
