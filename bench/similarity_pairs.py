"""Benchmark: the kit's similarity check against copydetect (winnowing, boilerplate exclusion) on a
labelled class (tests/similarity_set.py: independent solutions, disguised copies, untouched and empty
handouts). Both tools read the same files and set aside the same code everyone had: the kit's
handout and the blog's provided functions (copydetect as its boilerplate).

Prints each pair's label and scores (copydetect at its defaults; "kit before": the kit setting aside
only the course's exercises/, as it did before it knew the assignment's handout), then each tool's
separation: the gap between its lowest copy score and its highest non-copy score (positive: one
threshold tells them apart), the AUC, and what it flags at its default threshold; copydetect also
with shorter and longer k-grams than its default.

    pip install -e '.[bench]'    # copydetect: for this benchmark only, not a dependency of the kit
    python bench/similarity_pairs.py
"""

from __future__ import annotations

import inspect
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from copydetect import CodeFingerprint, compare_files, defaults  # noqa: E402

from gradekit.course import Course, open_course  # noqa: E402
from gradekit.layout import KitPaths  # noqa: E402
from gradekit.release.handout import exercises_files  # noqa: E402
from gradekit.similarity import similarity_report  # noqa: E402
from gradekit.similarity.given import Files, blog_code, handout_code  # noqa: E402
from gradekit.similarity.tokens import K  # noqa: E402
from similarity_set import ASSIGNMENT, build  # noqa: E402

WINDOW = 1  # copydetect's default: guarantee threshold - noise threshold + 1, every k-gram kept
NOISE = (15, defaults.NOISE_THRESHOLD, 40)  # copydetect's k-gram length in characters: its default, and two others
KIT_THRESHOLD = inspect.signature(similarity_report).parameters["threshold"].default
Scores = dict[tuple[str, str], float]
Labels = dict[tuple[str, str], bool]  # a pair -> is it a copy


def kit_scores(folder: Path, out: Path, given: tuple[Files, Files]) -> Scores:
    """The kit's score of every pair it compares (students it does not compare score 0)."""
    handout, excluded = given
    found = similarity_report(folder, out, handout=handout, excluded=excluded, threshold=0)
    return {(p.student_a, p.student_b): p.score for p in found.pairs}


def copydetect_scores(folder: Path, given: Files, labels: Labels, k: int) -> Scores:
    """copydetect's score of every pair, as its CopyDetector compares files (each file of one student with the file
    of that name of the other), summed per student: the share of a student's fingerprinted tokens in copied slices,
    the larger of the pair's two (copydetect's report shows a pair when either passes)."""
    boilerplate = sorted({h for name, code in given.items() for h in _fingerprint(name, code.decode(), [], k).hashes})
    prints = {student.name: {p.name: _fingerprint(p.name, p.read_text(encoding="utf-8"), boilerplate, k)
                             for p in sorted(student.rglob("*.py"))} for student in folder.iterdir()}
    return {(a, b): max(_share(prints[a], prints[b]), _share(prints[b], prints[a])) for a, b in labels}


def _share(mine: dict[str, CodeFingerprint], theirs: dict[str, CodeFingerprint]) -> float:
    """The share of `mine`'s fingerprinted tokens that copydetect finds in the file of the same name of `theirs`."""
    copied = sum(compare_files(f, theirs[name])[0] for name, f in mine.items() if name in theirs)
    total = sum(f.token_coverage for f in mine.values())
    return float(copied / total) if total else 0.0


def _fingerprint(name: str, text: str, boilerplate: list[int], k: int) -> CodeFingerprint:
    return CodeFingerprint(name, k, WINDOW, boilerplate=boilerplate, fp=io.StringIO(text), language="python")


def _course_exercises(paths: KitPaths, course: Course) -> Files:
    """What the kit set aside before it knew the assignment's handout: the course's exercises/ alone."""
    return {path.name: data for path, data in exercises_files(paths, course).items() if path.suffix == ".py"}


def separation(scores: Scores, labels: Labels) -> tuple[float, float]:
    """(lowest copy score - highest non-copy score, AUC: the chance a copy pair scores above a non-copy pair)."""
    copies = [scores.get(pair, 0.0) for pair, copy in labels.items() if copy]
    others = [scores.get(pair, 0.0) for pair, copy in labels.items() if not copy]
    wins = sum(1.0 if c > o else 0.5 if c == o else 0.0 for c in copies for o in others)
    return min(copies) - max(others) + 0.0, wins / (len(copies) * len(others))


def main() -> None:
    paths, course = open_course(ROOT / "course.yaml")
    handout, blog = handout_code(paths, course, ASSIGNMENT), blog_code(paths, course)
    with tempfile.TemporaryDirectory(prefix="similarity-pairs-") as tmp:
        folder = Path(tmp) / "class"
        labels = build(folder)
        kit = kit_scores(folder, Path(tmp) / "out", (handout, blog))
        before = kit_scores(folder, Path(tmp) / "out", (_course_exercises(paths, course), {}))
        others = {k: copydetect_scores(folder, {**handout, **blog}, labels, k) for k in NOISE}
    other = others[defaults.NOISE_THRESHOLD]
    print("| pair | copy? | kit | copydetect | kit before |\n|---|---|---|---|---|")
    for (a, b), copy in sorted(labels.items(), key=lambda item: (not item[1], -kit.get(item[0], 0.0), item[0])):
        print(f"| {a} ~ {b} | {'copy' if copy else '-'} | {kit.get((a, b), 0.0):.2f} | {other[(a, b)]:.2f} "
              f"| {before.get((a, b), 0.0):.2f} |")
    rows = [(f"kit (K = {K} tokens)", kit, KIT_THRESHOLD),
            ("kit before (only exercises/ set aside)", before, KIT_THRESHOLD)]
    rows += [(f"copydetect (k = {k} characters{', default' if k == defaults.NOISE_THRESHOLD else ''})", scores,
              defaults.DISPLAY_THRESHOLD) for k, scores in others.items()]
    print("\n| tool | gap | AUC | flagged at its default threshold: copies, non-copies |\n|---|---|---|---|")
    for name, scores, threshold in rows:
        gap, auc = separation(scores, labels)
        flagged = [copy for pair, copy in labels.items() if scores.get(pair, 0.0) >= threshold]
        print(f"| {name} | {gap:+.2f} | {auc:.3f} | {threshold:.2f}: {sum(flagged)} of {sum(labels.values())}, "
              f"{len(flagged) - sum(flagged)} |")


if __name__ == "__main__":
    main()
