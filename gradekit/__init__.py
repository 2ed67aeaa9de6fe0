"""gradekit: the machinery of the course kit (course model, release, sandbox, grading, reports)."""

__version__ = "0.1.0"
