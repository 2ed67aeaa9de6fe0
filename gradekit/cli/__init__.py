"""The command lines: the instructor's (`instructor`: every command) and a handout's (`student`: the student's only).

Each command passes its options to one function of `gradekit` whose defaults are the ones shown
here, so the command line and the Python API cannot drift. The kit's cli.py runs `instructor`; the
cli.py a handout ships runs `student`, so no command there can regenerate what the student wrote.
"""
