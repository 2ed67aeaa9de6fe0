"""The class report and the feedback pages: PNG figures, and the HTML pages as a real headless browser renders them
(sorted, every ending said, feedback with its plots, chart text readable, student text inert)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from conftest import ROOT, endings_class
from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.grade.feedback import write_feedback
from gradekit.grade.pipeline import kit_error_results
from gradekit.gradebook import student_results
from gradekit.layout import RunPaths
from gradekit.report import (DPI, mistakes_figure, pass_rates, rates_figure, recognised_mistakes, score_figure,
                             write_report)
from gradekit.results import Results, save_results
from gradekit.results import TestResult as Check  # a "Test" name would be collected by pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                    "(apt-get install chromium): the report's browser checks need it")
PNG = b"\x89PNG\r\n\x1a\n"
FLIPPED = "kernel not flipped: this is a cross-correlation, flip the kernel with kernel[::-1, ::-1]."
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"  # in what a student's code said: a failure's message, a passed test's note


def make_results(course: Course, failed: dict[str, str | None], penalty: float = 0.0, error: str = "",
                 **said: str) -> Results:
    """Two tests per part of part-4.2; each part in `failed` fails both, with that hint (and `said`, e.g. failure and
    message)."""
    tests = []
    for part, spec in course.assignment("part-4.2").parts.items():
        for n in (1, 2):
            ok = part not in failed
            extra = {"hint": None} if ok else {"hint": failed[part], **said}
            tests.append(Check(name=f"{part}: check {n}", score=spec.points / 2 if ok else 0,
                               max_score=spec.points / 2, status="passed" if ok else "failed",
                               tags=[part], extra_data=extra))
    if error:
        tests = [Check(name="submission: could not be graded", score=0, max_score=100, status="failed",
                            tags=["submission"])]
    score = sum(t.score for t in tests) - penalty
    return Results(score=score, max_score=100, execution_time=1, tests=tests,
                   extra_data={"assignment": "part-4.2", "late": {"penalty": penalty}, "error": error or None})


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, course: Course) -> Path:
    """alice 100, bob 60, carol 40 (late), a hostile name 80, dan could not be graded; then the report."""
    folder = tmp_path_factory.mktemp("graded")
    students = {
        "alice": make_results(course, {}),
        "bob": make_results(course, {"conv2d": FLIPPED}),
        "carol": make_results(course, {"conv2d": FLIPPED, "exercise_2": "stride 1 used: use stride 2."}, penalty=10),
        HOSTILE: make_results(course, {"exercise_3": None}, failure="timeout", message=f"stopped {SCRIPT}"),
        "dan": make_results(course, {}, error="not a zip file"),
    }
    students[HOSTILE].tests.append(Check(name="exercise_4: a note", score=0, max_score=0, status="passed",
                                         tags=["exercise_4"], extra_data={"notes": [f"accepted {SCRIPT}"]}))
    for student, results in students.items():
        save_results(results, folder / student / "results.json")
    write_report(folder, course)
    return folder


def chromium(url: str, profile: Path, *args: str) -> str:
    """Run headless Chromium on `url` (no network, a throw-away profile); its stdout."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


def row_order(dom: str) -> list[str]:
    return re.findall(r'<tr[^>]*><th scope="row" data-v="([^"]*)"', dom)


def test_write_report_writes_the_figures_as_png(graded: Path) -> None:
    for stem in ("score_distribution", "test_pass_rates", "mistakes"):
        data = (graded / "report" / f"{stem}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, stem


def test_write_report_is_self_contained_and_escaped(graded: Path) -> None:
    html = (graded / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 3
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/feedback.html"' in html


def test_recognised_mistakes_count_each_student_once(graded: Path) -> None:
    mistakes = recognised_mistakes(student_results(graded))
    assert [(m.part, len(m.students)) for m in mistakes] == [("conv2d", 2), ("exercise_2", 1)]
    assert mistakes[0].students == ("bob", "carol")


@needs_chromium
def test_write_report_renders_in_chromium(graded: Path, tmp_path: Path) -> None:
    dom = chromium((graded / "report.html").as_uri(), tmp_path / "profile", "--dump-dom")
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', dom)) == 3
    assert row_order(dom) == sorted(["alice", "bob", "carol", "dan", "&lt;img src=x onerror=alert(1)&gt;"])
    assert "alert(1)" not in re.sub(r"&lt;img src=x onerror=alert\(1\)&gt;", "", dom)
    assert 'class="error"' in dom and "Most frequent mistakes" in dom and "kernel not flipped" in dom


@needs_chromium
@pytest.mark.parametrize(("fragment", "order"), [
    ("#sort=score-desc", ["alice", "&lt;img", "bob", "carol", "dan"]),
    ("#sort=late-desc", ["carol"]),
    ("#sort=student-desc", ["dan", "carol", "bob", "alice", "&lt;img"]),
])
def test_write_report_sorts_by_the_url_fragment(graded: Path, tmp_path: Path, fragment: str, order: list[str]) -> None:
    dom = chromium((graded / "report.html").as_uri() + fragment, tmp_path / "profile", "--dump-dom")
    rows = row_order(dom)
    assert [r.split(" ")[0] for r in rows[:len(order)]] == order
    key = fragment.removeprefix("#sort=").rsplit("-", 1)[0]
    assert re.search(rf'data-key="{key}"[^>]*aria-sort="descending"', dom)


@needs_chromium
def test_write_report_screenshot_is_a_page(graded: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium((graded / "report.html").as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,2000")
    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # plots and text, not a blank page


@pytest.fixture(scope="module")
def endings(tmp_path_factory: pytest.TempPathFactory, course: Course) -> Path:
    """A real class graded and reported: one submission per ending, and kim, whom the kit could not grade."""
    base = tmp_path_factory.mktemp("endings")
    course_file, cls = endings_class(base)
    out = base / "out"
    run = [sys.executable, str(ROOT / "cli.py")]
    graded = subprocess.run([*run, "grade", str(cls), "--out", str(out), "-j", "2", "--course", str(course_file)],
                            capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    kim = kit_error_results(RuntimeError("the sandbox did not start"), course, None, 1, None)
    write_feedback(kim, RunPaths(out / "kim"))
    save_results(kim, out / "kim" / "results.json")
    report = subprocess.run([*run, "report", str(out), "--course", str(course_file)], capture_output=True, text=True,
                            timeout=300)
    assert report.returncode == 0, report.stderr
    return out


ENDINGS = {"ann": ("graded", ""), "cy": ("not importing", "SyntaxError in neural_network.py, line 2"),
           "dee": ("timed out", "did not finish within the time limit of 1 s"),
           "eve": ("empty", "Nothing to grade: none of neural_network.py"),
           "kim": ("kit-error", "Not graded: the grading kit failed")}


@needs_chromium
def test_write_report_says_how_each_grading_ended_and_why(endings: Path, tmp_path: Path) -> None:
    dom = chromium((endings / "report.html").as_uri(), tmp_path / "profile", "--dump-dom")
    for student, (ending, reason) in ENDINGS.items():
        row = re.search(rf'<th scope="row" data-v="{student}">{student}</th>\s*<td class="status ([a-z-]+)" '
                        rf'data-v="([^"]+)"[^>]*>([^<]+)(?:<br><small>([^<]*)</small>)?</td>', dom)
        assert row and row.group(1) == ending.replace(" ", "-") and row.group(2) == row.group(3) == ending, student
        assert reason in (row.group(4) or ""), (student, row.group(4))
        assert f'<a href="{student}/feedback.html">feedback</a>' in dom
        assert (endings / student / "feedback.html").exists()


@needs_chromium
def test_feedback_page_is_the_feedback_as_html_with_the_plots(endings: Path, tmp_path: Path) -> None:
    page = endings / "ann" / "feedback.html"
    dom = chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert "<table>" in dom and "<td>conv2d</td>" in dom and "|---|" not in dom and "**" not in dom
    assert re.findall(r'<img src="(figures/[^"]+)"', dom) == ["figures/exercise_3.png", "figures/exercise_4.png"]
    assert '<a href="../report.html">Class report</a>' in dom
    shot = tmp_path / "feedback.png"
    chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1600")
    with Image.open(shot) as image:
        black = sum(n for n, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20) if rgb == (0, 0, 0))
    assert black > 20_000  # the digits' black backgrounds: the plots are shown, not blocked (text is #222)
    cy = (endings / "cy" / "feedback.html").read_text(encoding="utf-8")
    assert "<pre><code class=\"language-text\">conv_exercises.py did not import: SyntaxError" in cy


# Added to a copy of the page (its policy removed): each image's shown width in CSS px over its width in pixels.
MEASURE = ("<script>addEventListener('load', () => { for (const img of document.images) "
           "img.dataset.shown = img.getBoundingClientRect().width + '/' + img.naturalWidth; });</script></body>")


@needs_chromium
def test_write_report_chart_text_is_at_least_10_css_px_where_shown(graded: Path, course: Course,
                                                                   tmp_path: Path) -> None:
    """The charts' smallest text in pt, at the PNGs' DPI, scaled by the width the page shows them at."""
    results, chosen = student_results(graded), course.assignment("part-4.2")
    figures = [score_figure(results, chosen.max_score), rates_figure(pass_rates(results, chosen), list(chosen.parts)),
               mistakes_figure(recognised_mistakes(results))]
    for fig in figures:
        FigureCanvasAgg(fig).draw()
    smallest = min(t.get_fontsize() for fig in figures for t in fig.findobj(Text) if t.get_visible() and t.get_text())
    measured = tmp_path / "measured.html"
    html = (graded / "report.html").read_text(encoding="utf-8")
    measured.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html).replace("</body>", MEASURE))
    dom = chromium(measured.as_uri(), tmp_path / "profile", "--dump-dom", "--window-size=1280,2000")
    shown = [(float(a), int(b)) for a, b in re.findall(r'data-shown="([\d.]+)/(\d+)"', dom)]
    assert len(shown) == 3
    for (css_px, png_px), stem in zip(shown, ("score_distribution", "test_pass_rates", "mistakes")):
        with Image.open(graded / "report" / f"{stem}.png") as image:
            assert image.width == png_px
        assert smallest / 72 * DPI * css_px / png_px >= 10, (stem, smallest, css_px, png_px)


def test_student_text_with_a_script_is_inert_on_every_page(graded: Path) -> None:
    report = (graded / "report.html").read_text(encoding="utf-8")
    feedback = (graded / HOSTILE / "feedback.html").read_text(encoding="utf-8")
    assert "timed out<br><small>exercise_3: check 1: stopped &lt;script&gt;alert(2)&lt;/script&gt;" in report
    assert "accepted &lt;script&gt;alert(2)&lt;/script&gt;" in feedback and "stopped &lt;script&gt;" in feedback
    assert SCRIPT not in report and "<script" not in feedback


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_write_report_without_results_names_the_folder_and_fix(tmp_path: Path, course: Course, make) -> None:
    folder = make(tmp_path)
    with pytest.raises(KitError) as caught:
        write_report(folder, course)
    assert caught.value.path == str(folder) and "python cli.py grade" in caught.value.fix
