"""How a worker is contained: Linux namespaces (bubblewrap), pids and memory cgroups, and rlimits.

`plan()` picks the strongest layer this machine offers and says which, so results can record
it; rlimits, a scrubbed environment, timeouts and data-only replies are the POSIX core. Where
there are no rlimits (Windows: a student's `check` on their own laptop) the worker is a plain
child process with its time limits, the "process" layer.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from gradekit.course import Limits
from gradekit.errors import KitFault
from gradekit.sandbox import fonts, seccomp, unprivileged
from gradekit.sandbox.runner import fontlist

try:
    import resource
except ImportError:  # not POSIX (Windows): workers are plain processes with time limits (`portable_plan`)
    resource = None

RUNNER = Path(__file__).with_name("runner")
FONTS = "/kit/fonts"  # where a sandbox sees the font list's folder (sandbox/fonts.py)
SANDBOX_UID = 65534
STALE_CGROUP_S = 3600  # an empty worker cgroup this old was left behind by an interrupted run
SANDBOX_MEMORY_FACTOR = 2  # a sandbox's processes together may hold this many times the worker's memory_mb
RUNTIME_PACKAGES = ("numpy", "scipy", "matplotlib")  # what student code imports, wherever installed
BASE_BINDS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc/alternatives", "/etc/ld.so.cache")


@dataclass
class Plan:
    """The command that starts one worker, its environment and its limits."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    root: str  # where the worker sees the submission
    layer: str
    limits: Limits
    cgroups: list[Path] = field(default_factory=list)  # the sandbox's pids and memory cgroups (one on v2)
    notes: list[str] = field(default_factory=list)
    launcher: unprivileged.Launcher | None = None  # how bubblewrap itself is started; None: a plain process
    fds: tuple[int, ...] = ()  # inherited by the sandbox (seccomp programs), closed once it started
    confined: bool = True  # False: the "process" layer, started without `preexec` (no rlimits, no sessions)

    def preexec(self) -> None:
        """Runs in the child before exec: new session, join the cgroups, drop root, then the rlimits.

        The address-space limit comes last: the child is a fork of the grader, whose address space may
        already exceed it, and then every allocation after it fails (any process may lower its limits).
        On Linux every limit must hold; elsewhere (macOS refuses RLIMIT_AS, and has no /proc to count
        processes by) a limit the platform refuses is skipped: that is a student's `check` on their own machine.
        """
        os.setsid()
        for group in self.cgroups:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        if self.launcher is not None:
            self.launcher.enter()
        linux = sys.platform.startswith("linux")
        if os.getuid() != 0 and linux:
            extra = self.limits.processes + _processes_of(os.getuid())
            resource.setrlimit(resource.RLIMIT_NPROC, (extra, extra))
        mb = 1024 * 1024
        for res, value in (
            (resource.RLIMIT_CPU, self.limits.cpu_s),
            (resource.RLIMIT_FSIZE, self.limits.file_size_mb * mb),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_AS, self.limits.memory_mb * mb),
        ):
            try:
                resource.setrlimit(res, (value, value))
            except (ValueError, OSError):
                if linux:
                    raise

    def started(self) -> None:
        """The sandbox has its copies of the inherited fds: close ours."""
        for fd in self.fds:
            os.close(fd)
        self.fds = ()

    def oom_kills(self) -> int:
        """How many processes the sandbox's memory cgroup has killed so far (0 without one)."""
        for group in self.cgroups:
            for name in ("memory.oom_control", "memory.events"):  # v1, v2
                for line in _read(group / name).splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip().isdigit():
                        return int(value)
        return 0

    def reap(self) -> None:
        """Kill every process left in the sandbox's cgroups and remove them."""
        for group in self.cgroups:
            reap_cgroup(group)


def bwrap_works() -> bool:
    """True when bubblewrap can create the namespaces here (not everywhere: Ubuntu gates them; never off POSIX)."""
    return resource is not None and bwrap_mode() is not None


@functools.cache
def bwrap_mode() -> str | None:
    """"unprivileged" when bubblewrap runs as an unprivileged host user, "root" when only as root, else None."""
    exe = shutil.which("bwrap")
    if exe is None:
        return None
    for mode in ["unprivileged", "root"] if os.getuid() == 0 else ["unprivileged"]:
        try:
            launcher, (runner,) = unprivileged.launcher([str(RUNNER)], drop=mode == "unprivileged")
            probe = [exe, "--unshare-all", "--die-with-parent", *_ro_binds(), "--ro-bind", runner, "/kit",
                     "--uid", str(SANDBOX_UID), "test", "-r", "/kit/wire.py"]
            if subprocess.run(probe, env={}, capture_output=True, timeout=10,
                              preexec_fn=launcher.enter).returncode == 0:
                return mode
        except (OSError, subprocess.SubprocessError):
            continue
    return None


@functools.cache
def cgroup_root(controller: str) -> Path | None:
    """A writable cgroup of `controller` ("pids" or "memory"; v1 or v2) to hold the sandboxes' groups."""
    for root in (Path(f"/sys/fs/cgroup/{controller}"), Path("/sys/fs/cgroup")):
        if root == Path("/sys/fs/cgroup") and controller not in _read(root / "cgroup.controllers").split():
            continue
        base = root / "gradekit"
        try:
            base.mkdir(exist_ok=True)
        except OSError:
            continue
        if os.access(base, os.W_OK):
            _remove_stale(base)
            if root == Path("/sys/fs/cgroup"):  # v2: a controller reaches child groups only when enabled
                with contextlib.suppress(OSError):
                    (base / "cgroup.subtree_control").write_text(f"+{controller}")
            return base
    return None


def _remove_stale(base: Path) -> None:
    """Remove old empty worker cgroups (rmdir refuses a cgroup that still holds processes)."""
    now = time.time()
    for group in base.iterdir():
        try:
            if group.is_dir() and now - group.stat().st_mtime > STALE_CGROUP_S:
                group.rmdir()
        except OSError:
            continue


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _processes_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            count += entry.name.isdigit() and entry.stat().st_uid == uid
        except OSError:
            continue
    return count


@functools.cache
def python_dirs() -> list[str]:
    """The folders the runtime needs: the Python prefix and where numpy & co. are installed."""
    paths = {sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    paths |= {str(_installed_in(name)) for name in RUNTIME_PACKAGES}
    ordered = sorted(paths, key=len)
    return [p for i, p in enumerate(ordered) if not any(p.startswith(q.rstrip("/") + "/") for q in ordered[:i])]


def _installed_in(package: str) -> Path:
    """The folder holding `package`, found without importing it (importing matplotlib alone takes ~0.15 s, on
    the way to starting a worker)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise KitFault(f"{package} is not installed for {sys.executable}: the worker cannot run student code")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _ro_binds() -> list[str]:
    args: list[str] = []
    for path in BASE_BINDS:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


WINDOWS_ENV = ("SYSTEMROOT", "WINDIR", "PATHEXT", "COMSPEC")  # without these Python cannot start on Windows


def worker_env(tmp: str) -> dict[str, str]:
    """The whole environment student code sees: nothing of the grader's (but what Windows needs to run)."""
    return {
        **{name: os.environ[name] for name in WINDOWS_ENV if os.name == "nt" and name in os.environ},
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": tmp,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
    }


def plan(submission: Path, scratch: Path, limits: Limits, *, force_layer: str | None = None) -> Plan:
    """Choose the layer and build the command for a worker over `submission`."""
    if resource is None or force_layer == "process":
        return portable_plan(submission, scratch, limits)
    if force_layer != "rlimits" and bwrap_works():
        return _bwrap_plan(submission, "/submission", limits, "worker_main.py", ["bubblewrap"])
    cgroups = _new_cgroups(limits)
    notes = _cgroup_notes(cgroups) + ["no namespaces: the worker can read and write what the grader's user can, "
                                      "and reach the network"]
    argv = [sys.executable, "-I", "-B", str(RUNNER / "worker_main.py")]
    return Plan(argv, worker_env(str(scratch)), str(scratch), str(submission), _layer(["rlimits"], cgroups), limits,
                _distinct(cgroups), notes)


def portable_plan(submission: Path, scratch: Path, limits: Limits) -> Plan:
    """A plain child process with its time limits and a scrubbed environment: what every OS can do."""
    argv = [sys.executable, "-I", "-B", str(RUNNER / "worker_main.py")]
    notes = ["no rlimits, namespaces or cgroups on this platform: the worker is a child process with time limits "
             "(enough for checking your own work)"]
    return Plan(argv, worker_env(str(scratch)), str(scratch), str(submission), "process", limits, notes=notes,
                confined=False)


def zygote_plan(slot: Path, limits: Limits, fd: int) -> Plan:
    """The command for a zygote (runner/zygote_main.py) seeing `slot` as /submissions; bubblewrap only."""
    worker_fd = seccomp.worker_fd()
    plan = _bwrap_plan(slot, "/submissions", limits, "zygote_main.py", ["bubblewrap", "zygote"], str(fd),
                       "-" if worker_fd is None else str(worker_fd))
    plan.fds += () if worker_fd is None else (worker_fd,)
    return plan


def _bwrap_plan(folder: Path, seen_as: str, limits: Limits, script: str, layers: list[str], *args: str,
                with_fonts: bool = True) -> Plan:
    """A sandbox over `folder`, seen as `seen_as`, running runner/`script` with `args` (and given the font list,
    `with_fonts`)."""
    sandbox_fd = seccomp.sandbox_fd()
    dropped = bwrap_mode() == "unprivileged"
    sources, seen = [*python_dirs(), str(RUNNER), str(folder)], [*python_dirs(), "/kit/runner", seen_as]
    listed = _font_list() if with_fonts else None
    if listed is not None:
        sources.append(str(listed.parent))
        seen.append(FONTS)
    launcher, found = unprivileged.launcher(sources, drop=dropped and os.getuid() == 0)
    env = {fontlist.VARIABLE: f"{FONTS}/{listed.name}"} if listed is not None else {}
    argv = _bwrap_argv(list(zip(found, seen)), limits, sandbox_fd, env, script, *args)
    cgroups = _new_cgroups(limits)
    notes = _cgroup_notes(cgroups)
    if not dropped:
        notes.append("the sandbox's user is host root (bubblewrap cannot run unprivileged here): "
                     "per-user kernel limits are shared with root")
    if sandbox_fd is None:
        notes.append("no seccomp filter: libseccomp or its bindings (pyseccomp) are missing")
    extra = ["seccomp"] * (sandbox_fd is not None) + ["unprivileged"] * dropped
    return Plan(argv, worker_env("/tmp"), "/", seen_as, _layer([layers[0], *extra, *layers[1:]], cgroups), limits,
                _distinct(cgroups), notes, launcher, () if sandbox_fd is None else (sandbox_fd,))


def _layer(layers: list[str], cgroups: dict[str, Path]) -> str:
    layers = layers + (["pids-cgroup"] if "pids" in cgroups else ["rlimit-nproc"] if os.getuid() != 0 else [])
    layers += ["memory-cgroup"] if "memory" in cgroups else []
    return "+".join(dict.fromkeys([*layers, "rlimits"]))


def _distinct(cgroups: dict[str, Path]) -> list[Path]:
    """The groups to join: on cgroup v2 both controllers share one."""
    return list(dict.fromkeys(cgroups.values()))


def _cgroup_notes(cgroups: dict[str, Path]) -> list[str]:
    notes = [] if "pids" in cgroups or os.getuid() != 0 else ["process count unbounded: root without a pids cgroup"]
    if "memory" not in cgroups:
        notes.append("memory bounded per process only (rlimits): no writable memory cgroup")
    return notes


def _bwrap_argv(binds: list[tuple[str, str]], limits: Limits, seccomp_fd: int | None, env: dict[str, str],
                script: str, *args: str) -> list[str]:
    """Everything read-only but a private /tmp and /dev/shm; `binds` are (where bubblewrap finds it, where seen);
    `env` is set on top of worker_env()."""
    tmp_size = str(scratch_mb(limits) << 20)
    return [
        shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
        "--proc", "/proc", "--dev", "/dev",
        "--size", tmp_size, "--tmpfs", "/tmp",  # before the binds: a Python under /tmp (a venv) stays visible
        "--size", tmp_size, "--tmpfs", "/dev/shm",
        *_ro_binds(), *[x for found, seen in binds for x in ("--ro-bind", found, seen)],
        "--dir", "/submission", "--remount-ro", "/dev", "--remount-ro", "/",
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        "--chdir", "/tmp", "--clearenv",
        *[x for k, v in {**worker_env("/tmp"), **env}.items() for x in ("--setenv", k, v)],
        sys.executable, "-I", "-B", f"/kit/runner/{script}", *args,
    ]


@functools.cache
def _font_list() -> Path | None:
    return fonts.font_list(_built_font_list) if bwrap_works() else None


def _built_font_list() -> bytes:
    """What runner/fontlist.py writes, run in a sandbox of its own (no student code runs in it)."""
    with tempfile.TemporaryDirectory(prefix="gradekit-fonts-") as empty:
        os.chmod(empty, 0o755)
        plan = _bwrap_plan(Path(empty), "/submission", Limits(), "fontlist.py", ["bubblewrap"], with_fonts=False)
        try:
            return subprocess.run(plan.argv, env=plan.env, cwd=plan.cwd, preexec_fn=plan.preexec, pass_fds=plan.fds,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=True).stdout
        except subprocess.SubprocessError as exc:
            raise OSError(f"the font list could not be built ({exc})") from None
        finally:
            plan.started()
            plan.reap()


def scratch_mb(limits: Limits) -> int:
    """The size of a sandbox's /tmp and /dev/shm (each)."""
    return max(limits.file_size_mb * 4, 64)


def _new_cgroups(limits: Limits) -> dict[str, Path]:
    """A new group per controller that is writable here (controller -> group; on v2 both are one group)."""
    memory = str(limits.memory_mb * SANDBOX_MEMORY_FACTOR << 20)
    # Set in this order: v1 refuses a memory+swap limit below the memory limit.
    settings = {"pids": [("pids.max", str(limits.processes))],
                "memory": [("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory),
                           ("memory.max", memory), ("memory.swap.max", "0")]}
    name, groups = uuid.uuid4().hex[:12], {}
    for controller, knobs in settings.items():
        root = cgroup_root(controller)
        if root is None:
            continue
        group = root / name
        try:
            group.mkdir(exist_ok=True)
            present = [(knob, value) for knob, value in knobs if (group / knob).exists()]
            if not present:
                raise FileNotFoundError(f"{controller} is not enabled in {group.parent}")
            for knob, value in present:
                (group / knob).write_text(value)
            groups[controller] = group
        except OSError:  # not ours to set here: leave this controller out
            if group not in groups.values():
                with contextlib.suppress(OSError):
                    group.rmdir()
    return groups


def reap_cgroup(group: Path | None, timeout: float = 5.0) -> None:
    """Kill every process left in a worker's cgroup, then remove it.

    Killed processes take a moment to leave the cgroup (rmdir fails with EBUSY until then), so
    this kills and retries until the cgroup is gone or `timeout` passes.
    """
    if group is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in (int(p) for p in _read(group / "cgroup.procs").split()):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.005)
