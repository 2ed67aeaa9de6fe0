"""Fixtures shared by this course's graders, beside the kit's own (`student`, `reference`, `rng`, `option`)."""

import pytest

# The values each option may take; `python cli.py validate --course-only` checks course.yaml against them.
OPTIONS = {"convention": ["convolution", "cross-correlation", "either"]}


@pytest.fixture
def convention(option):
    """Which conv2d the course grades: course.yaml's `convention` option of the part (see notes/convolution.md)."""
    return option("convention", "convolution")
