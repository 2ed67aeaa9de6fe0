"""What a student reads of a grade: the feedback report (Markdown, with their plots, and the same as a page),
the terminal table, and `check`'s line per part. All are read from the results' fields; none parses text back."""

from __future__ import annotations

from rich import box
from rich.table import Column, Table

from gradekit.fsio import write_atomic
from gradekit.inert import for_markdown
from gradekit.layout import REPORT, RunPaths
from gradekit.pages import markdown_html, render_page
from gradekit.results import Results, TestResult


def feedback_markdown(results: Results, figures: list[str]) -> str:
    """The score, a line per part, then each failed check explained (a hint given above only recalled)."""
    meta = results.extra_data
    lines = [f"# Feedback: {meta.get('assignment', '')}", "",
             f"**Score: {results.score:g} / {results.max_score:g}**" if results.has_score else "**Not graded yet**", ""]
    if results.output:
        lines += [for_markdown(results.output), ""]
    parts = results.part_scores()
    lines += ["| part | score | status |", "|---|---|---|"] if parts else []
    lines += [f"| {part} | {got:g} / {most:g} | {status_word(results, part)} |" for part, (got, most) in parts.items()]
    failed = [t for t in results.tests if t.status == "failed"]
    if failed:
        lines += ["", "## What to fix", ""]
        hinted: set[str] = set()
        for test in failed:
            lines += [f"### {test.name} (0 / {test.max_score:g})", "", for_markdown(_explained(test, hinted)), ""]
    notes = [t for t in results.tests if t.status == "passed" and t.output]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {t.name}: {t.output}" for t in notes]
    if figures:
        lines += ["", "## Your plots", ""] + [f"![{name}](figures/{name}.png)" for name in figures]
    lines += ["", f"_Seed {meta.get('seed')}, kit {meta.get('kit_version')}, course {meta.get('course_version')}._", ""]
    return "\n".join(lines)


def _explained(test: TestResult, hinted: set[str]) -> str:
    """A failed test's text, its hint shortened to a reminder when an earlier test gave the same one."""
    if not test.hint or test.hint not in hinted:
        hinted.add(test.hint or "")
        return test.output or "failed"
    reminder = f"Hint: the same as above ({test.hint.split(':')[0]})."
    return f"{test.message}\n{reminder}"


def status_word(results: Results, part: str) -> str:
    """done, not started, or failing, for a part."""
    tests = results.part_tests(part)
    if all(t.status == "passed" for t in tests):
        return "done"
    if all(t.not_started for t in tests):
        return "not started"
    return f"failing {sum(t.status == 'failed' for t in tests)} of {len(tests)}"


def figure_names(run: RunPaths) -> list[str]:
    """The plots a grading saved in `run.figures`, by name."""
    return sorted(p.stem for p in run.figures.glob("*.png")) if run.figures.exists() else []


def write_feedback(results: Results, run: RunPaths) -> None:
    write_atomic(run.feedback, feedback_markdown(results.for_student(), figure_names(run)))


def write_feedback_page(results: Results, run: RunPaths, student: str) -> None:
    """feedback.html beside feedback.md, from the same Markdown: the student's plots shown from figures/, and
    nothing the student wrote read as HTML."""
    body = markdown_html(feedback_markdown(results.for_student(), figure_names(run)))
    page = render_page("feedback.html", title=f"Feedback: {student}", student=student, feedback=body, report=REPORT,
                       policy="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
    write_atomic(run.feedback_page, page)


def summary_table(results: Results) -> Table:
    """The parts' scores and status, and the total, as a table for the terminal."""
    table = Table(Column("part", footer="total"),
                  Column("score", justify="right", footer=f"{results.score:g}/{results.max_score:g}"), "status",
                  box=box.SIMPLE, show_footer=True)
    for part, (got, most) in results.part_scores().items():
        table.add_row(part, f"{got:g}/{most:g}", status_word(results, part))
    return table


def check_lines(results: Results, points: dict[str, float]) -> list[tuple[str, str]]:
    """`check`'s report with a colour per line: each part with public tests (done, failing and why, not
    started) and its points, the first failure's hint, then the parts graded only on submission."""
    lines = []
    checked = results.part_scores()
    for part in checked:
        word = status_word(results, part)
        failed = [t for t in results.part_tests(part) if t.status == "failed"]
        failing = bool(failed) and word.startswith("failing")
        why = f": {failed[0].message.splitlines()[0]}" if failing and failed[0].message else ""
        color = {"done": "green", "not started": "yellow"}.get(word, "red")
        lines.append((f"{part:<14} {_points(points.get(part)):<12} {word}{why}", color))
        if failing and failed[0].hint:
            lines.append((f"{'':<27} {failed[0].hint}", color))
    hidden = [f"{part} ({_points(most)})" for part, most in points.items() if part not in checked]
    if hidden:
        lines.append((f"{', '.join(hidden)}: graded when you hand in (no public tests)", "cyan"))
    return lines


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g} point{'s' * (value != 1)}"
