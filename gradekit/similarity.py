"""An offline similarity check across a class: pairs of students whose own code is unusually alike.

Each .py file becomes a token sequence without comments, docstrings, layout or variable names;
token runs that also occur in the handout are not evidence and are set aside. Pairs are matched by
greedy tiling of shared runs of K tokens (as JPlag does); the score is the share of the smaller
submission's own tokens that lie in shared runs. A high score is a reason to look, not a verdict.
"""

from __future__ import annotations

import builtins
import csv
import io
import keyword
import tempfile
import tokenize
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from itertools import combinations
from pathlib import Path
from string import Template

from gradekit.console import echo
from gradekit.content import open_course
from gradekit.errors import KitError
from gradekit.inert import for_csv_cell
from gradekit.intake import Entry, class_entries, open_class, staged
from gradekit.fsio import ensure_writable, write_atomic
from gradekit.layout import COURSE_FILE, SIMILARITY
from gradekit.submission import prepare

K = 12  # the shortest run of tokens that counts as shared
MAX_REPEATS = 8  # positions kept per repeated k-gram, so repetitive code cannot blow up a comparison
GAP = 3  # matching runs this few lines apart are shown as one region
CONTEXT = 2  # lines shown around a region
SHOWN = 50  # pairs whose regions the page shows; the table and the CSV list every pair
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


@dataclass
class Code:
    """One student's normalised code: its tokens, the start positions of its own k-grams, its source."""

    student: str
    tokens: list[Token]
    grams: dict[int, list[int]]
    own_tokens: int
    sources: dict[str, list[str]] = field(repr=False)


@dataclass(frozen=True)
class Region:
    """Lines of both students that hold shared tokens (other lines between them differ)."""

    file_a: str
    lines_a: frozenset[int]
    file_b: str
    lines_b: frozenset[int]
    tokens: int


@dataclass(frozen=True)
class Pair:
    student_a: str
    student_b: str
    score: float
    shared_tokens: int
    regions: tuple[Region, ...]


def similarity_report(folder: Path, out: Path, *, handout: list[Path], threshold: float = 0.8,
                      min_tokens: int = 40) -> list[Pair]:
    """Compare every pair of students of the class `folder`; write `out/similarity.html` and `.csv`.

    Returns the pairs scoring at least `threshold`, the most similar first. Students with fewer than
    `min_tokens` tokens of their own (not from the handout) are not compared, and are listed as such.
    """
    if not Path(folder).exists():
        raise KitError("class folder not found", path=folder, fix="pass the folder holding one folder, .zip or "
                       ".ipynb per student, or the folder or zip an LMS downloads")
    excluded = handout_grams(handout)
    codes: list[Code] = []
    notes: list[str] = []
    with open_class(Path(folder)) as root:
        group: dict[Path, str] = {}  # a group's one submission, graded once per member: compared once
        for entry in class_entries(root):
            if group.setdefault(entry.path, entry.student) != entry.student:
                notes.append(f"{entry.student}: not compared, the same submission as {group[entry.path]}'s")
                continue
            code = read_student(entry, excluded, notes)
            if code is not None and code.own_tokens < min_tokens:
                notes.append(f"{entry.student}: not compared, only {code.own_tokens} tokens of code not in the handout")
            elif code is not None:
                codes.append(code)
    pairs = [compare(a, b) for a, b in combinations(codes, 2)]
    flagged = sorted((p for p in pairs if p.score >= threshold), key=lambda p: (-p.score, p.student_a, p.student_b))
    sources = {c.student: c.sources for c in codes}
    page, table = SIMILARITY
    write_atomic(Path(out) / table, pairs_csv(flagged))
    write_atomic(Path(out) / page,
                 render_similarity(flagged, sources, notes, compared=len(codes), threshold=threshold, handout=handout))
    return flagged


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


def handout_grams(paths: list[Path]) -> set[int]:
    """The k-gram hashes of the handout's files: code everyone was given."""
    found: set[int] = set()
    for path in map(Path, paths):
        if not path.is_file():
            raise KitError("handout file not found", path=path, fix="pass the handout's stub files (exercises/*.py)")
        tokens, problem = normalise(path.read_bytes(), path.name)
        if problem:
            raise KitError(f"the handout is {problem}", path=path, fix="release the handout again")
        found |= {h for _, h in kgrams(tokens)}
    return found


def read_student(entry: Entry, excluded: set[int], notes: list[str]) -> Code | None:
    """A student's .py files normalised, from a private copy; None (and a note) if there are none."""
    with tempfile.TemporaryDirectory(prefix="gradekit-similar-") as tmp:
        try:
            with staged(entry) as source:
                folder = prepare(source, Path(tmp) / "submission").folder
        except Exception as exc:  # noqa: BLE001 - one unreadable submission must not stop the report
            notes.append(f"{entry.student}: skipped, {exc if isinstance(exc, KitError) else type(exc).__name__}")
            return None
        tokens: list[Token] = []
        sources: dict[str, list[str]] = {}
        for path in sorted(folder.rglob("*.py")):
            name, data = path.relative_to(folder).as_posix(), path.read_bytes()
            found, problem = normalise(data, name)
            if problem:
                notes.append(f"{entry.student}: {name} is {problem}; " + ("compared up to there" if found else "skipped"))
            if found:
                tokens += found
                sources[name] = data.decode("utf-8", errors="replace").splitlines()
    if not sources:
        notes.append(f"{entry.student}: skipped, no Python code")
        return None
    return own_code(entry.student, tokens, excluded, sources)


def own_code(student: str, tokens: list[Token], excluded: set[int], sources: dict[str, list[str]]) -> Code:
    """Set aside every token covered by a k-gram of the handout; index the k-grams left.

    Own tokens are those in an own k-gram: shorter stretches between handout code cannot match.
    """
    handout = [False] * len(tokens)
    grams = kgrams(tokens)
    for i, h in grams:
        if h in excluded:
            handout[i:i + K] = [True] * K
    index: dict[int, list[int]] = {}
    own: set[int] = set()
    for i, h in grams:
        if not any(handout[i:i + K]):
            index.setdefault(h, []).append(i)
            own.update(range(i, i + K))
    return Code(student, tokens, index, len(own), sources)


def compare(a: Code, b: Code) -> Pair:
    """Greedy tiling: the longest runs of shared k-grams first, each token in at most one run."""
    hits = {(i, j) for h in a.grams.keys() & b.grams.keys()
            for i in a.grams[h][:MAX_REPEATS] for j in b.grams[h][:MAX_REPEATS]}
    runs = []
    for i, j in hits:
        if (i - 1, j - 1) not in hits:
            n = 1
            while (i + n, j + n) in hits:
                n += 1
            runs.append((n + K - 1, i, j))
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    tiles = []
    for length, i, j in sorted(runs, key=lambda r: (-r[0], r[1], r[2])):
        span_a, span_b = range(i, i + length), range(j, j + length)
        if taken_a.isdisjoint(span_a) and taken_b.isdisjoint(span_b):
            taken_a.update(span_a)
            taken_b.update(span_b)
            tiles.append((i, j, length))
    shared = sum(length for _, _, length in tiles)
    score = shared / max(min(a.own_tokens, b.own_tokens), 1)
    return Pair(a.student, b.student, round(min(score, 1.0), 4), shared, regions(a, b, sorted(tiles)))


def regions(a: Code, b: Code, tiles: list[tuple[int, int, int]]) -> tuple[Region, ...]:
    """The tiles as line regions in both sources, neighbours (in both) merged into one."""
    merged: list[Region] = []
    for i, j, length in tiles:
        ta, tb = a.tokens[i:i + length], b.tokens[j:j + length]
        new = Region(ta[0].file, frozenset(t.line for t in ta), tb[0].file, frozenset(t.line for t in tb), length)
        last = merged[-1] if merged else None
        if last and _near(last.file_a, last.lines_a, new.file_a, new.lines_a) \
                and _near(last.file_b, last.lines_b, new.file_b, new.lines_b):
            new = Region(last.file_a, last.lines_a | new.lines_a, last.file_b, last.lines_b | new.lines_b,
                         last.tokens + length)
            merged.pop()
        merged.append(new)
    return tuple(merged)


def _near(file: str, lines: frozenset[int], new_file: str, new_lines: frozenset[int]) -> bool:
    return file == new_file and min(lines) <= min(new_lines) <= max(lines) + GAP


def pairs_csv(pairs: list[Pair]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "score", "shared_tokens"])
    writer.writerows([for_csv_cell(p.student_a), for_csv_cell(p.student_b), f"{p.score:.4f}", p.shared_tokens]
                     for p in pairs)
    return buffer.getvalue()


def render_similarity(pairs: list[Pair], sources: dict[str, dict[str, list[str]]], notes: list[str], *, compared: int,
           threshold: float, handout: list[Path]) -> str:
    """The page: a warning, the method, the pairs table, each pair's regions side by side, notes."""
    rows = "\n".join(_pair_row(n, p) for n, p in enumerate(pairs, 1))
    return PAGE.substitute(
        compared=compared, pairs_total=compared * (compared - 1) // 2, k=K,
        flagged=f"{len(pairs)} pair{'' if len(pairs) == 1 else 's'}",
        threshold=f"{threshold:.0%}", handout=escape(", ".join(Path(p).name for p in handout) or "none"),
        advice=_advice(len(pairs), compared),
        rows=rows or '<tr><td colspan="5">No pair reached the threshold.</td></tr>',
        details="\n".join(_pair_section(n, p, sources) for n, p in enumerate(pairs[:SHOWN], 1)),
        notes="\n".join(f"<li>{escape(note)}</li>" for note in notes) or "<li>none</li>",
        made=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def _pair_row(n: int, pair: Pair) -> str:
    number = f'<a href="#pair-{n}">{n}</a>' if n <= SHOWN else str(n)
    return (f"<tr><td>{number}</td><td>{escape(pair.student_a)}</td><td>{escape(pair.student_b)}</td>"
            f"<td>{pair.score:.0%}</td><td>{pair.shared_tokens}</td></tr>")


def _advice(flagged: int, compared: int) -> str:
    """What to make of many alike pairs, and where to find those the page leaves out."""
    advice = []
    if flagged > max(compared, 3):
        advice.append("Many pairs are alike. Code that many students share usually has a common source, such as "
                      "the course's own examples: pass that code as handout code to set it aside, and look again.")
    if flagged > SHOWN:
        advice.append(f"Regions are shown for the {SHOWN} most similar pairs; similarity.csv lists all {flagged}.")
    return "".join(f"<p><strong>{text}</strong></p>" for text in advice)


def _pair_section(n: int, pair: Pair, sources: dict[str, dict[str, list[str]]]) -> str:
    blocks = "\n".join(
        f'<div class="region"><div>{_lines(pair.student_a, r.file_a, r.lines_a, sources)}</div>'
        f'<div>{_lines(pair.student_b, r.file_b, r.lines_b, sources)}</div></div>'
        for r in sorted(pair.regions, key=lambda r: -r.tokens))
    return (f'<section id="pair-{n}"><h3>{n}. {escape(pair.student_a)} and {escape(pair.student_b)}: '
            f"{pair.score:.0%} ({pair.shared_tokens} shared tokens)</h3>\n{blocks}</section>")


def _lines(student: str, file: str, marked: frozenset[int], sources: dict[str, dict[str, list[str]]]) -> str:
    """A student's source around the marked lines, numbered, the marked ones highlighted."""
    text = sources[student][file]
    first, last = max(min(marked) - CONTEXT, 1), min(max(marked) + CONTEXT, len(text))
    body = "".join(f'<span{" class=hit" if n in marked else ""}>{n:>4}  {escape(text[n - 1])}</span>'
                     for n in range(first, last + 1))
    return f"<p><b>{escape(student)}</b>: {escape(file)}, lines {first}-{last}</p><pre>{body}</pre>"


PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Similarity check</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
.warning { border-left: 5px solid #d9a400; background: #fff8e1; padding: .6em 1em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
.region { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin: 1em 0; }
.region > div { min-width: 0; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; font-size: 13px; margin: 0; }
pre span { display: block; } .hit { background: #ffe08a; }
section { border-top: 1px solid #ddd; margin-top: 2em; }
</style>
</head>
<body>
<h1>Similarity check</h1>
<p class="warning"><strong>Similarity is a reason to look, not a verdict.</strong> Two students may share code
because both followed the course's own examples, worked from the same textbook or answer, or wrote the few
natural lines a small exercise allows. Read the regions side by side, and talk with the students, before
drawing any conclusion.</p>
<p>Compared $compared students ($pairs_total pairs); flagged: $flagged sharing at least $threshold of
the smaller submission's own code. Comments, docstrings, layout and variable names are ignored, and code found in the
handout ($handout) is not counted. Shared code means runs of at least $k identical tokens.</p>
$advice
<h2>Pairs</h2>
<table><thead><tr><th>#</th><th>student A</th><th>student B</th><th>score</th><th>shared tokens</th></tr></thead>
<tbody>
$rows
</tbody></table>
<h2>Shared regions</h2>
<p>Highlighted lines hold shared code; the lines between them differ.</p>
$details
<h2>Notes</h2>
<ul>
$notes
</ul>
<footer><p>Made $made.</p></footer>
</body>
</html>
""")


def main(submissions: Path, *, out: Path = Path("graded"), threshold: float = 0.8, given: tuple[Path, ...] = (),
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Pairs of students in SUBMISSIONS whose own code is unusually alike, side by side (offline).

    A high score is a reason to look, not a verdict.
    """
    paths, _ = open_course(course_file, content=False)
    ensure_writable(out)
    handout = sorted(paths.exercises.glob("*.py")) + list(given)
    pairs = similarity_report(submissions, out, handout=handout, threshold=threshold)
    for pair in pairs[:10]:
        echo(f"{pair.score:6.0%}  {pair.student_a}  {pair.student_b}")
    more = " (first 10 shown)" if len(pairs) > 10 else ""
    echo(f"{len(pairs)} pair(s) at or above {threshold:.0%}{more}. Details: {out / SIMILARITY[0]}")
    return 0
