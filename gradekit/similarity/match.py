"""Two students' own code matched by greedy tiling of shared runs of K tokens (as JPlag does); the
score is the share of the smaller submission's own tokens that lie in shared runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradekit.similarity.tokens import K, Token, covered, kgrams

MAX_REPEATS = 8  # positions kept per repeated k-gram, so repetitive code cannot blow up a comparison
GAP = 3  # matching runs this few lines apart are shown as one region


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


@dataclass(frozen=True)
class Uncompared:
    """A student left out of the comparison: `status` in a word or two ("empty", "untouched handout"), `detail` why."""

    student: str
    status: str
    detail: str


def own_code(student: str, tokens: list[Token], excluded: set[int], sources: dict[str, list[str]]) -> Code:
    """Set aside every token covered by an `excluded` k-gram (code everyone had); index the k-grams left.

    Own tokens are those in an own k-gram: shorter stretches between excluded code cannot match.
    """
    grams = kgrams(tokens)
    given = covered(tokens, grams, excluded)
    index: dict[int, list[int]] = {}
    own: set[int] = set()
    for i, h in grams:
        if not any(given[i:i + K]):
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
