"""An offline similarity check across a class: pairs of students whose own code is unusually alike.

Each student's code is read as `grade` reads it and normalised (similarity.tokens): no comments,
docstrings, layout or variable names. Runs of tokens that also occur in code everyone had
(similarity.given: the handout, the blog's code, the files passed with --exclude) are set aside, and
every pair is matched on what is left (similarity.match). A student with no code of their own is
not compared and is reported as such ("empty", "untouched handout", "little own code"), never as a
match. A high score is a reason to look, not a verdict.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from gradekit.console import echo
from gradekit.course import open_course
from gradekit.errors import KitError
from gradekit.fsio import ensure_writable, write_atomic
from gradekit.intake import Entry, class_entries, open_class, staged
from gradekit.layout import COURSE_FILE, SIMILARITY
from gradekit.similarity.given import Files, blog_code, handout_code, listings
from gradekit.similarity.match import Code, Pair, Uncompared, compare, own_code
from gradekit.similarity.page import Sources, pairs_csv, render_similarity
from gradekit.similarity.tokens import Token, covered, kgrams, normalise
from gradekit.submission import prepare

Lines = dict[str, list[str]]  # a student's file -> its lines


@dataclass(frozen=True)
class Similarity:
    """What the check found: the pairs to look at, and the students it could not compare."""

    pairs: list[Pair]  # those at or above the threshold, the most similar first
    uncompared: list[Uncompared]  # in the class's order


def similarity_report(folder: Path, out: Path, *, handout: Files, excluded: Files | None = None,
                      modules: tuple[str, ...] = (), threshold: float = 0.8, min_tokens: int = 40) -> Similarity:
    """Compare every pair of students of the class `folder`; write `out/similarity.html` and `.csv`.

    `handout` and `excluded` (name -> source) are code everyone had; `modules` are the assignment's, found in each
    submission as `grade` finds them. Students with fewer than `min_tokens` tokens of their own are not compared.
    """
    if not Path(folder).exists():
        raise KitError("class folder not found", path=folder, fix="pass the folder holding one folder, .zip or "
                       ".ipynb per student, or the folder or zip an LMS downloads")
    given = {**handout, **(excluded or {})}
    handout_grams = grams_of(handout)
    known = (handout_grams, handout_grams | grams_of(excluded or {}))
    codes: list[Code] = []
    uncompared: list[Uncompared] = []
    notes: list[str] = []
    with open_class(Path(folder)) as root:
        group: dict[Path, str] = {}  # a group's one submission, graded once per member: compared once
        for entry in class_entries(root):
            if group.setdefault(entry.path, entry.student) != entry.student:
                uncompared.append(Uncompared(entry.student, "same submission", f"as {group[entry.path]}'s"))
                continue
            read = read_student(entry, modules, notes)
            found = read if isinstance(read, Uncompared) else own_or_why(entry.student, *read, known, min_tokens)
            (uncompared if isinstance(found, Uncompared) else codes).append(found)
    pairs = [compare(a, b) for a, b in combinations(codes, 2)]
    flagged = sorted((p for p in pairs if p.score >= threshold), key=lambda p: (-p.score, p.student_a, p.student_b))
    sources: Sources = {c.student: c.sources for c in codes}
    page, table = SIMILARITY
    write_atomic(Path(out) / table, pairs_csv(flagged, uncompared))
    write_atomic(Path(out) / page, render_similarity(flagged, uncompared, sources, notes, threshold=threshold,
                                                     given=list(given)))
    return Similarity(flagged, uncompared)


def grams_of(files: Files) -> set[int]:
    """The k-gram hashes of code everyone had."""
    found: set[int] = set()
    for name, source in files.items():
        tokens, problem = normalise(source, name)
        if problem:
            raise KitError(f"the code to exclude is {problem}", path=name, fix="exclude Python source (.py) only")
        found |= {h for _, h in kgrams(tokens)}
    return found


def read_student(entry: Entry, modules: tuple[str, ...], notes: list[str]) -> tuple[list[Token], Lines] | Uncompared:
    """A student's .py files normalised, from a private copy prepared as `grade` prepares it."""
    with tempfile.TemporaryDirectory(prefix="gradekit-similar-") as tmp:
        try:
            with staged(entry) as source:
                folder = prepare(source, Path(tmp) / "submission", modules=modules).folder
        except Exception as exc:  # noqa: BLE001 - one unreadable submission must not stop the report
            why = str(exc) if isinstance(exc, KitError) else type(exc).__name__
            return Uncompared(entry.student, "unreadable", why)
        tokens: list[Token] = []
        sources: Lines = {}
        for path in sorted(folder.rglob("*.py")):
            name, data = path.relative_to(folder).as_posix(), path.read_bytes()
            found, problem = normalise(data, name)
            if problem:
                read_so_far = "compared up to there" if found else "skipped"
                notes.append(f"{entry.student}: {name} is {problem}; {read_so_far}")
            if found:
                tokens += found
                sources[name] = data.decode("utf-8", errors="replace").splitlines()
    return tokens, sources


def own_or_why(student: str, tokens: list[Token], sources: Lines, known: tuple[set[int], set[int]],
               min_tokens: int) -> Code | Uncompared:
    """The student's own code, or why it is not compared: no code, only the handout's, too little of its own."""
    handout, given = known
    if not tokens:
        return Uncompared(student, "empty", "no Python code")
    if all(covered(tokens, kgrams(tokens), handout)):
        return Uncompared(student, "untouched handout", "all its code is the handout's")
    code = own_code(student, tokens, given, sources)
    if code.own_tokens < min_tokens:
        return Uncompared(student, "little own code", f"only {code.own_tokens} tokens not in code everyone had")
    return code


def main(submissions: Path, *, out: Path = Path("graded"), assignment: str | None = None, threshold: float = 0.8,
         given: tuple[Path, ...] = (), course_file: Path = Path(COURSE_FILE)) -> int:
    """Pairs of students in SUBMISSIONS whose own code is unusually alike, side by side (offline).

    \b
    Code everyone had is not counted: the assignment's handout, the blog's code the
    course provides whole, and each --exclude FILE. An empty or untouched submission
    is reported as such, never as a match. A high score is a reason to look, not a verdict.
    """
    paths, course = open_course(course_file)
    key = assignment or course.default_assignment
    chosen = course.assignment(key)
    excluded = {**blog_code(paths, course), **listings(given)}
    ensure_writable(out)
    found = similarity_report(submissions, out, handout=handout_code(paths, course, key), excluded=excluded,
                              modules=tuple(chosen.modules), threshold=threshold)
    for pair in found.pairs[:10]:
        echo(f"{pair.score:6.0%}  {pair.student_a}  {pair.student_b}")
    more = " (first 10 shown)" if len(found.pairs) > 10 else ""
    echo(f"{len(found.pairs)} pair(s) at or above {threshold:.0%}{more}. Details: {out / SIMILARITY[0]}")
    for status in dict.fromkeys(u.status for u in found.uncompared):
        echo(f"Not compared, {status}: " + ", ".join(u.student for u in found.uncompared if u.status == status))
    return 0
