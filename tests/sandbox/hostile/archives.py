"""Hostile submissions that attack the unpacking, not the grading: each function writes one into `folder`.

Zip generators return the .zip; folder generators return the submission folder. `outside` is
where an escaping member would land: the test checks that nothing appears there.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

GOOD = b"import numpy as np\n\n\ndef conv2d(image, kernel, stride=1):\n    return np.zeros((1, 1))\n"


def _zip(folder: Path, members: dict[str, bytes], name: str = "bad.zip") -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def zip_slip_relative(folder: Path, outside: Path) -> Path:
    """A member named ../evil.py, after a good one."""
    return _zip(folder, {"neural_network.py": GOOD, "../evil.py": b"print('escaped')\n"})


def zip_slip_absolute(folder: Path, outside: Path) -> Path:
    """A member with an absolute name."""
    return _zip(folder, {"neural_network.py": GOOD, str(outside / "evil.py"): b"print('escaped')\n"})


def zip_symlink(folder: Path, outside: Path) -> Path:
    """A member that is a symbolic link to /etc/passwd."""
    path = folder / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("neural_network.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return path


def zip_bomb(folder: Path, outside: Path) -> Path:
    """One member of 200 MB of zeros, compressed to ~200 KB."""
    path = folder / "bad.zip"
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("neural_network.py", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(chunk)
    return path


def zip_dense_bomb(folder: Path, outside: Path) -> Path:
    """A member under the size limit but compressed 1000:1."""
    return _zip(folder, {"neural_network.py": bytes(19 << 20)})


def zip_lying_header(folder: Path, outside: Path) -> Path:
    """A member whose headers say 10 bytes while it holds 1 MB."""
    path = _zip(folder, {"neural_network.py": GOOD + b"#" * (1 << 20)})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size fields
        at = data.index(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 10)
    path.write_bytes(bytes(data))
    return path


def zip_too_many(folder: Path, outside: Path) -> Path:
    """500 tiny members."""
    return _zip(folder, {f"m{i}.py": b"" for i in range(500)})


def zip_damaged(folder: Path, outside: Path) -> Path:
    """A zip whose compressed data is partly overwritten with garbage."""
    path = _zip(folder, {"neural_network.py": GOOD + os.urandom(20_000).hex().encode()})
    data = bytearray(path.read_bytes())
    start = data.index(b"neural_network.py") + 2000
    data[start:start + 100] = os.urandom(100)
    path.write_bytes(bytes(data))
    return path


def zip_not_a_zip(folder: Path, outside: Path) -> Path:
    """A .zip that is a zip's first bytes and then garbage (no directory at its end)."""
    path = folder / "bad.zip"
    path.write_bytes(b"PK\x03\x04" + os.urandom(5000))
    return path


def zip_encrypted(folder: Path, outside: Path) -> Path:
    """A member flagged as encrypted."""
    path = _zip(folder, {"neural_network.py": GOOD})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flags
        at = data.index(signature)
        data[at + offset] |= 0x1
    path.write_bytes(bytes(data))
    return path


def zip_file_and_folder(folder: Path, outside: Path) -> Path:
    """A member that is a file and, by another member's name, a folder too."""
    return _zip(folder, {"neural_network.py": GOOD, "neural_network.py/inner.py": GOOD})


def folder_link_to_passwd(folder: Path, outside: Path) -> Path:
    """A folder whose neural_network.py is a link to /etc/passwd."""
    (folder / "sub").mkdir()
    (folder / "sub" / "neural_network.py").symlink_to("/etc/passwd")
    return folder / "sub"


def folder_link_to_reference(folder: Path, outside: Path) -> Path:
    """A folder with a link to ../reference, a folder beside it."""
    (folder / "reference").mkdir()
    (folder / "reference" / "neural_network.py").write_bytes(GOOD)
    (folder / "sub").mkdir()
    (folder / "sub" / "neural_network.py").write_bytes(GOOD)
    (folder / "sub" / "reference").symlink_to("../reference")
    return folder / "sub"


def folder_link_loop(folder: Path, outside: Path) -> Path:
    """A folder with a link that points at itself."""
    (folder / "sub").mkdir()
    (folder / "sub" / "neural_network.py").write_bytes(GOOD)
    (folder / "sub" / "loop.py").symlink_to("loop.py")
    return folder / "sub"


def folder_fifo(folder: Path, outside: Path) -> Path:
    """A folder holding a named pipe (copying it would block forever)."""
    (folder / "sub").mkdir()
    (folder / "sub" / "neural_network.py").write_bytes(GOOD)
    os.mkfifo(folder / "sub" / "pipe.py")
    return folder / "sub"


ZIPS = [zip_slip_relative, zip_slip_absolute, zip_symlink, zip_bomb, zip_dense_bomb, zip_lying_header,
        zip_too_many, zip_damaged, zip_not_a_zip, zip_encrypted, zip_file_and_folder]
FOLDERS = [folder_link_to_passwd, folder_link_to_reference, folder_link_loop, folder_fifo]
