"""The class report: PNG figures, and the HTML page as a real headless browser renders and sorts it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from gradekit.course import Course
from gradekit.errors import KitError
from gradekit.report import recognised_mistakes, write_report
from gradekit.results import Results, save_results
from gradekit.results import TestResult as Check  # a "Test" name would be collected by pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                    "(apt-get install chromium): the report's browser checks need it")
PNG = b"\x89PNG\r\n\x1a\n"
FLIPPED = "kernel not flipped: this is a cross-correlation, flip the kernel with kernel[::-1, ::-1]."
HOSTILE = "<img src=x onerror=alert(1)>"


def make_results(course: Course, failed: dict[str, str | None], penalty: float = 0.0, error: str = "") -> Results:
    """Two tests per part of part-4.2; each part in `failed` fails both, with that hint."""
    tests = []
    for part, spec in course.assignment("part-4.2").parts.items():
        for n in (1, 2):
            ok = part not in failed
            tests.append(Check(name=f"{part}: check {n}", score=spec.points / 2 if ok else 0,
                                    max_score=spec.points / 2, status="passed" if ok else "failed",
                                    tags=[part], extra_data={"hint": None if ok else failed[part]}))
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
        HOSTILE: make_results(course, {"exercise_3": None}),
        "dan": make_results(course, {}, error="not a zip file"),
    }
    for student, results in students.items():
        save_results(results, folder / student / "results.json")
        (folder / student / "feedback.md").write_text("# Feedback\n")
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
    assert 'href="%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/feedback.md"' in html


def test_recognised_mistakes_count_each_student_once(graded: Path) -> None:
    from gradekit.gradebook import student_results

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


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_write_report_without_results_names_the_folder_and_fix(tmp_path: Path, course: Course, make) -> None:
    folder = make(tmp_path)
    with pytest.raises(KitError) as caught:
        write_report(folder, course)
    assert caught.value.path == str(folder) and "python cli.py grade" in caught.value.fix
