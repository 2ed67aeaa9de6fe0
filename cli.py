"""The course kit's command line (every command; declared in gradekit/cli/): `python cli.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradekit.cli.common import run  # noqa: E402
from gradekit.cli.instructor import instructor  # noqa: E402

if __name__ == "__main__":
    run(instructor)
