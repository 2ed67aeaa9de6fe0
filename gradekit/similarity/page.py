"""The similarity check's outputs: the page (pairs, their shared regions side by side, the students not
compared and why) and the CSV (the same pairs and students), every student's text inert."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from html import escape
from string import Template

from gradekit.inert import for_csv_cell
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
    rows = "\n".join(_pair_row(n, p) for n, p in enumerate(pairs, 1))
    return PAGE.substitute(
        compared=compared, pairs_total=compared * (compared - 1) // 2, k=K,
        flagged=f"{len(pairs)} pair{'' if len(pairs) == 1 else 's'}",
        threshold=f"{threshold:.0%}", given=escape(", ".join(given) or "none"),
        advice=_advice(len(pairs), compared),
        rows=rows or '<tr><td colspan="5">No pair reached the threshold.</td></tr>',
        uncompared="\n".join(f"<tr><td>{escape(u.student)}</td><td>{escape(u.status)}</td><td>{escape(u.detail)}</td>"
                             "</tr>" for u in uncompared) or '<tr><td colspan="3">none</td></tr>',
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
                      "the course's own examples or the blog's listings: pass that code with --exclude to set it "
                      "aside, and look again.")
    if flagged > SHOWN:
        advice.append(f"Regions are shown for the {SHOWN} most similar pairs; similarity.csv lists all {flagged}.")
    return "".join(f"<p><strong>{text}</strong></p>" for text in advice)


def _pair_section(n: int, pair: Pair, sources: Sources) -> str:
    blocks = "\n".join(
        f'<div class="region"><div>{_lines(pair.student_a, r.file_a, r.lines_a, sources)}</div>'
        f'<div>{_lines(pair.student_b, r.file_b, r.lines_b, sources)}</div></div>'
        for r in sorted(pair.regions, key=lambda r: -r.tokens))
    return (f'<section id="pair-{n}"><h3>{n}. {escape(pair.student_a)} and {escape(pair.student_b)}: '
            f"{pair.score:.0%} ({pair.shared_tokens} shared tokens)</h3>\n{blocks}</section>")


def _lines(student: str, file: str, marked: frozenset[int], sources: Sources) -> str:
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
the smaller submission's own code. Comments, docstrings, layout and variable names are ignored, and code everyone
had is not counted ($given). Shared code means runs of at least $k identical tokens.</p>
$advice
<h2>Pairs</h2>
<table><thead><tr><th>#</th><th>student A</th><th>student B</th><th>score</th><th>shared tokens</th></tr></thead>
<tbody>
$rows
</tbody></table>
<h2>Not compared</h2>
<p>Students with no code of their own to compare: an empty or untouched handout is never a match.</p>
<table><thead><tr><th>student</th><th>status</th><th>why</th></tr></thead>
<tbody>
$uncompared
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
