"""Matplotlib's font list, given to a sandbox instead of built in it.

Matplotlib scans the system's fonts the first time it is imported with an empty cache folder
(~0.1 s here; seconds where hundreds of fonts are installed), and every sandbox starts with one.
`seed()` copies the list the grader mounted (its path in GRADEKIT_FONTLIST) into matplotlib's cache
folder before matplotlib is imported. Run as a script, in a sandbox where no student code runs, this
builds the list as a sandbox sees the fonts and writes it to stdout, for the grader to keep
(gradekit/sandbox/fonts.py).

Standard library only until matplotlib is imported: this runs inside the sandbox.
"""

from __future__ import annotations

import os
import shutil
import sys

VARIABLE = "GRADEKIT_FONTLIST"


def seed() -> None:
    """Put the mounted font list where matplotlib looks for it (nothing where none was mounted)."""
    source = os.environ.pop(VARIABLE, "")
    folder = os.environ.get("MPLCONFIGDIR")
    if source and folder and os.path.isfile(source):
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(source, os.path.join(folder, os.path.basename(source)))


def build() -> None:
    """Write `NAME\\n` and then the font list matplotlib builds here (NAME: the file name it reads it by)."""
    from matplotlib import font_manager, get_cachedir

    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    with open(os.path.join(get_cachedir(), name), "rb") as fh:
        sys.stdout.buffer.write(name.encode() + b"\n" + fh.read())


if __name__ == "__main__":
    build()
