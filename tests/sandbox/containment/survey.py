"""A submission that maps what a worker can change: every writable folder and every kind of kernel
object that outlives a process. `leave(marker)` leaves the marker in all of them; `found(marker)`
lists the places where a marker of an earlier submission is still to be seen."""

import ctypes
import os
import socket
import subprocess
import sys
import zlib

SKIP = ("/proc", "/sys")
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000


def writable() -> list:
    """Every folder in which this worker can create a file."""
    found = []
    for folder, dirs, _ in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in SKIP and not os.path.islink(os.path.join(folder, d))]
        probe = os.path.join(folder, ".gk-probe")
        try:
            with open(probe, "w"):
                pass
            os.unlink(probe)
            found.append(folder)
        except OSError:
            continue
    return found


def _key(marker: str) -> int:
    return zlib.crc32(marker.encode()) & 0x7FFFFFFF


def _ipc(marker: str, flags: int) -> dict:
    key = _key(marker)
    return {"shm": libc.shmget(key, 4096 if flags else 0, flags), "sem": libc.semget(key, 1, flags),
            "msg": libc.msgget(key, flags)}


def _mqueue(marker: str, create: bool) -> int:
    rt = ctypes.CDLL("librt.so.1", use_errno=True)
    return rt.mq_open(f"/{marker}".encode(), (os.O_CREAT | os.O_RDWR) if create else os.O_RDWR, 0o600, None)


def _add_key(marker: str) -> int:
    # add_key("user", marker, payload, 1, KEY_SPEC_USER_KEYRING); x86_64 syscall 248
    return libc.syscall(248, b"user", marker.encode(), b"x", 1, ctypes.c_int(-4))


def _find_key(marker: str) -> int:
    # request_key("user", marker, NULL, 0); x86_64 syscall 249
    return libc.syscall(249, b"user", marker.encode(), None, 0)


def leave(marker: str) -> list:
    """Leave `marker` everywhere this worker can; returns what refused (EPERM from the filter included)."""
    refused = []
    for folder in writable():
        with open(os.path.join(folder, marker), "w") as fh:
            fh.write("left behind")
    if -1 in _ipc(marker, IPC_CREAT | 0o600).values():
        refused.append("sysv")
    if _mqueue(marker, True) == -1:
        refused.append("mqueue")
    if _add_key(marker) == -1:
        refused.append("keyring")
    holder = f"import socket, time; s = socket.socket(socket.AF_UNIX); s.bind('\\0{marker}'); time.sleep(60)"
    subprocess.Popen([sys.executable, "-c", holder], start_new_session=True)
    return refused


def found(marker: str) -> list:
    """Where a marker left by an earlier submission is still seen."""
    seen = []
    for folder, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in SKIP]
        if marker in files or marker in dirs:
            seen.append(os.path.join(folder, marker))
    seen += [f"sysv {kind}" for kind, ident in _ipc(marker, 0).items() if ident != -1]
    if _mqueue(marker, False) != -1:
        seen.append("mqueue")
    if _find_key(marker) != -1:
        seen.append("keyring")
    try:
        socket.socket(socket.AF_UNIX).connect(f"\0{marker}")
        seen.append("abstract socket")
    except OSError:
        pass
    return seen


def sandbox_uid_map() -> str:
    with open("/proc/self/uid_map") as fh:
        return fh.read()
