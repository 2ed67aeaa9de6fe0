"""The course kit's command line: release handouts, grade submissions, validate the course.

Thin by design: each command parses its options, calls the engine in `gradekit`, prints.
User errors print as one line naming the file and the fix; --debug shows the traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradekit.errors import KitError, os_error  # noqa: E402
from gradekit.inert import for_terminal  # noqa: E402

COURSE_OPTION = click.option("--course", "course_file", default="course.yaml", show_default=True,
                             type=click.Path(dir_okay=False, path_type=Path), help="The course description.")


def user_errors(command: Callable) -> Callable:
    """Turn KitError and OSError into a one-line message (and exit 1) unless --debug was given."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (KitError, OSError) as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            error = exc if isinstance(exc, KitError) else os_error(exc)
            raise click.ClickException(" ".join(for_terminal(str(error)).splitlines())) from None

    return wrapper


def echo(text: str, **style) -> None:
    """Print `text` (it may hold students' names and messages) with nothing in it a terminal would act on."""
    click.secho(for_terminal(text), **style)


def _course(course_file: Path, *, content: bool = True):
    """The kit's paths and course; with `content`, reference/ and graders/ must be beside course.yaml."""
    from gradekit.course import load_course
    from gradekit.paths import KitPaths

    paths = KitPaths.find(course_file)
    course = load_course(course_file)
    if content:
        paths.require_content()
    return paths, course


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Autograded exercises for 'Learn Deep Learning with NumPy' (Part 4.2: conv2d, and the library).

    \b
    Students:     release a handout, fill it in, then `check` and `package` it.
    Instructors:  `grade` a submission or a class folder, then `report`, `similar`, `export`;
                  `validate` the course and its graders.
    """


@cli.command()
@click.argument("assignment", required=False)
@click.option("--to", "dest", type=click.Path(path_type=Path), default=None,
              help="Write ASSIGNMENT's handout (default: the course's default assignment) to this folder.")
@click.option("--format", "fmt", type=click.Choice(["py", "notebook", "nbgrader"]), default="py", show_default=True,
              help="py files, one notebook, or an nbgrader course (--to is then the course folder).")
@COURSE_OPTION
@user_errors
def release(assignment: str | None, dest: Path | None, fmt: str, course_file: Path) -> None:
    """Regenerate exercises/ from reference/; or, with --to DIR, write one assignment's handout there.

    \b
    A handout holds the stubs, the data, the public tests and the kit's command line:
    in DIR, `python cli.py check` and `python cli.py package` work as in the kit.
    Releasing again into the same DIR keeps the files the student changed.
    """
    from gradekit.release import release as release_to

    paths, course = _course(course_file)
    done = release_to(paths, course, assignment=assignment, dest=dest, fmt=fmt)
    echo(f"Released {done.what}: {len(done.written)} files to {done.dest}")
    if done.kept:
        echo(f"Kept {len(done.kept)} file(s) changed since the last release: "
                   + ", ".join(str(p.relative_to(done.dest)) for p in done.kept))


@cli.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"),
              show_default=True, help="Folder for results.json, feedback.md and figures/ (per student for a class).")
@click.option("-a", "--assignment", default=None, help="Assignment from course.yaml (default: its default_assignment).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Reproduce a run: the seed recorded in results.json (0 to 2**32-1, as numpy's seeding).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="Parallel graders for a class [all cores].")
@click.option("--force", is_flag=True, help="Regrade every submission of a class, even unchanged ones.")
@click.option("--times", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of student,submitted_at for the late policy (when submissions have no manifest).")
@click.option("--shard", default=None, metavar="K/N", help="Grade only shard K of N (0-based) of a class.")
@COURSE_OPTION
@user_errors
def grade(submission: Path, out: Path, assignment: str | None, seed: int | None, jobs: int | None, force: bool,
          times: Path | None, shard: str | None, course_file: Path) -> None:
    """Grade SUBMISSION (a folder, .zip or notebook), or a class: a folder of them, one per student.

    Exits 0 when every submission was graded (whatever the scores), 1 when the kit could not grade one.
    """
    from gradekit import stopping
    from gradekit.batch import is_class_folder
    from gradekit.results import ensure_writable

    stopping.exit_on_signals(message=_stopped)
    paths, course = _course(course_file)
    ensure_writable(out)
    if is_class_folder(submission, course, assignment):
        _grade_class(submission, out, paths, course, assignment, seed, jobs, force, times, shard)
    else:
        _grade_one(submission, out, paths, course, assignment, seed, times)


def _stopped(signum: int) -> str:
    import signal

    return (f"Error: grading stopped by {signal.Signals(signum).name}; what was graded is kept, "
            "run the same command again to grade the rest.")


def _grade_one(submission, out, paths, course, assignment, seed, times) -> None:
    from gradekit.grading.feedback import summary_table
    from gradekit.grading.run import grade_or_kit_error
    from gradekit.late import read_times

    submitted = read_times(times).get(submission.stem) if times else None
    results = grade_or_kit_error(submission, out, paths=paths, course=course, assignment=assignment, seed=seed,
                                 submitted_at=submitted)
    if not results.has_score:
        raise click.ClickException(f"{submission}: {results.output}")
    echo(summary_table(results))
    echo(f"\nResults: {out / 'results.json'}   Feedback: {out / 'feedback.md'}   "
               f"({results.execution_time:.2f} s, seed {results.extra_data['seed']}, "
               f"isolation {results.extra_data['isolation']})")
    if results.output:
        echo(results.output)


def _grade_class(folder, out, paths, course, assignment, seed, jobs, force, times, shard) -> None:
    from gradekit.batch import grade_class
    from gradekit.late import read_times

    from gradekit.gradebook import closing_line, kit_errors, student_results

    gradebook = grade_class(folder, out, paths=paths, course=course, assignment=assignment, jobs=jobs, force=force,
                            seed=seed, times=read_times(times) if times else None, shard=_shard(shard),
                            on_progress=ProgressPrinter())
    results = student_results(out)
    echo(f"Gradebook: {gradebook}")
    echo(closing_line(results))
    if kit_errors(results):
        sys.exit(1)


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
        if 0 <= k < n:
            return k, n
    except ValueError:
        pass
    raise KitError(f"--shard {text} is not K/N with 0 <= K < N", fix="e.g. --shard 0/4 for the first of four shards")


class ProgressPrinter:
    """A progress bar (count, rate, time left) on a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()

    def __call__(self, p) -> None:
        if p.done == 0:
            echo(f"Grading {p.total} submission(s)" + ("" if p.total else ": all up to date"))
            return
        res = p.results
        score = "?" if res is None else f"{res.score:g}/{res.max_score:g}" if res.has_score else res.status
        eta = f"{p.eta:.0f} s left" if p.done < p.total else "done"
        if self.tty:
            bar = "#" * int(30 * p.done / p.total)
            click.echo("\r", nl=False)
            echo(f"[{bar:<30}] {p.done}/{p.total}  {p.rate:.1f}/s  {eta}  {for_terminal(p.student)[:20]:<20}", nl=False)
            if p.done == p.total:
                click.echo()
        else:
            echo(f"{p.done}/{p.total} {p.student}: {score} ({p.rate:.1f}/s, {eta})")


@cli.command()
@click.argument("folder", default="exercises", type=click.Path(path_type=Path))
@click.option("-a", "--assignment", default=None, help="Assignment from course.yaml (default: its default_assignment).")
@COURSE_OPTION
@user_errors
def check(folder: Path, assignment: str | None, course_file: Path) -> None:
    """Run the public tests on your work in FOLDER: a line per function, with the same hints as the grade."""
    import tempfile

    from gradekit.grading.run import grade as grade_one

    paths, course = _course(course_file)
    with tempfile.TemporaryDirectory(prefix="gradekit-check-") as out:
        results = grade_one(folder, Path(out), paths=paths, course=course, assignment=assignment, public_only=True)
    for line, color in check_lines(results):
        echo(line, fg=color)
    echo(f"\nPublic tests: {results.score:g} / {results.max_score:g}. "
               "The real grade also runs hidden tests with new inputs.")


def check_lines(results) -> list[tuple[str, str]]:
    """A line per part: done, failing (why), not started."""
    from gradekit.grading.feedback import status_word

    lines = []
    for part in results.part_scores():
        word = status_word(results, part)
        failed = [t for t in results.tests if t.part == part and t.status == "failed"]
        why = f": {failed[0].output.splitlines()[0]}" if failed and word.startswith("failing") else ""
        color = {"done": "green", "not started": "yellow"}.get(word, "red")
        lines.append((f"{part:<22} {word}{why}", color))
        if failed and word.startswith("failing") and "Hint:" in failed[0].output:
            lines.append((f"{'':<22} {failed[0].output.split('Hint:', 1)[1].strip()}", color))
    return lines


@cli.command(name="package")
@click.argument("folder", default="exercises", type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", default=Path("submission.zip"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The zip to write.")
@click.option("-a", "--assignment", default=None, help="Assignment from course.yaml (default: its default_assignment).")
@COURSE_OPTION
@user_errors
def package_cmd(folder: Path, output: Path, assignment: str | None, course_file: Path) -> None:
    """Check your work in FOLDER is complete and compiles, then zip it with a manifest."""
    from gradekit.package import package

    _, course = _course(course_file, content=False)
    manifest = package(folder, output, course, assignment)
    echo(f"Wrote {output}: {', '.join(manifest['files'])} (+ MANIFEST.json, {manifest['created']})")


@cli.command()
@click.option("--course-only", is_flag=True, help="Only check that course.yaml is well formed.")
@COURSE_OPTION
@user_errors
def validate(course_only: bool, course_file: Path) -> None:
    """Check course.yaml; then prove the graders: reference full marks, stubs zero, every mutant caught."""
    paths, course = _course(course_file, content=False)
    total = sum(a.max_score for a in course.assignments.values())
    echo(f"{course_file}: OK ({len(course.assignments)} assignments, {total:g} points)")
    if course_only:
        return
    from gradekit.validate import validate_graders

    paths.require_content()
    failures = validate_graders(paths, course, echo=echo)
    if failures:
        raise click.ClickException(f"{len(failures)} grader check(s) failed: " + "; ".join(failures))


@cli.command()
@click.argument("graded", default="graded", type=click.Path(path_type=Path))
@click.option("-a", "--assignment", default=None, help="Assignment from course.yaml (default: the one graded).")
@COURSE_OPTION
@user_errors
def report(graded: Path, assignment: str | None, course_file: Path) -> None:
    """Class report of GRADED (the --out folder of a class `grade`): GRADED/report.html and PNGs."""
    from gradekit.paths import REPORT_FIGURES
    from gradekit.report import write_report

    _, course = _course(course_file, content=False)
    page = write_report(graded, course, assignment)
    echo(f"Wrote {page} (self-contained; figures also as PNG in {page.parent / REPORT_FIGURES})")


@cli.command()
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"),
              show_default=True, help="Folder for similarity.html and similarity.csv.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Least share of a student's own code in shared runs for a pair to be listed.")
@click.option("--exclude", "given", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A .py file of code everyone had (e.g. the blog's listing); repeat for more. "
                   "The handout's stubs are always excluded.")
@COURSE_OPTION
@user_errors
def similar(submissions: Path, out: Path, threshold: float, given: tuple[Path, ...], course_file: Path) -> None:
    """Pairs of students in SUBMISSIONS whose own code is unusually alike, side by side (offline).

    A high score is a reason to look, not a verdict.
    """
    from gradekit.results import ensure_writable
    from gradekit.similarity import similarity_report

    paths, _ = _course(course_file, content=False)
    ensure_writable(out)
    handout = sorted(paths.exercises.glob("*.py")) + list(given)
    pairs = similarity_report(submissions, out, handout=handout, threshold=threshold)
    for pair in pairs[:10]:
        echo(f"{pair.score:6.0%}  {pair.student_a}  {pair.student_b}")
    more = " (first 10 shown)" if len(pairs) > 10 else ""
    echo(f"{len(pairs)} pair(s) at or above {threshold:.0%}{more}. Details: {out / 'similarity.html'}")


@cli.group()
def export() -> None:
    """Export for a learning platform: a Gradescope autograder, a Canvas gradebook CSV."""


@export.command()
@click.argument("assignment", required=False)
@click.option("-o", "--output", default=Path("autograder.zip"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The autograder zip to upload to Gradescope.")
@COURSE_OPTION
@user_errors
def gradescope(assignment: str | None, output: Path, course_file: Path) -> None:
    """Gradescope autograder zip for ASSIGNMENT (setup.sh, run_autograder, this kit's graders)."""
    from gradekit.export import export_gradescope

    paths, course = _course(course_file)
    written = export_gradescope(paths, course, assignment, output)
    echo(f"Wrote {written}: upload it as the assignment's autograder (Configure Autograder > Zip file)")


@export.command()
@click.argument("gradebook_csv", metavar="GRADEBOOK", type=click.Path(path_type=Path))
@click.option("-o", "--output", default=Path("canvas.csv"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The CSV to import into Canvas.")
@click.option("-a", "--assignment", default=None, help="Assignment from course.yaml (default: its default_assignment).")
@click.option("--title", default=None, help="Canvas column title, e.g. 'Part 4.2 (12345)' [the assignment's title].")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Canvas's own gradebook export, to fill in names and IDs.")
@COURSE_OPTION
@user_errors
def canvas(gradebook_csv: Path, output: Path, assignment: str | None, title: str | None, roster: Path | None,
           course_file: Path) -> None:
    """Canvas-importable CSV from GRADEBOOK (the gradebook.csv of a class `grade`)."""
    from gradekit.export import export_canvas

    _, course = _course(course_file, content=False)
    chosen = course.assignment(assignment)
    written = export_canvas(gradebook_csv, output, assignment_title=title or chosen.title,
                            points=chosen.max_score, roster=roster)
    echo(f"Wrote {written}: import it in Canvas (Grades > Import)")


@cli.group()
def gradebook() -> None:
    """Merge the gradebooks of a class graded in shards on several machines."""


@gradebook.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", default=Path("gradebook.csv"), show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@user_errors
def merge(shards: tuple[Path, ...], output: Path) -> None:
    """Merge SHARDS (gradebook.csv files of the same assignment) into one."""
    from gradekit.gradebook import merge_gradebooks

    count = merge_gradebooks(list(shards), output)
    echo(f"Wrote {output}: {count} students from {len(shards)} shard(s)")


if __name__ == "__main__":
    cli()
