"""The class report: one self-contained HTML page (summary, plots, the mistakes the hints recognised, a sortable
table of students with how each grading ended and why) and its plots as PNG files, and each student's feedback as
a page beside their feedback.md, all rebuilt from results.json.
"""

from __future__ import annotations

import base64
import io
import statistics
import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gradekit.console import echo
from gradekit.course import Assignment, Course, open_course
from gradekit.errors import KitError
from gradekit.fsio import write_atomic
from gradekit.grade.feedback import write_feedback_page
from gradekit.gradebook import student_results
from gradekit.layout import COURSE_FILE, FEEDBACK_PAGE, REPORT, REPORT_FIGURES, RunPaths
from gradekit.pages import page_script, render_page
from gradekit.results import Results

PASS_MARK = 0.5  # a student passes with at least this fraction of the points
ALT = {"score_distribution": "Histogram of the students' scores",
       "test_pass_rates": "Pass rate of every test, one bar per test",
       "mistakes": "How many students made each recognised mistake"}
# Charts are drawn WIDTH_IN wide at DPI (sharp on dense screens) and shown at SHOWN_DPI CSS px per inch: 1000 px,
# inside the page's 1100 px column, so a laptop shows them unscaled and FONT_PT text is 14 px tall.
WIDTH_IN, DPI, SHOWN_DPI = 10.0, 200, 100
FONT_PT = 10  # the charts' smallest text
LABEL_CHARS = 45  # a bar label's line


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


@dataclass(frozen=True)
class Chart:
    """A chart's PNG and the size in CSS px the page shows it at."""

    stem: str
    png: bytes
    width: int
    height: int

    @property
    def alt(self) -> str:
        return ALT[self.stem]

    @property
    def data(self) -> str:
        return base64.b64encode(self.png).decode()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # how the page sorts it: text or num


@dataclass(frozen=True)
class StudentRow:
    student: str
    ending: str
    reason: str
    error: str
    cells: list[tuple[str, str]]  # (sort value, shown) for the score, each part and the late penalty


def write_report(graded: Path, course: Course, assignment: str | None = None) -> Path:
    """Write `graded/report.html`, `graded/report/*.png` and each `graded/<student>/feedback.html` from
    `graded/<student>/results.json`."""
    graded = Path(graded)
    results = _load(graded)
    name = assignment or _recorded_assignment(results) or course.default_assignment
    chosen = course.assignment(name)
    rates, mistakes = pass_rates(results, chosen), recognised_mistakes(results)
    charts = [chart("score_distribution", score_figure(_scored(results), chosen.max_score)),
              chart("test_pass_rates", rates_figure(rates, list(chosen.parts))),
              chart("mistakes", mistakes_figure(mistakes))]
    for each in charts:
        write_atomic(graded / REPORT_FIGURES / f"{each.stem}.png", each.png)
    for student, res in results.items():
        write_feedback_page(res, RunPaths(graded / student), student)
    path = graded / REPORT
    write_atomic(path, render_report(results, course, name, chosen, mistakes, charts))
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


def _figure(height: float) -> Any:
    """A matplotlib Figure of the charts' width (imported here: every command line run would pay ~0.2 s for it)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height), layout="constrained")


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _readable(ax: Any) -> None:
    """Ticks and axis labels in FONT_PT, the title two points larger."""
    ax.tick_params(labelsize=FONT_PT)
    for text in (ax.xaxis.label, ax.yaxis.label):
        text.set_fontsize(FONT_PT)
    ax.title.set_fontsize(FONT_PT + 2)


def _wrapped(label: str) -> str:
    """A bar's label in at most two lines, so that long test names leave the bars their room."""
    return "\n".join(textwrap.wrap(label, LABEL_CHARS, max_lines=2, placeholder=" ..."))


def score_figure(results: dict[str, Results], max_score: float) -> Any:
    """Histogram of the students' scores, with the mean and median marked."""
    scores = [r.score for r in results.values()]
    fig = _figure(4.5)
    ax = fig.add_subplot()
    ax.hist(scores, bins=10, range=(0, max_score), color="#4c72b0", edgecolor="white")
    ax.axvline(statistics.mean(scores), color="#c44e52", linestyle="--", label=f"mean {statistics.mean(scores):.1f}")
    ax.axvline(statistics.median(scores), color="#55a868", label=f"median {statistics.median(scores):.1f}")
    ax.set(xlabel=f"score (out of {max_score:g})", ylabel="students", title="Score distribution", xlim=(0, max_score))
    ax.yaxis.set_major_locator(_integer_ticks())
    ax.legend(fontsize=FONT_PT)
    _readable(ax)
    return fig


def rates_figure(rates: list[PassRate], parts: list[str]) -> Any:
    """One horizontal bar per test: the share of students passing it, labelled passed/total."""
    fig = _figure(1.2 + 0.45 * len(rates))
    ax = fig.add_subplot()
    colours = [f"C{parts.index(r.part) % 10}" if r.part in parts else "grey" for r in rates]
    bars = ax.barh([_wrapped(r.name) for r in rates], [100 * r.passed / r.total for r in rates], color=colours)
    ax.bar_label(bars, labels=[f"{r.passed}/{r.total}" for r in rates], padding=3, fontsize=FONT_PT)
    ax.invert_yaxis()
    ax.set(xlim=(0, 112), xlabel="students passing (%)", title="Pass rate of every test")
    _readable(ax)
    return fig


def mistakes_figure(mistakes: list[FrequentMistake]) -> Any:
    """How many students each recognised mistake was found in."""
    fig = _figure(1.4 + 0.45 * max(len(mistakes), 1))
    ax = fig.add_subplot()
    if mistakes:
        bars = ax.barh([_wrapped(f"{m.part}: {short_hint(m.hint)}") for m in mistakes],
                       [len(m.students) for m in mistakes], color="#dd8452")
        ax.bar_label(bars, padding=3, fontsize=FONT_PT)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(_integer_ticks())
    else:
        ax.text(0.5, 0.5, "No recognised mistakes", ha="center", va="center", transform=ax.transAxes,
                fontsize=FONT_PT)
        ax.set(xticks=[], yticks=[])
    ax.set(xlabel="students", title="Recognised mistakes")
    _readable(ax)
    return fig


def chart(stem: str, fig: Any) -> Chart:
    """`fig` as a PNG of DPI, shown at SHOWN_DPI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    width, height = fig.get_size_inches() * SHOWN_DPI
    return Chart(stem, buffer.getvalue(), round(width), round(height))


def render_report(results: dict[str, Results], course: Course, name: str, assignment: Assignment,
                  mistakes: list[FrequentMistake], charts: list[Chart]) -> str:
    """The whole page (the template escapes every text that comes from a student or a result)."""
    script, source = page_script("sort.js")
    footer = (f"Course version {course.version}, assignment {name}, made {datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
              f" UTC from {len(results)} results.json files.")
    return render_page("report.html", title=f"Class report: {course.course}: {assignment.title}",
                       policy=f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {source}",
                       summary=_summary(results, assignment), charts={c.stem: c for c in charts},
                       mistakes=mistakes, heads=_heads(assignment), feedback_page=FEEDBACK_PAGE,
                       rows=[_student_row(s, r, assignment) for s, r in sorted(results.items())],
                       footer=footer, script=script)


def _summary(results: dict[str, Results], assignment: Assignment) -> list[tuple[str, str]]:
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
    endings = Counter(r.ending for r in results.values())
    items.append(("ended as", ", ".join(f"{n} {ending}" for ending, n in sorted(endings.items()))))
    if failed_to_grade:
        items.append(("could not be graded", ", ".join(failed_to_grade)))
    if kit_errors:
        items.append(("kit errors (no score; the next run regrades them)", ", ".join(kit_errors)))
    return items


def _penalty(res: Results) -> float:
    return float((res.extra_data.get("late") or {}).get("penalty", 0.0))


def _heads(assignment: Assignment) -> list[Column]:
    return [Column("student", "student", "text"), Column("status", "status", "text"),
            Column("score", f"score /{assignment.max_score:g}", "num"),
            *(Column(p, f"{p} /{spec.points:g}", "num") for p, spec in assignment.parts.items()),
            Column("late", "late penalty", "num")]


def _student_row(student: str, res: Results, assignment: Assignment) -> StudentRow:
    parts = res.part_scores()
    values = [res.score, *(parts.get(p, (0.0, 0.0))[0] for p in assignment.parts), _penalty(res)]
    cells = [(f"{v:.6g}", f"{round(v, 2):g}") if res.has_score else ("-1", "kit error") for v in values]
    error = res.extra_data.get("error") or (res.reason if not res.has_score else "")
    return StudentRow(student, res.ending, res.reason, str(error or ""), cells)


def main(graded: Path = Path("graded"), *, assignment: str | None = None,
         course_file: Path = Path(COURSE_FILE)) -> int:
    """Class report of GRADED (the --out folder of a class `grade`): GRADED/report.html and PNGs."""
    _, course = open_course(course_file, content=False)
    page = write_report(graded, course, assignment)
    echo(f"Wrote {page} (self-contained; figures also as PNG in {page.parent / REPORT_FIGURES}) "
         f"and each student's {FEEDBACK_PAGE}")
    return 0
