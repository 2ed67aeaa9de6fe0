"""Reading the CSV files people hand the kit (submission times, gradebooks, Canvas rosters).

A spreadsheet may save them with a byte-order mark or in another encoding: the mark is skipped,
and text that is not UTF-8 is one clear message, never a traceback.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from gradekit.errors import KitError
from gradekit.fsio import read_user_text


def read_csv(path: Path, needs: set[str], *, fix: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of `path` (names and missing cells stripped to ""); `needs` are required columns."""
    text = read_user_text(path, fix=fix)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows, header = list(reader), [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise KitError(f"not a readable CSV ({exc})", path=path, fix=fix) from None
    if not needs <= set(header):
        raise KitError(f"no column {', '.join(sorted(needs - set(header)))} (its columns: {', '.join(header)})",
                       path=path, fix=fix)
    return header, [{k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)} for row in rows]
