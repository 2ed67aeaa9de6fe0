"""The class report: one self-contained HTML page (summary, plots, the mistakes the hints
recognised, a sortable table of students) and its plots as PNG files, rebuilt from results.json.
"""

from __future__ import annotations

import base64
import hashlib
import io
import statistics
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from gradekit.console import echo
from gradekit.content import open_course
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.gradebook import student_results
from gradekit.layout import COURSE_FILE, FEEDBACK, REPORT, REPORT_FIGURES
from gradekit.results import Results
from gradekit.fsio import write_atomic

PASS_MARK = 0.5  # a student passes with at least this fraction of the points
ALT = {"score_distribution": "Histogram of the students' scores",
       "test_pass_rates": "Pass rate of every test, one bar per test",
       "mistakes": "How many students made each recognised mistake"}


@dataclass(frozen=True)
class PassRate:
    name: str
    part: str
    passed: int
    total: int


@dataclass(frozen=True)
class FrequentMistake:
    part: str
    hint: str
    students: tuple[str, ...]


def write_report(graded: Path, course: Course, assignment: str | None = None) -> Path:
    """Write `graded/report.html` and `graded/report/*.png` from `graded/<student>/results.json`."""
    graded = Path(graded)
    results = _load(graded)
    name = assignment or _recorded_assignment(results) or course.default_assignment
    chosen = course.assignment(name)
    rates, mistakes = pass_rates(results, chosen), recognised_mistakes(results)
    figures = {"score_distribution": score_figure(_scored(results), chosen.max_score),
               "test_pass_rates": rates_figure(rates, list(chosen.parts)),
               "mistakes": mistakes_figure(mistakes)}
    for stem, png in figures.items():
        write_atomic(graded / REPORT_FIGURES / f"{stem}.png", png)
    path = graded / REPORT
    write_atomic(path, render_report(graded, results, course, name, chosen, mistakes, figures))
    return path


def _load(graded: Path) -> dict[str, Results]:
    results = student_results(graded) if graded.is_dir() else {}
    if not results:
        raise KitError("no graded students (no <student>/results.json)", path=graded,
                       fix="grade the class first: python cli.py grade CLASSDIR --out " + str(graded))
    return results


def _scored(results: dict[str, Results]) -> dict[str, Results]:
    """The results that have a score (a kit error has none: it counts as nothing, not as 0)."""
    return {student: res for student, res in results.items() if res.has_score}


def _recorded_assignment(results: dict[str, Results]) -> str | None:
    """The assignment most results say they were graded for."""
    names = [r.extra_data.get("assignment") for r in results.values() if r.extra_data.get("assignment")]
    return statistics.mode(names) if names else None


def pass_rates(results: dict[str, Results], assignment: Assignment) -> list[PassRate]:
    """How many of the students who ran each test passed it, tests in course part order."""
    counts: dict[str, list] = {}
    for res in results.values():
        for test in res.tests:
            row = counts.setdefault(test.name, [test.part, 0, 0])
            row[1] += test.status == "passed"
            row[2] += 1
    order = list(assignment.parts)
    rates = [PassRate(name, part, passed, total) for name, (part, passed, total) in counts.items()]
    return sorted(rates, key=lambda r: order.index(r.part) if r.part in order else len(order))


def recognised_mistakes(results: dict[str, Results]) -> list[FrequentMistake]:
    """Each hint of a failed test, with the students it was given to, the most frequent first."""
    seen: dict[tuple[str, str], list[str]] = {}
    for student, res in sorted(results.items()):
        found = {(t.part, t.hint) for t in res.tests if t.status == "failed" and t.hint}
        for key in sorted(found):
            seen.setdefault(key, []).append(student)
    mistakes = [FrequentMistake(part, hint, tuple(who)) for (part, hint), who in seen.items()]
    return sorted(mistakes, key=lambda m: (-len(m.students), m.part, m.hint))


def short_hint(hint: str) -> str:
    """A hint's name: the words before its first colon (`kernel not flipped: ...`)."""
    return hint.split(":")[0].strip()[:70]


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure (imported here, not with the module: every command line run would pay ~0.2 s for it)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def score_figure(results: dict[str, Results], max_score: float) -> bytes:
    """Histogram of the students' scores, with the mean and median marked."""
    scores = [r.score for r in results.values()]
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    ax.hist(scores, bins=10, range=(0, max_score), color="#4c72b0", edgecolor="white")
    ax.axvline(statistics.mean(scores), color="#c44e52", linestyle="--", label=f"mean {statistics.mean(scores):.1f}")
    ax.axvline(statistics.median(scores), color="#55a868", label=f"median {statistics.median(scores):.1f}")
    ax.set(xlabel=f"score (out of {max_score:g})", ylabel="students", title="Score distribution", xlim=(0, max_score))
    ax.yaxis.set_major_locator(_integer_ticks())
    ax.legend()
    return _png(fig)


def rates_figure(rates: list[PassRate], parts: list[str]) -> bytes:
    """One horizontal bar per test: the share of students passing it, labelled passed/total."""
    fig = _figure(10, 1 + 0.32 * len(rates))
    ax = fig.add_subplot()
    colours = [f"C{parts.index(r.part) % 10}" if r.part in parts else "grey" for r in rates]
    bars = ax.barh([r.name[:90] for r in rates], [100 * r.passed / r.total for r in rates], color=colours)
    ax.bar_label(bars, labels=[f"{r.passed}/{r.total}" for r in rates], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 112), xlabel="students passing (%)", title="Pass rate of every test")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def mistakes_figure(mistakes: list[FrequentMistake]) -> bytes:
    """How many students each recognised mistake was found in."""
    fig = _figure(10, 1.2 + 0.35 * max(len(mistakes), 1))
    ax = fig.add_subplot()
    if mistakes:
        bars = ax.barh([f"{m.part}: {short_hint(m.hint)}" for m in mistakes], [len(m.students) for m in mistakes],
                       color="#dd8452")
        ax.bar_label(bars, padding=3, fontsize=8)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(_integer_ticks())
    else:
        ax.text(0.5, 0.5, "No recognised mistakes", ha="center", va="center", transform=ax.transAxes)
        ax.set(xticks=[], yticks=[])
    ax.set(xlabel="students", title="Recognised mistakes")
    return _png(fig)


def render_report(graded: Path, results: dict[str, Results], course: Course, name: str, assignment: Assignment,
           mistakes: list[FrequentMistake], figures: dict[str, bytes]) -> str:
    """The whole page; every text that comes from a student or a result is escaped."""
    images = {f"{stem}_png": _img(png, ALT[stem]) for stem, png in figures.items()}
    return PAGE.substitute(
        title=escape(f"{course.course}: {assignment.title}"),
        summary=_summary(results, assignment),
        mistakes_table=_mistakes_table(mistakes),
        table=_students_table(graded, results, assignment),
        footer=escape(f"Course version {course.version}, assignment {name}, "
                      f"made {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from {len(results)} results.json files."),
        script=SCRIPT, script_hash=SCRIPT_HASH, **images)


def _img(png: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{escape(alt)}">'


def _summary(results: dict[str, Results], assignment: Assignment) -> str:
    most = assignment.max_score
    scores = [r.score for r in _scored(results).values()] or [float("nan")]
    passed = sum(s >= PASS_MARK * most for s in scores)
    failed_to_grade = sorted(s for s, r in results.items() if r.extra_data.get("error"))
    kit_errors = sorted(s for s, r in results.items() if not r.has_score)
    items = [("students", f"{len(results)}"),
             ("mean score", f"{statistics.mean(scores):.1f} / {most:g}"),
             ("median score", f"{statistics.median(scores):.1f} / {most:g}"),
             ("pass rate", f"{100 * passed / len(scores):.0f}% ({passed} scored at least {PASS_MARK:.0%} of the points)"),
             ("full marks", f"{sum(s >= most for s in scores)}"),
             ("late", f"{sum(bool(_penalty(r)) for r in results.values())} with a penalty")]
    if failed_to_grade:
        items.append(("could not be graded", ", ".join(failed_to_grade)))
    if kit_errors:
        items.append(("kit errors (no score; the next run regrades them)", ", ".join(kit_errors)))
    return "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)


def _penalty(res: Results) -> float:
    return float((res.extra_data.get("late") or {}).get("penalty", 0.0))


def _mistakes_table(mistakes: list[FrequentMistake]) -> str:
    if not mistakes:
        return "<p>No failed test named a known mistake.</p>"
    rows = "\n".join(
        f"<tr><td>{len(m.students)}</td><td>{escape(m.part)}</td><td>{escape(m.hint)}</td>"
        f"<td><details><summary>show</summary>{escape(', '.join(m.students))}</details></td></tr>"
        for m in mistakes)
    return ('<table><thead><tr><th scope="col">students</th><th scope="col">part</th><th scope="col">hint given</th>'
            f'<th scope="col">who</th></tr></thead><tbody>{rows}</tbody></table>')


def _students_table(graded: Path, results: dict[str, Results], assignment: Assignment) -> str:
    heads = [("student", "student", "text"), ("status", "status", "text"),
             ("score", f"score /{assignment.max_score:g}", "num"),
             *((p, f"{p} /{spec.points:g}", "num") for p, spec in assignment.parts.items()),
             ("late", "late penalty", "num")]
    head = "".join(f'<th scope="col" data-key="{escape(key)}" data-type="{kind}"'
                   f'{" aria-sort=ascending" if key == "student" else ""}>{escape(label)}</th>'
                   for key, label, kind in heads)
    body = "\n".join(_student_row(graded, student, res, assignment) for student, res in sorted(results.items()))
    return (f'<table id="students"><thead><tr>{head}<th scope="col">feedback</th></tr></thead>'
            f"<tbody>\n{body}\n</tbody></table>")


def _student_row(graded: Path, student: str, res: Results, assignment: Assignment) -> str:
    parts = res.part_scores()
    values = [res.score, *(parts.get(p, (0.0, 0.0))[0] for p in assignment.parts), _penalty(res)]
    cells = "".join(f'<td data-v="{v:.6g}">{round(v, 2):g}</td>' if res.has_score else '<td data-v="-1">kit error</td>'
                    for v in values)
    feedback = (f'<a href="{escape(quote(student))}/feedback.md">feedback.md</a>'
                if (graded / student / FEEDBACK).exists() else "none")
    error = res.extra_data.get("error") or (res.reason if not res.has_score else "")
    attrs = f' class="error" title="{escape(str(error))}"' if error else ""
    why = f'<td data-v="{escape(res.ending)}" title="{escape(res.reason)}">{escape(res.ending)}' + \
        (f'<br><small>{escape(res.reason)}</small>' if res.reason else "") + "</td>"
    return (f'<tr{attrs}><th scope="row" data-v="{escape(student)}">{escape(student)}</th>{why}{cells}'
            f'<td>{feedback}</td></tr>')


# Sorting: on load and on every change of the URL's #sort=<column>-<asc|desc>, which a header click sets.
SCRIPT = """
(() => {
  const table = document.getElementById("students"), body = table.tBodies[0];
  const heads = [...table.tHead.rows[0].cells];
  function apply() {
    const m = /^#sort=(.+)-(asc|desc)$/.exec(decodeURIComponent(location.hash));
    const col = m ? heads.findIndex(th => th.dataset.key === m[1]) : -1;
    if (col < 0) return;
    const sign = m[2] === "asc" ? 1 : -1, num = heads[col].dataset.type === "num";
    const v = tr => tr.cells[col].dataset.v;
    body.append(...[...body.rows].sort((a, b) => sign * (num ? v(a) - v(b) : v(a).localeCompare(v(b)))));
    heads.forEach((th, i) => th.setAttribute("aria-sort", i === col ? (sign > 0 ? "ascending" : "descending") : "none"));
  }
  heads.filter(th => th.dataset.key).forEach(th => th.addEventListener("click", () => {
    const now = th.getAttribute("aria-sort"), first = th.dataset.type === "num" ? "desc" : "asc";
    const dir = now === "ascending" ? "desc" : now === "descending" ? "asc" : first;
    location.hash = "sort=" + encodeURIComponent(th.dataset.key) + "-" + dir;
  }));
  addEventListener("hashchange", apply);
  apply();
})();
"""
# Only this script may run (its hash is in the page's policy): no inline handler, whatever the text.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '$script_hash'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class report: $title</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; }
dt { font-weight: 600; } dd { margin: 0; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
td[data-v] { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f2f2f2; }
thead th[data-key] { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: #fafafa; } tr.error { background: #fde8e8 !important; }
footer { margin-top: 2em; color: #666; font-size: .9em; }
</style>
</head>
<body>
<h1>Class report: $title</h1>
<h2>Summary</h2>
<dl>
$summary
</dl>
<h2>Score distribution</h2>
$score_distribution_png
<h2>Pass rate of every test</h2>
$test_pass_rates_png
<h2>Most frequent mistakes</h2>
<p>Mistakes the graders recognised and named in a hint, counted once per student.</p>
$mistakes_png
$mistakes_table
<h2>Students</h2>
<p>Click a column header to sort (again to reverse); a link such as <code>#sort=score-desc</code> opens sorted.</p>
$table
<footer>$footer</footer>
<script>$script</script>
</body>
</html>
""")


def main(graded: Path = Path("graded"), *, assignment: str | None = None,
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Class report of GRADED (the --out folder of a class `grade`): GRADED/report.html and PNGs."""
    _, course = open_course(course_file, content=False)
    page = write_report(graded, course, assignment)
    echo(f"Wrote {page} (self-contained; figures also as PNG in {page.parent / REPORT_FIGURES})")
    return 0
