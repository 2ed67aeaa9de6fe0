"""Scoring: a part's points split by weight into hundredths that add up exactly, in course.yaml's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gradekit.course import Assignment, Part
from gradekit.grade.outcomes import Outcome
from gradekit.grade.scoring import NO_GRADER, apportion, score_tests, total

points = st.integers(min_value=1, max_value=100_000).map(lambda cents: cents / 100)
weights = st.lists(st.floats(min_value=0.1, max_value=10, allow_nan=False), min_size=1, max_size=40)


@given(points, weights)
def test_shares_are_hundredths_that_sum_to_the_points_exactly(total_points, ws):
    shares = apportion(total_points, ws)
    assert len(shares) == len(ws)
    assert all(round(s * 100) == s * 100 or abs(round(s * 100) - s * 100) < 1e-6 for s in shares)
    assert round(sum(round(s * 100) for s in shares)) == round(total_points * 100)
    exact = [total_points * w / sum(ws) for w in ws]
    assert all(abs(s - e) < 0.01 + 1e-9 for s, e in zip(shares, exact))


def test_forty_points_over_seven_tests_show_as_hundredths():
    shares = apportion(40, [1] * 7)
    assert shares == [5.72, 5.72, 5.72, 5.71, 5.71, 5.71, 5.71]
    assert total(shares) == 40


def test_weights_give_a_test_a_larger_share():
    assert apportion(10, [2, 1, 1]) == [5.0, 2.5, 2.5]


def test_totals_have_no_float_drift():
    assert total([0.1] * 3) == 0.3
    assert total([33.33, 33.33, 33.34] * 2) == 200
    assert sum([5.71] * 35) != 199.85 and repr(total([5.71] * 35)) == "199.85"


def outcome(part: str, passed: bool, weight: float = 1.0) -> Outcome:
    return Outcome(f"t::{part}", f"{part}: a check", part, passed, weight=weight, message="" if passed else "wrong")


ASSIGNMENT = Assignment(title="t", files=["m.py"], parts={"b": Part(points=10), "a": Part(points=40, public=True)})


def test_tests_get_their_points_in_course_order_and_a_part_without_tests_scores_zero_saying_why():
    tests = score_tests([outcome("a", True, 3), outcome("a", False)], ASSIGNMENT)
    assert [(t.part, t.score, t.max_score) for t in tests] == [("b", 0, 10), ("a", 30, 30), ("a", 0, 10)]
    assert tests[0].message == NO_GRADER and tests[0].status == "failed"
    assert tests[2].output == "wrong"
