"""The untrusted side: imports a submission and runs its functions on request.

Runs inside the sandbox with only the submission, this folder and the Python runtime visible.
It speaks wire messages on the pipes it was started with; the student's own prints go to a
capped capture file instead. Nothing here decides a grade: replies are data the grader checks.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import signal
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any, BinaryIO

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import datasets  # noqa: E402
import fontlist  # noqa: E402
import import_hooks  # noqa: E402
import pngs  # noqa: E402
import renders  # noqa: E402
import scripts  # noqa: E402
import titles  # noqa: E402
import wire  # noqa: E402
from callopts import CallOptions  # noqa: E402

CAPTURE = os.path.join(os.environ.get("TMPDIR", "/tmp"), ".captured-output")
TOP_LEVEL = re.compile(r"^(?:@|def |class |async def |[A-Za-z_])")


class Channel:
    """The protocol pipes, moved off fds 0/1 so student prints cannot corrupt them."""

    def __init__(self) -> None:
        self.inp: BinaryIO = os.fdopen(os.dup(0), "rb")
        self.out: BinaryIO = os.fdopen(os.dup(1), "wb")
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        self.reply_cap: int | None = None

    def read(self) -> dict | None:
        header = self.inp.read(wire.HEADER.size)
        if len(header) < wire.HEADER.size:
            return None
        (size,) = wire.HEADER.unpack(header)
        return wire.parse_message(self.inp.read(size))

    def send(self, message: dict) -> None:
        """Send a reply; one that cannot be sent (too large, unencodable) becomes an error reply."""
        try:
            wire.write_message(self.out, message, limit=self.reply_cap)
        except (wire.WireError, TypeError, ValueError, RecursionError) as exc:
            wire.write_message(self.out, {"ok": False, "output": "", "error": {
                "type": "BadReturn", "message": f"returned {exc}", "file": None, "line": None}})


class Output:
    """Where the student's prints go: a capture file of which each call keeps the first `cap` bytes.

    sys.stdout/sys.stderr drop what is beyond the cap instead of writing it, so printing 50 MB
    neither fills a disk nor fails on the file-size limit; fds 1 and 2 (C code, child processes)
    write to the same file, bounded by RLIMIT_FSIZE.
    """

    def __init__(self, cap: int = 65536) -> None:
        self.fd = os.open(CAPTURE, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.dup2(self.fd, 1)
        os.dup2(self.fd, 2)
        self.cap, self.kept = cap, 0
        self.streams = [io.TextIOWrapper(io.BufferedWriter(_Capped(fd, self)), encoding="utf-8",
                                         errors="backslashreplace", line_buffering=True) for fd in (1, 2)]
        self.install()

    def install(self) -> None:
        sys.stdout, sys.stderr = self.streams

    def take(self) -> str:
        """What was printed since the last call, capped, then cleared."""
        for stream in self.streams:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            data = os.pread(self.fd, self.cap + 1, 0)
            os.ftruncate(self.fd, 0)
        except OSError:
            data = b""
        self.kept = 0
        self.install()  # a student who replaced sys.stdout gets ours back for the next call
        text = data[:self.cap].decode("utf-8", "replace")
        return text + ("\n[output cut]" if len(data) > self.cap else "")


class _Capped(io.RawIOBase):
    """A raw stream to `fd` that keeps at most cap + 1 bytes per call and never fails."""

    def __init__(self, fd: int, owner: Output) -> None:
        self.fd, self.owner = fd, owner

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        room = self.owner.cap + 1 - self.owner.kept
        if room > 0:
            chunk = bytes(data[:room])
            self.owner.kept += len(chunk)
            try:
                os.write(self.fd, chunk)
            except OSError:
                pass
        return len(data)


def describe_exception(exc: BaseException, root: str) -> dict:
    """An exception as the student should see it: type, message, and their file and line."""
    if isinstance(exc, SyntaxError):
        return {"type": "SyntaxError", "message": exc.msg or "invalid syntax",
                "file": os.path.basename(exc.filename or "?"), "line": exc.lineno}
    if isinstance(exc, SystemExit):
        return {"type": "SystemExit", "message": f"called sys.exit({exc.code!r})", "file": None, "line": None}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
    last = frames[-1] if frames else None
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:500],
        "file": os.path.basename(last.filename) if last else None,
        "line": last.lineno if last else None,
        "trace": [f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}" for f in frames][-6:],
    }


def load_module(name: str, root: str) -> tuple[types.ModuleType | None, dict | None]:
    """Import a submission module; if it fails, salvage the top-level pieces that work."""
    path = Path(root, f"{name}.py")
    if not path.is_file():
        return None, {"type": "MissingFile", "message": f"{name}.py is not in the submission",
                      "file": f"{name}.py", "line": None}
    try:
        return importlib.import_module(name), None
    except BaseException as exc:  # a submission may raise anything, SystemExit included
        error = describe_exception(exc, root)
    return salvage(name, path, root), error


def salvage(name: str, path: Path, root: str) -> types.ModuleType:
    """Run each top-level block of a broken file on its own, keeping those that work."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    for start, block in top_level_blocks(path.read_text(encoding="utf-8", errors="replace")):
        try:
            code = compile("\n" * start + block, str(path), "exec")
            exec(code, module.__dict__)
        except BaseException:  # noqa: BLE001 - a broken block is skipped, the rest still graded
            continue
    return module


def top_level_blocks(source: str) -> list[tuple[int, str]]:
    """Split a source into (first line index, text) blocks at unindented statements."""
    blocks: list[tuple[int, list[str]]] = []
    pending_decorator = False
    for i, line in enumerate(source.splitlines()):
        starts = bool(TOP_LEVEL.match(line))
        if starts and not pending_decorator:
            blocks.append((i, []))
        elif not blocks:
            blocks.append((i, []))
        blocks[-1][1].append(line)
        pending_decorator = line.startswith("@") or (pending_decorator and not starts)
    return [(start, "\n".join(lines) + "\n") for start, lines in blocks]


def load_helpers(source: str) -> dict[str, Any]:
    """The course's named helper functions, from their source (sent by the grader, run before any student code)."""
    namespace: dict[str, Any] = {"__name__": wire.HELPERS_MODULE}
    if source:
        exec(compile(source, f"{wire.HELPERS_MODULE}.py", "exec"), namespace)  # noqa: S102 - the course's code
    return wire.named_functions(namespace)


class Runner:
    """Holds the imported submission and answers requests."""

    def __init__(self, init: dict, output: Output) -> None:
        self.root = init["root"]
        self.output = output
        output.cap = int(init.get("output_cap", output.cap))
        os.environ.update({str(k): str(v) for k, v in (init.get("environment") or {}).items()})
        self.functions = load_helpers(init.get("helpers") or "")
        datasets.serve(init.get("datasets"))  # before any student code: it may fetch them on import
        sys.path[:0] = [self.root, *init.get("extra_paths", [])]
        self.modules: dict[str, types.ModuleType | None] = {}
        self.errors: dict[str, dict | None] = {}
        self.rendered: set[str] = set()  # functions whose figure was already drawn as PNG
        self.renders = renders.Renders(pngs.png_of)
        for name in init["modules"]:
            self.modules[name], self.errors[name] = load_module(name, self.root)

    def hello(self) -> dict:
        functions = {n: sorted(k for k, v in vars(m).items() if callable(v) and not k.startswith("_"))
                     for n, m in self.modules.items() if m is not None}
        return {"ok": True, "errors": self.errors, "functions": functions, "output": self.output.take(),
                "numpy": np.__version__, "python": sys.version.split()[0]}

    def call(self, request: dict) -> dict:
        if request.get("op") == "run":  # a script, run as __main__ with its calls and figures recorded
            return scripts.run_script(request, self.root, self.output.take, describe_exception)
        if request.get("op") == "figures":  # the PNGs drawn apart, once the grader's tests are done
            drawn = self.renders.collect(float(request["wait"]))
            return {"ok": True, "figures": wire.encode({str(token): np.frombuffer(png, dtype=np.uint8)
                                                        for token, png in drawn.items()})}
        module = self.modules.get(request["module"])
        fn = getattr(module, request["func"], None)
        if not callable(fn):
            return {"ok": False, "error": {"type": "MissingFunction", "message": f"{request['module']}.py has no "
                                           f"function {request['func']}()", "file": None, "line": None}}
        args = wire.decode(request.get("args", []), functions=self.functions)
        kwargs = wire.decode(request.get("kwargs", {"__dict__": {}}), functions=self.functions)
        options = CallOptions(request, fn, module, self.functions)
        if request.get("seed") is not None:
            np.random.seed(request["seed"])
        start = time.perf_counter()
        try:
            with options:
                value = fn(*args, **kwargs)
            value = wire.summarize(value, self._summary_of if request["func"] not in self.rendered
                                   else wire.figure_summary)
            self.rendered.add(request["func"])
        except BaseException as exc:  # noqa: BLE001 - reported to the grader as data
            return {"ok": False, "error": describe_exception(exc, self.root), "output": self.output.take()}
        elapsed = time.perf_counter() - start
        reply = {"ok": True, "elapsed": elapsed, "output": self.output.take(), **options.reply()}
        try:
            reply["value"] = wire.encode(value)
        except wire.WireError as exc:
            return {"ok": False, "error": {"type": "BadReturn", "message": f"returned {exc}, not numbers or arrays",
                                           "file": None, "line": None}, "output": reply["output"]}
        if request.get("echo_args"):
            reply["args_after"] = [_echo(a) for a in args]
        return reply

    def _summary_of(self, fig: Any) -> wire.FigureSummary:
        """A figure's summary, its PNG drawn by a child while the grader goes on (here, where none can start)."""
        later = self.renders.start(fig)
        return wire.figure_summary(fig, b"" if later is not None else pngs.png_if_drawable(fig), later)


def _echo(value: Any) -> Any:
    try:
        return wire.encode(value)
    except wire.WireError:
        return None


def main() -> None:
    channel, output = Channel(), Output()
    fontlist.seed()  # before any student code imports matplotlib
    import_hooks.light_scipy()  # or scipy
    import_hooks.after_import(titles.MODULE, titles.place_lightly)  # and matplotlib
    if hasattr(signal, "SIGXFSZ"):  # POSIX: an oversized write fails instead of killing us
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    channel.send({"alive": True})  # before any student code: a worker that dies before this is the kit's fault
    init = channel.read()
    if init is None:
        return
    channel.reply_cap = init.get("reply_cap")
    worker = Runner(init, output)
    channel.send(worker.hello())
    while (request := channel.read()) is not None:
        try:
            reply = worker.call(request)
        except (wire.WireError, KeyError, TypeError) as exc:
            reply = {"ok": False, "error": {"type": "BadRequest", "message": str(exc), "file": None, "line": None}}
        channel.send(reply)


if __name__ == "__main__":
    main()
