"""The API for graders: everything a file in graders/ may use of the kit, and nothing else.

Graders import only this module (like `pytest` over `_pytest`): the comparisons that explain a
difference and name a known mistake, the types of what a student's function returns over the
wire and of what a script did (`student.run_script(...)` gives a ScriptRun of RecordedCalls and
figures), StudentFailure (a student function that raised, hung or is missing), and `weight` for a
test's share of its part's points. The fixtures `student`,
`reference`, `rng` and `option` come with the grading session; see README's "Course authors".
"""

import pytest

from gradekit.grade.compare import (Mismatch, Mistake, as_plain, assert_matches, assert_results_match, assert_shape,
                                    assert_unchanged, describe, difference, note)
from gradekit.grade.proxies import StudentFailure
from gradekit.sandbox.runner.wire import AxesSummary, FigureSummary, Fn
from gradekit.sandbox.script_run import RecordedCall, ScriptRun


def weight(share: float) -> pytest.MarkDecorator:
    """`@weight(2)`: this test counts twice as much as each other test of its part (1 by default)."""
    if not share > 0:
        raise ValueError(f"a test's weight must be positive, not {share!r}")
    return pytest.mark.weight(share)


__all__ = ["AxesSummary", "FigureSummary", "Fn", "Mismatch", "Mistake", "RecordedCall", "ScriptRun", "StudentFailure",
           "as_plain", "assert_matches", "assert_results_match", "assert_shape", "assert_unchanged", "describe",
           "difference", "note", "weight"]
