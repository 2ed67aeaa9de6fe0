"""Text that came from a student, made inert for each place it lands.

One neutraliser per sink: the terminal (escape sequences and control characters removed),
Markdown (a fenced code block no line of the text can close), CSV (OWASP's rule against formula
injection). HTML pages escape on their own: the report and feedback pages through Jinja2's autoescaping, their
Markdown rendered with raw HTML off (gradekit/pages.py).
"""

from __future__ import annotations

import re

# CSI (ESC [ or C1 CSI, parameters, final byte), OSC (ESC ] or C1 OSC, text, then BEL or ST), any
# other ESC pair, then the C0 and C1 controls but tab and newline, DEL, and the bidirectional
# overrides that reorder what is shown.
CONTROL = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                     r"|(?:\x1b\]|\x9d)[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)?"
                     r"|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads these as the start of a formula


def for_terminal(text: str) -> str:
    """`text` without escape sequences or control characters (tabs and newlines kept)."""
    return CONTROL.sub("", text)


def for_markdown(text: str) -> str:
    """`text` as a fenced code block: shown verbatim, never read as Markdown or HTML.

    The fence is longer than any run of backticks inside, so no line of `text` can close it.
    """
    body = for_terminal(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def for_csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading quote.

    Only for text cells (names, logins); numbers are written as numbers, a negative one included.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
