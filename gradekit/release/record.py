"""The reference's answers, recorded: a handout checks against them without holding the reference.

A handout's public tests compare the student's functions with the reference's, but the handout
must not hold the reference. So the release runs those tests once with the reference as the
student, on the fixed inputs of the handout's graders/conftest.py, and records every answer the
tests asked of the reference (reference/answers.json); the handout's reference/ modules
(REPLAY_MODULE) answer from that record.

This is the one module of the release that uses the grading core (its session, the worker).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

from gradekit.content import dataset_payload, helper_functions, helpers_source
from gradekit.course import Assignment, Course
from gradekit.errors import KitError
from gradekit.fsio import write_atomic
from gradekit.grade.outcomes import Outcome
from gradekit.grade.proxies import ReferenceProxy, StudentProxy, load_reference
from gradekit.grade.session import Fixtures, Grading, run_session
from gradekit.layout import ANSWERS, GRADERS, REFERENCE, KitPaths, grader_modules
from gradekit.parts import item_title, part_of
from gradekit.release.public_tests import CHECK_SEED
from gradekit.sandbox.runner import wire
from gradekit.sandbox.worker import CallResult, Worker
from gradekit.submission import prepare

Helpers = Mapping[str, Callable]

REPLAY_MODULE = '''\
"""The reference solution's answers to this handout's public tests, recorded when it was released.

`python cli.py check` compares your functions with these answers; the solutions are not in the handout.
"""

from gradekit.release.record import recorded_functions

globals().update(recorded_functions(__file__))
'''


@dataclass
class Call:
    """One call a grader made of the reference: from which test, with what, and its answer."""

    test: str
    part: str
    function: str
    args: tuple
    kwargs: dict
    seed: int | None
    value: Any


class Recorder:
    """Stands in for the reference in a grading run and notes every call the graders make of it; `student_calls`
    are the calls they make of the student, who is the reference in such a run (their values are its answers)."""

    def __init__(self, reference: ReferenceProxy):
        self.reference, self.helpers = reference, reference.helpers
        self.calls: list[Call] = []
        self.student_calls: list[Call] = []
        self.outcomes: list[Outcome] = []  # the tests that ran, as record_reference ran them
        self.test = self.part = ""

    def __getattr__(self, func: str) -> Any:
        if func.startswith("_") or func in ("reference", "helpers"):
            raise AttributeError(func)
        getattr(self.reference, func)  # an AttributeError for a function the reference does not have
        return lambda *args, **kwargs: self.call(func, *args, **kwargs).value

    def call(self, func: str, *args: Any, seed: int | None = None, echo_args: bool = False,
             **kwargs: Any) -> CallResult:
        args_in, kwargs_in = copy.deepcopy((args, kwargs))
        result = self.reference.call(func, *args, seed=seed, echo_args=echo_args, **kwargs)
        self.calls.append(Call(self.test, self.part, func, args_in, kwargs_in, seed, result.value))
        return result


class RecordingStudent(StudentProxy):
    """The student of a recording run (the reference, in the worker), whose calls the recorder notes too."""

    def __init__(self, recorder: Recorder, *args: Any):
        super().__init__(*args)
        self._recorder = recorder

    def call(self, func: str, *args: Any, seed: int | None = None, **kwargs: Any) -> CallResult:
        args_in, kwargs_in = copy.deepcopy((args, kwargs))
        result = super().call(func, *args, seed=seed, **kwargs)
        recorder = self._recorder
        recorder.student_calls.append(Call(recorder.test, recorder.part, func, args_in, kwargs_in, seed, result.value))
        return result


class RecordingFixtures(Fixtures):
    """The usual fixtures, but `reference` is a Recorder and `student` a RecordingStudent that know which test is
    asking."""

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> RecordingStudent:
        return RecordingStudent(self._asked_by(request), *self.student_arguments())

    @pytest.fixture(name="reference")
    def reference_fixture(self, request: pytest.FixtureRequest) -> Recorder:
        return self._asked_by(request)

    def _asked_by(self, request: pytest.FixtureRequest) -> Recorder:
        recorder = self.grading.reference
        recorder.test, recorder.part = request.node.nodeid, part_of(item_title(request.node))
        return recorder


def record_reference(paths: KitPaths, course: Course, assignment: Assignment, graders: Path,
                     seed: int = CHECK_SEED) -> Recorder:
    """Run `graders` for `assignment` with the reference as the student; its recorder holds the calls they made
    and the tests' outcomes."""
    source = helpers_source(paths)
    recorder = Recorder(load_reference(paths.reference, assignment.modules, helper_functions(source)))
    files = grader_modules(graders, assignment.graders)
    with tempfile.TemporaryDirectory(prefix="gradekit-record-") as tmp:
        submission = prepare(paths.reference, Path(tmp) / REFERENCE)
        with Worker(submission.folder, assignment.modules, course.limits_for(assignment), helpers=source,
                    environment=course.environment, datasets=dataset_payload(paths, course)) as worker, _own_test_modules(graders):
            grading = Grading(course, assignment, worker, recorder, seed)
            session = run_session(files, graders, grading, RecordingFixtures)
    recorder.outcomes = session.outcomes
    failed = [o.name for o in session.outcomes if not o.passed]
    code = session.exit_code
    if code not in (0, 5) or failed:
        raise KitError(f"the reference does not pass its own tests ({'; '.join(failed[:3]) or f'pytest exit {code}'})",
                       path=paths.reference, fix="run `python cli.py validate` and fix what it names")
    return recorder


@contextlib.contextmanager
def _own_test_modules(graders: Path) -> Iterator[None]:
    """Import `graders`' modules afresh and forget them after.

    Pytest imports a test file by its name (test_*.py, conftest): a handout's graders and the kit's
    share those names, and a process that ran one folder would refuse to collect the other.
    """
    names = {path.stem for path in graders.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name in names}
    try:
        yield
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def recorded_answers(paths: KitPaths, course: Course, key: str, graders: dict[str, str],
                     data: dict[str, bytes]) -> dict[Path, bytes]:
    """reference/ of a handout: a module per assignment module answering from reference/answers.json.

    `graders` is the handout's graders/ (name -> source); `data` are the files the graders may read
    from reference/ (the handout has them there too).
    """
    assignment = course.assignments[key]
    public = assignment.public_only()
    calls: list[Call] = []
    helpers: Helpers = {}
    if graders and public.parts:
        with tempfile.TemporaryDirectory(prefix="gradekit-public-") as tmp:
            for name, source in graders.items():
                write_atomic(Path(tmp) / GRADERS / name, source)
            for name, content in data.items():
                write_atomic(Path(tmp) / REFERENCE / name, content)
            recorder = record_reference(paths, course, public, Path(tmp) / GRADERS)
            calls, helpers = recorder.calls, recorder.helpers
    files = {Path(REFERENCE) / f"{module}.py": REPLAY_MODULE.encode("utf-8") for module in assignment.modules}
    files[Path(REFERENCE) / ANSWERS] = answers_json(calls, helpers).encode("utf-8")
    return files


def answers_json(calls: list[Call], helpers: Helpers) -> str:
    """The recorded answers: function -> inputs' key -> the answers given, in order, in the wire format."""
    table: dict[str, dict[str, list]] = {}
    for call in calls:
        key = call_key(call.function, call.args, call.kwargs, helpers)
        table.setdefault(call.function, {}).setdefault(key, []).append(wire.encode(plain(call.value, helpers)))
    return json.dumps({"seed": CHECK_SEED, "answers": table}, sort_keys=True) + "\n"


def recorded_functions(module_file: str | Path) -> dict[str, Callable]:
    """The functions of a handout's reference/ module: each answers the recorded inputs with the recorded answer."""
    path = Path(module_file).with_name(ANSWERS)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))["answers"]
    except (OSError, ValueError, KeyError) as exc:
        raise KitError(f"the recorded answers are missing or damaged ({type(exc).__name__})", path=path,
                       fix="release the handout again") from None
    helpers = helper_functions(helpers_source(KitPaths(path.resolve().parent.parent)))
    return {name: _answering(name, answers, helpers) for name, answers in table.items()}


def _answering(name: str, answers: dict[str, list], helpers: Helpers) -> Callable:
    served: dict[str, int] = {}

    def answer(*args: Any, **kwargs: Any) -> Any:
        key = call_key(name, args, kwargs, helpers)
        if key not in answers:
            raise LookupError(f"{name}: no recorded answer for these inputs. The public tests changed since this "
                              "handout was released: release it again.")
        count = served[key] = served.get(key, 0) + 1
        return _with_figures(wire.decode(answers[key][(count - 1) % len(answers[key])]))

    answer.__name__ = name
    return answer


def call_key(function: str, args: tuple, kwargs: dict, helpers: Helpers) -> str:
    """A digest of a call's inputs, the same for the graders' `Fn(name)` and the helper it names."""
    data = wire.encode([function, list(plain(tuple(args), helpers)), plain(dict(kwargs), helpers)])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def plain(value: Any, helpers: Helpers) -> Any:
    """`value` with the course's named helpers as `Fn(name)` and matplotlib figures as their summaries."""
    if isinstance(value, tuple):
        return tuple(plain(v, helpers) for v in value)
    if isinstance(value, list):
        return [plain(v, helpers) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, helpers) for k, v in value.items()}
    name = _helper_name(value, helpers) if callable(value) else None
    if name is not None:
        return wire.Fn(name)
    if type(value).__name__ == "Figure" and type(value).__module__.startswith("matplotlib"):
        return wire.figure_summary(value)
    return value


def _helper_name(value: Callable, helpers: Helpers) -> str | None:
    """The helper `value` is: one of `helpers`, or the function of that name in another load of the helpers."""
    same = next((name for name, f in helpers.items() if f is value), None)
    if same is None and getattr(value, "__module__", None) == wire.HELPERS_MODULE \
            and getattr(value, "__name__", None) in helpers:
        return value.__name__
    return same


def _with_figures(value: Any) -> Any:
    """Recorded figure summaries back as matplotlib figures, as the reference returned them."""
    if isinstance(value, tuple):
        return tuple(_with_figures(v) for v in value)
    if isinstance(value, list):
        return [_with_figures(v) for v in value]
    if isinstance(value, wire.FigureSummary):
        from matplotlib.figure import Figure

        fig = Figure()
        for i, axes in enumerate(value.axes, start=1):
            ax = fig.add_subplot(1, len(value.axes), i)
            ax.set_title(axes.title)
            for image in axes.images:
                ax.imshow(image)
        return fig
    return value
