"""Code as the similarity check sees it: tokens without comments, docstrings, layout or variable names,
and the runs of K tokens (k-grams) that two submissions can share."""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass

K = 12  # the shortest run of tokens that counts as shared
KEPT_NAMES = set(dir(builtins))
DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
LAYOUT = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
STRING_STARTS = {tokenize.STRING, getattr(tokenize, "FSTRING_START", tokenize.STRING)}
STRING_PARTS = {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}


@dataclass(frozen=True)
class Token:
    text: str
    file: str
    line: int


def normalise(source: bytes, file: str) -> tuple[list[Token], str | None]:
    """Tokens without comments, docstrings or layout; names become V except keywords, builtins
    and attributes (`np.sum` stays `V . sum`); strings become S; numbers and operators stay.

    Code that stops being Python is read up to there; the second value then says where and why.
    """
    raw: list[tokenize.TokenInfo] = []
    problem = None
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type not in DROPPED | STRING_PARTS:
                raw.append(tok)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError) as exc:
        problem = f"not Python after line {raw[-1].start[0] if raw else 0} ({type(exc).__name__})"
    tokens = [Token(_token_shape(raw, i), file, tok.start[0]) for i, tok in enumerate(raw)
              if tok.type not in LAYOUT and not _is_docstring(raw, i)]
    return tokens, problem


def _is_docstring(raw: list[tokenize.TokenInfo], i: int) -> bool:
    """A string that is a statement of its own (docstrings, and strings used as comments)."""
    before = raw[i - 1].type if i else tokenize.NEWLINE
    after = raw[i + 1].type if i + 1 < len(raw) else tokenize.NEWLINE
    return raw[i].type == tokenize.STRING and before in LAYOUT and after == tokenize.NEWLINE


def _token_shape(raw: list[tokenize.TokenInfo], i: int) -> str:
    tok = raw[i]
    if tok.type in STRING_STARTS:
        return "S"
    if tok.type != tokenize.NAME or keyword.iskeyword(tok.string) or tok.string in KEPT_NAMES:
        return tok.string
    return tok.string if i and raw[i - 1].string == "." else "V"


def kgrams(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, hash) of every run of K tokens within one file."""
    return [(i, hash(tuple(t.text for t in tokens[i:i + K]))) for i in range(len(tokens) - K + 1)
            if tokens[i].file == tokens[i + K - 1].file]


def covered(tokens: list[Token], grams: list[tuple[int, int]], known: set[int]) -> list[bool]:
    """For each token, whether a k-gram among the `known` hashes covers it."""
    marks = [False] * len(tokens)
    for i, h in grams:
        if h in known:
            marks[i:i + K] = [True] * K
    return marks
