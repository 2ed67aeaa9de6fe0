"""Grading a class on a Dask cluster: each worker keeps the course and a warm sandbox, the client writes the results.

Nothing is shared but the network. The client sends the course's content once, as a worker plugin that the
scheduler sets up again on every worker that joins or restarts, and each submission's bytes with its task. A worker
grades in a folder of its own and sends back the files grading wrote there; the client writes them under --out,
results.json last. A task reads only what it is sent and writes only in its own folder, so when its worker dies the
scheduler runs it again elsewhere, with the same seed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import gradekit
from gradekit import stopping
from gradekit.authoring import named_reference_functions, require_sound_graders
from gradekit.content import content_digest, course_content
from gradekit.course import Course, open_course
from gradekit.errors import KitError
from gradekit.fsio import write_atomic
from gradekit.grade.batch import ClassTask, Progress, grade_staged
from gradekit.grade.late import Timing
from gradekit.grade.pipeline import record_kit_error
from gradekit.grade.proxies import import_reference
from gradekit.intake import Entry, entry_digest, staged
from gradekit.layout import COURSE_FILE, RESULTS, KitPaths, files_under
from gradekit.results import Results
from gradekit.sandbox.pool import ZygotePool, launch_zygotes
from gradekit.submission import folder_files

try:
    import distributed
except ImportError:
    raise KitError("--dask-scheduler needs dask.distributed, which is not installed here", fix="pip install "
                   "'gradekit[dask]' (or 'dask[distributed]') on this machine and on every Dask worker") from None

PLUGIN = "gradekit"  # the worker plugin's name: a new run's plugin replaces the last one's
STARTED = "gradekit-started"  # the topic on which workers tell the client that they took a submission up
CONNECT_TIMEOUT_S = 10
TASK_RETRIES = 2  # a task that raised (its worker's disk full, ...) runs again; a dead worker's runs again anyway
IN_FLIGHT = 2  # submissions sent per worker thread ahead of their grading: the class's bytes are not all held at once
MIN_AHEAD = 8  # sent before any worker has joined


@dataclass(frozen=True)
class Parcel:
    """A submission as bytes, to grade where its files are not: one file, or a folder's files (none: empty)."""

    name: str  # the file's or folder's name
    shown: str  # its path here, for the messages that name it
    files: dict[str, bytes]  # by path from the folder holding it
    folder: bool
    refusal: KitError | None = None  # why its files could not be read (a link leaving it, ...)

    @classmethod
    def of(cls, entry: Entry) -> "Parcel":
        """What `entry` handed in, read as `prepare` reads it."""
        try:
            with staged(entry) as source:
                if source.is_dir():
                    files = {f"{source.name}/{rel.as_posix()}": path.read_bytes() for rel, path in folder_files(source)}
                else:
                    files = {source.name: source.read_bytes()} if source.is_file() else {}
                return cls(source.name, str(source), files, source.is_dir())
        except KitError as exc:
            return cls(entry.path.name, str(entry.path), {}, False, exc)

    @contextlib.contextmanager
    def unpacked(self, folder: Path) -> Iterator[Path]:
        """The submission written in `folder`; a KitError about it names it by its path on the client."""
        if self.refusal is not None:
            raise self.refusal
        for name, data in self.files.items():
            write_atomic(folder / name, data)
        if self.folder:
            (folder / self.name).mkdir(parents=True, exist_ok=True)
        try:
            yield folder / self.name
        except KitError as exc:
            here, shown = str(folder / self.name), self.shown
            raise KitError(exc.message.replace(here, shown), path=exc.path and exc.path.replace(here, shown),
                           fix=exc.fix) from None


class CourseOnWorker(distributed.WorkerPlugin):
    """On each Dask worker: the course's content in the worker's folder, its reference imported, a warm sandbox.

    It grades one submission at a time (pytest and the sandbox are the process's): give workers one thread each.
    """

    name = PLUGIN

    def __init__(self, content: dict[str, bytes], assignment: str):
        self.content, self.assignment, self.kit_version = content, assignment, gradekit.__version__
        self.course_sha256 = content_digest(content)  # the client's, of the same bytes: its results are current

    def setup(self, worker: distributed.Worker) -> None:
        self.cleanups = contextlib.ExitStack()  # what teardown undoes, even of a setup that failed
        if self.kit_version != gradekit.__version__:
            raise KitError(f"this worker runs gradekit {gradekit.__version__}, the client {self.kit_version}",
                           path=worker.address, fix="install the same version of the kit everywhere")
        self.root = Path(worker.local_directory) / "gradekit-course"
        self.cleanups.callback(shutil.rmtree, self.root, ignore_errors=True)
        self.cleanups.callback(_forget, self.root)
        for name, data in self.content.items():
            write_atomic(self.root / name, data)
        self.paths, self.course = open_course(self.root / COURSE_FILE)
        chosen = self.course.assignment(self.assignment)
        graders = require_sound_graders(self.paths, self.course, self.assignment or self.course.default_assignment)
        import_reference(self.paths.reference, chosen.modules, named_reference_functions(graders))  # not in a grading
        self.limits, self.lock = self.course.limits_for(chosen), threading.Lock()
        self.sandboxes = self.cleanups.enter_context(ZygotePool())
        for zygote in launch_zygotes(1, self.limits):  # here, in the worker's main thread: it lives as long
            self.sandboxes.adopt(zygote)

    def teardown(self, worker: distributed.Worker) -> None:
        self.cleanups.close()

    def grade(self, entry: Entry, parcel: Parcel, digest: str, seed: int, timing: Timing) -> dict[str, bytes]:
        """Grade `parcel` in a folder of its own; the files grading wrote, by path from the student's folder."""
        with self.lock, stopping.temporary_directory("gradekit-task-", self.root.parent) as tmp:
            distributed.get_worker().log_event(STARTED, entry.student)
            out = Path(tmp) / "out"
            grade_staged(entry, parcel.unpacked(Path(tmp) / "in"), out, digest, paths=self.paths, course=self.course,
                         assignment=self.assignment, course_sha256=self.course_sha256, seed=seed, timing=timing,
                         zygote=self.sandboxes.get(self.limits))
            return {path.relative_to(out).as_posix(): path.read_bytes() for path in files_under(out)}


def grade_parcel(entry: Entry, parcel: Parcel, digest: str, seed: int, timing: Timing) -> dict[str, bytes]:
    """The task: grade one submission on this worker (see CourseOnWorker.grade)."""
    return distributed.get_worker().plugins[PLUGIN].grade(entry, parcel, digest, seed, timing)


def _forget(folder: Path) -> None:
    """Unload the modules imported from `folder` and take it off sys.path: the next course's modules are its own."""
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(folder):
            del sys.modules[name]
    sys.path[:] = [entry for entry in sys.path if not Path(entry).is_relative_to(folder)]


class ClusterGrader:
    """Grades a class's tasks on the cluster of `client` (grade_class's `remote`)."""

    def __init__(self, client: distributed.Client):
        self.client = client

    def __call__(self, tasks: list[ClassTask], paths: KitPaths, course: Course, assignment: str,
                 on_progress: Callable[[Progress], None]) -> None:
        with self._course_on_workers(paths, course, assignment) if tasks else contextlib.nullcontext():
            self._grade_all([_seeded(task) for task in tasks], on_progress)

    @contextlib.contextmanager
    def _course_on_workers(self, paths: KitPaths, course: Course, assignment: str) -> Iterator[None]:
        """The course set up on every worker (and every one that joins) while the class is graded.

        A worker's KitError (another version of the kit) reaches here as it was raised.
        """
        content = course_content(paths, course)
        try:
            _register(self.client, CourseOnWorker(content, assignment))
            yield
        finally:
            self.client.unregister_worker_plugin(PLUGIN)

    def _grade_all(self, tasks: list[ClassTask], on_progress: Callable[[Progress], None]) -> None:
        """Send the tasks, a few per worker thread ahead, and write each one's results as they come back; report
        each submission as a worker takes it up (told on the client's event thread) and as it completes."""
        started, waiting, done, lock = time.monotonic(), iter(tasks), 0, threading.Lock()

        def report(progress: Progress) -> None:
            with lock:
                on_progress(progress)

        report(Progress(0, len(tasks), "", None, started, "began"))
        self.client.subscribe_topic(STARTED, lambda event: report(Progress(done, len(tasks), str(event[1]), None,
                                                                           started, "started")))
        try:
            sent = {self._send(task): task for task in islice(waiting, self._ahead())}
            running = distributed.as_completed(list(sent), loop=self.client.loop)
            for done, future in enumerate(running, 1):
                task = sent.pop(future)
                for more in islice(waiting, max(0, self._ahead() - len(sent))):
                    sent[nxt := self._send(more)] = more
                    running.add(nxt)
                report(Progress(done, len(tasks), task.entry.student, _received(future, task), started, "finished"))
        finally:
            self.client.unsubscribe_topic(STARTED)

    def _ahead(self) -> int:
        """How many submissions to have sent, for the workers there are now (more may join)."""
        return max(MIN_AHEAD, IN_FLIGHT * sum(self.client.nthreads().values()))

    def _send(self, task: ClassTask) -> distributed.Future:
        entry = task.entry
        return self.client.submit(grade_parcel, entry, Parcel.of(entry), entry_digest(entry), task.seed, task.timing,
                                  key=f"gradekit-{entry.student}-{secrets.token_hex(4)}", retries=TASK_RETRIES)


def _register(client: distributed.Client, plugin: CourseOnWorker) -> None:
    try:
        client.register_plugin(plugin)
    except ImportError as exc:  # a worker without the kit (or its dependencies) cannot even unpickle the plugin
        raise KitError(f"a Dask worker cannot set up the course ({exc})", path=client.scheduler.address,
                       fix="install the kit with its dependencies on every worker (pip install 'gradekit[dask]'), "
                           "then start the workers again") from None


def _seeded(task: ClassTask) -> ClassTask:
    """The task with its seed drawn here when none was given: graded again elsewhere, it is graded the same."""
    return task if task.seed is not None else dataclasses.replace(task, seed=secrets.randbelow(2**31))


def _received(future: distributed.Future, task: ClassTask) -> Results:
    """Write a task's files in the student's folder, results.json last; a task that failed for good is a kit error."""
    entry, out, course, assignment, seed = task.entry, task.out, task.course, task.assignment, task.seed
    try:
        files = future.result()
    except Exception as exc:  # noqa: BLE001 - its workers kept dying, the scheduler went: the kit's fault
        return record_kit_error(exc, out / entry.student, course=course, assignment=assignment, seed=seed,
                                extra={"entry_sha256": entry_digest(entry), "student": entry.student})
    for name in sorted(files, key=lambda name: name == RESULTS):
        write_atomic(out / entry.student / name, files[name])
    return Results.model_validate_json(files[RESULTS])


@contextlib.contextmanager
def connect(address: str) -> Iterator[ClusterGrader]:
    """A grader on the Dask cluster whose scheduler is at `address`, or a KitError saying why there is none."""
    try:
        distributed.comm.resolve_address(address)  # before a Client, which would hang on closing
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise KitError(f"no Dask scheduler answers there ({exc or type(exc).__name__})", path=address,
                       fix="start one (`dask scheduler`, or a dask-jobqueue cluster) and pass the address it "
                           "prints, e.g. --dask-scheduler tcp://10.0.0.5:8786") from None
    with client:
        yield ClusterGrader(client)
