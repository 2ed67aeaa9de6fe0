"""The similarity check's outputs: the page (pairs, their shared regions side by side, the students not
compared and why) and the CSV (the same pairs and students), every student's text inert."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from gradekit.inert import for_csv_cell
from gradekit.pages import render_page
from gradekit.similarity.match import Pair, Uncompared
from gradekit.similarity.tokens import K

CONTEXT = 2  # lines shown around a region
SHOWN = 50  # pairs whose regions the page shows; the table and the CSV list every pair
Sources = dict[str, dict[str, list[str]]]  # student -> file -> lines


def pairs_csv(pairs: list[Pair], uncompared: list[Uncompared]) -> str:
    """One row a pair, then one a student not compared (its status in `note`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "score", "shared_tokens", "note"])
    writer.writerows([for_csv_cell(p.student_a), for_csv_cell(p.student_b), f"{p.score:.4f}", p.shared_tokens, ""]
                     for p in pairs)
    writer.writerows([for_csv_cell(u.student), "", "", "", u.status] for u in uncompared)
    return buffer.getvalue()


def render_similarity(pairs: list[Pair], uncompared: list[Uncompared], sources: Sources, notes: list[str], *,
                      threshold: float, given: list[str]) -> str:
    """The page: a warning, the method, the pairs table, the students not compared, each pair's regions, notes."""
    compared = len(sources)
    return render_page(
        "similarity.html", title="Similarity check", policy="default-src 'none'; style-src 'unsafe-inline'",
        compared=compared, pairs_total=compared * (compared - 1) // 2, k=K,
        flagged=f"{len(pairs)} pair{'' if len(pairs) == 1 else 's'}", threshold=f"{threshold:.0%}",
        given=", ".join(given) or "none", advice=_advice(len(pairs), compared), pairs=pairs, shown=SHOWN,
        uncompared=uncompared, sections=[_section(p, sources) for p in pairs[:SHOWN]], notes=notes,
        made=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def _advice(flagged: int, compared: int) -> list[str]:
    """What to make of many alike pairs, and where to find those the page leaves out."""
    advice = []
    if flagged > max(compared, 3):
        advice.append("Many pairs are alike. Code that many students share usually has a common source, such as "
                      "the course's own examples or the blog's listings: pass that code with --exclude to set it "
                      "aside, and look again.")
    if flagged > SHOWN:
        advice.append(f"Regions are shown for the {SHOWN} most similar pairs; similarity.csv lists all {flagged}.")
    return advice


def _section(pair: Pair, sources: Sources) -> dict:
    """A pair's shared regions, largest first, each as the two students' sides."""
    regions = [(_side(pair.student_a, r.file_a, r.lines_a, sources),
                _side(pair.student_b, r.file_b, r.lines_b, sources)) for r in sorted(pair.regions, key=lambda r: -r.tokens)]
    return {"pair": pair, "regions": regions}


def _side(student: str, file: str, marked: frozenset[int], sources: Sources) -> dict:
    """A student's source around the marked lines: (number, text, marked) each."""
    text = sources[student][file]
    first, last = max(min(marked) - CONTEXT, 1), min(max(marked) + CONTEXT, len(text))
    return {"student": student, "file": file, "first": first, "last": last,
            "lines": [(n, text[n - 1], n in marked) for n in range(first, last + 1)]}
