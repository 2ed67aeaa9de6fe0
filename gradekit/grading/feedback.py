"""The student's feedback report (Markdown, with the exercise plots) and the terminal summary."""

from __future__ import annotations

from gradekit.inert import for_markdown
from gradekit.paths import RunPaths
from gradekit.results import Results, write_atomic


def feedback_markdown(results: Results, figures: list[str]) -> str:
    """What the student reads: the score, a line per part, then each failed check explained."""
    meta = results.extra_data
    lines = [
        f"# Feedback: {meta.get('assignment', '')}",
        "",
        f"**Score: {results.score:g} / {results.max_score:g}**" if results.has_score else "**Not graded yet**",
        "",
    ]
    if results.output:
        lines += [for_markdown(results.output), ""]
    parts = results.part_scores()
    lines += ["| part | score | status |", "|---|---|---|"] if parts else []
    for part, (got, most) in parts.items():
        lines.append(f"| {part} | {got:g} / {most:g} | {status_word(results, part)} |")
    failed = [t for t in results.tests if t.status == "failed"]
    if failed:
        lines += ["", "## What to fix", ""]
        shown: set[str] = set()
        for test in failed:
            body = for_markdown(_once(test.output, shown) or "failed")
            lines += [f"### {test.name} (0 / {test.max_score:g})", "", body, ""]
    notes = [t for t in results.tests if t.status == "passed" and t.output]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {t.name}: {t.output}" for t in notes]
    if figures:
        lines += ["", "## Your plots", ""] + [f"![{name}](figures/{name}.png)" for name in figures]
    lines += ["", f"_Seed {meta.get('seed')}, kit {meta.get('kit_version')}, course {meta.get('course_version')}._", ""]
    return "\n".join(lines)


def _once(text: str, shown: set[str]) -> str:
    """The message with a hint already given above shortened to a reminder."""
    body, sep, hint = text.partition("\nHint: ")
    if not sep:
        return text
    if hint in shown:
        return f"{body}\nHint: the same as above ({hint.split(':')[0]})."
    shown.add(hint)
    return text


def status_word(results: Results, part: str) -> str:
    """done, not started, or failing, for a part."""
    tests = [t for t in results.tests if t.part == part]
    if all(t.status == "passed" for t in tests):
        return "done"
    if all("not-started" in t.tags for t in tests):
        return "not started"
    return f"failing {sum(t.status == 'failed' for t in tests)} of {len(tests)}"


def write_feedback(results: Results, run: RunPaths) -> None:
    figures = sorted(p.stem for p in run.figures.glob("*.png")) if run.figures.exists() else []
    write_atomic(run.feedback, feedback_markdown(results.for_student(), figures))


def summary_table(results: Results) -> str:
    """A plain-text table of parts for the terminal."""
    rows = [(part, f"{got:g}/{most:g}", status_word(results, part)) for part, (got, most) in
            results.part_scores().items()]
    width = max([len(r[0]) for r in rows] + [4])
    lines = [f"{'part':<{width}}  {'score':>9}  status"]
    lines += [f"{p:<{width}}  {s:>9}  {w}" for p, s, w in rows]
    lines.append(f"{'total':<{width}}  {results.score:g}/{results.max_score:g}".rstrip())
    return "\n".join(lines)
