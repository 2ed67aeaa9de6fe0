"""Points for outcomes: a part's points shared by its tests by weight, in hundredths that add up exactly."""

from __future__ import annotations

from collections import defaultdict

from gradekit.course import Assignment
from gradekit.grade.outcomes import Outcome
from gradekit.results import TestResult

NO_GRADER = "No grader checks this part yet; your instructor has been told."


def apportion(points: float, weights: list[float]) -> list[float]:
    """`points` split in proportion to `weights`, each rounded to 0.01, the shares summing to `points` exactly.

    Largest remainders: every share is its exact value rounded down to the hundredth, and the
    hundredths left over go to the shares that lost the most, the earliest first on a tie.
    """
    if not weights:
        return []
    if any(w <= 0 for w in weights):
        raise ValueError(f"weights must be positive, not {weights}")
    cents = round(points * 100)
    exact = [cents * w / sum(weights) for w in weights]
    shares = [int(e) for e in exact]
    left = cents - sum(shares)
    for i in sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))[:left]:
        shares[i] += 1
    return [s / 100 for s in shares]


def total(values: list[float]) -> float:
    """The sum of point values given to the hundredth, without float drift (199.99999999999997 is 200)."""
    return round(sum(round(v * 100) for v in values) / 100, 2)


def score_tests(outcomes: list[Outcome], assignment: Assignment) -> list[TestResult]:
    """A TestResult per outcome with its points, plus a zero for each part no test graded; in course.yaml's order."""
    by_part: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_part[outcome.part].append(outcome)
    tests = []
    for part, spec in assignment.parts.items():
        own = by_part.get(part, [])
        if not own:
            tests.append(TestResult(name=f"{part}: graded", score=0, max_score=spec.points, status="failed",
                                    part=part, message=NO_GRADER, visibility=spec.visibility,
                                    instructor="no grader test names this part"))
        for outcome, most in zip(own, apportion(spec.points, [o.weight for o in own])):
            tests.append(_test_result(outcome, most, spec.visibility))
    return tests


def _test_result(outcome: Outcome, most: float, visibility: str) -> TestResult:
    return TestResult(
        name=outcome.name, score=most if outcome.passed else 0.0, max_score=most,
        status="passed" if outcome.passed else "failed", part=outcome.part, message=outcome.message,
        hint=outcome.hint, notes=outcome.notes, not_started=outcome.not_started, failure=outcome.failure,
        instructor=outcome.detail.strip(),
        seconds=round(outcome.duration, 3), visibility=visibility,
    )
