"""The font list every sandbox is given, built once per Python environment and kept in the user's cache folder.

A sandbox's matplotlib would otherwise scan the fonts in each zygote and each fresh worker (see
runner/fontlist.py). The list is built in a sandbox, where no student code runs, so that it holds
the fonts as a sandbox sees them; it is then only read. Where it cannot be built or kept, sandboxes
scan as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from typing import Callable

from gradekit.fsio import write_atomic

NAME = re.compile(rb"fontlist-v[0-9A-Za-z.]+\.json")  # as matplotlib names it: no folders


def cache_folder() -> Path:
    """Where the kit keeps what it builds once per machine (XDG's cache folder)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gradekit"


def font_list(build: Callable[[], bytes]) -> Path | None:
    """The font list of this Python environment; `build()` (run once: the output of runner/fontlist.py in a
    sandbox) makes it when it is not kept yet. None where it cannot be built or kept."""
    folder = cache_folder() / f"fonts-{_environment_key()}"
    kept = sorted(folder.glob("fontlist-v*.json"))
    if kept:
        return kept[-1]
    try:
        name, _, body = build().partition(b"\n")
        if not NAME.fullmatch(name):
            return None
        json.loads(body)
        write_atomic(folder / name.decode(), body)
    except (OSError, ValueError):
        return None
    return folder / name.decode()


def _environment_key() -> str:
    """Names this Python and its matplotlib install: a new one of either gets a list of its own."""
    spec = importlib.util.find_spec("matplotlib")
    origin = Path(spec.origin) if spec and spec.origin else None
    stamp = origin.stat().st_mtime_ns if origin else 0
    return hashlib.sha256(f"{sys.executable}\0{origin}\0{stamp}".encode()).hexdigest()[:16]
