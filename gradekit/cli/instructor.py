"""The kit's command line: every command, the instructor's and the student's, each declared in its own module."""

from __future__ import annotations

from gradekit.cli.common import command_group

COMMANDS = {
    "release": "gradekit.cli.release:release_command",
    "grade": "gradekit.cli.grade:grade_command",
    "check": "gradekit.cli.grade:check_command",
    "package": "gradekit.cli.package:package_command",
    "validate": "gradekit.cli.validate:validate_command",
    "report": "gradekit.cli.report:report_command",
    "similar": "gradekit.cli.similar:similar_command",
    "export": "gradekit.cli.export:export_command",
    "gradebook": "gradekit.cli.gradebook:gradebook_command",
}

instructor = command_group("""Autograded exercises for the course in course.yaml: handouts, grading, reports.

    \b
    Instructors:  `release` a handout; `grade` a submission or a class folder, then `report`,
                  `similar`, `export`; `validate` the course and its graders.
    Students:     in a released handout, `check` your work and `package` it.
    """, COMMANDS)
