"""Hostile data sets, tried one after another: each must load or be refused with one sentence.

Builds every case in a temporary folder (arrays with hostile shapes, values and headers, IDX
bombs, folders with links out, damaged caches, a recorded source of /proc), loads it through
the engine as the GUI and the CLI do, and prints per case: the outcome (loaded / refused), the
time it took and the message.  A crash is any exception that is not an EngineError.  The last
lines are the counts the README quotes and the largest input refused.

Usage:  python benchmarks/hostile_data.py
"""
from __future__ import annotations

import gzip
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from engine import EngineError, load_dataset_with_report  # noqa: E402
from engine.data import recorded_source_problem  # noqa: E402


def idx(path: Path, shape: tuple[int, ...], payload: bytes = b"", code: int = 0x08) -> None:
    raw = struct.pack(">BBBB", 0, 0, code, len(shape)) + b"".join(struct.pack(">I", s) for s in shape) + payload
    path.write_bytes(gzip.compress(raw))


def pngs(folder: Path, n: int, size=(8, 8)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full(size, 30 * i % 256, np.uint8)).save(folder / f"{i}.png")
    return folder


def cases(tmp: Path) -> list[tuple[str, Path, int]]:
    """(description, path to load, bytes the input claims) for every case."""
    out = []

    def add(name: str, path: Path, claimed: int) -> None:
        out.append((name, path, claimed))

    p = tmp / "thin.npy"
    np.save(p, np.zeros((2, 1, 3_000_000), np.uint8))
    add(".npy (2, 1, 3000000): an image 3,000,000 pixels wide", p, 6_000_000)
    p = tmp / "bomb.npz"
    np.savez_compressed(p, x=np.zeros((20_000, 64, 64), np.uint8))
    add(".npz of 20,000 zero 64x64 images (compressed 0.1 MB)", p, 20_000 * 64 * 64)
    p = tmp / "claims.npy"
    with open(p, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (10 ** 9, 512, 512)})
        f.write(bytes(1024))
    add(".npy header claiming 10^9 float64 512x512 images (1 KB of data)", p, 10 ** 9 * 512 * 512 * 8)
    for name, value in (("negative", -5), ("32-bit", 1 << 20), ("16-bit", 40_000)):
        x = np.zeros((10, 8, 8), np.int32)
        x[0, 0, 0] = value
        p = tmp / f"{name}.npy"
        np.save(p, x)
        add(f"int32 array holding {value:,}", p, x.nbytes)
    p = tmp / "labels.npz"
    np.savez(p, x=np.zeros((4, 8, 8), np.uint8), y=np.array([0, 1, 2, 2_000_000_000]))
    add(".npz with a label of 2,000,000,000", p, 0)
    p = tmp / "objects.npy"
    np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    add(".npy of Python objects", p, 0)
    p = tmp / "cut.npy"
    np.save(p, np.zeros((100, 28, 28), np.uint8))
    p.write_bytes(p.read_bytes()[:5000])
    add("truncated .npy", p, 78_400)
    for name, train in (("idx-wide", (2, 1, 3_000_000)), ("idx-bomb", (4_000_000_000, 28, 28))):
        d = tmp / name
        d.mkdir()
        idx(d / "train-images-idx3-ubyte.gz", train, bytes(64))
        idx(d / "t10k-images-idx3-ubyte.gz", (10, 28, 28), bytes(64))
        add(f"IDX header claiming {train[0]:,} images of {train[2]}x{train[1]}", d,
            train[0] * train[1] * train[2])
    d = pngs(tmp / "links" / "mine", 4)
    os.symlink("..", d / "up")
    os.symlink("/", d / "all")
    add("image folder with links up -> .. and all -> /", d, 0)
    d = pngs(tmp / "stray", 50)
    pngs(d / "thumbs", 2)
    add("50 images beside a subfolder of 2", d, 0)
    d = pngs(tmp / "tiny", 3, (1, 1))
    add("a folder of 1x1 images", d, 0)
    return out


def main() -> int:
    crashes, refused, rows = 0, [], []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        os.environ["LATENT_LAB_CACHE"] = str(tmp / "cache")
        for name, path, claimed in cases(tmp):
            t0 = time.perf_counter()
            try:
                ds, text = load_dataset_with_report(path, workers=1)
                outcome = f"loaded {len(ds.x_train) + len(ds.x_test)} images {ds.image_shape}: {text or ''}"
            except EngineError as exc:
                outcome = f"refused: {exc}"
                refused.append((claimed, name, time.perf_counter() - t0))
            except Exception as exc:  # noqa: BLE001 - counted, that is the point
                crashes += 1
                outcome = f"CRASH {type(exc).__name__}: {exc}"
            rows.append((name, time.perf_counter() - t0, outcome))
        t0 = time.perf_counter()
        problem = recorded_source_problem("/proc")
        rows.append(("recorded source /proc (evaluate, train --resume)", time.perf_counter() - t0,
                     f"refused: {problem}" if problem else "reused"))
    for name, seconds, outcome in rows:
        print(f"{seconds * 1000:8.1f} ms  {name}\n            {outcome.splitlines()[0][:150]}")
    claimed, name, seconds = max(refused)
    print(f"\n{len(rows)} cases, {crashes} crashes, {len(refused) + 1} refused with one sentence")
    print(f"largest refused: {name} ({claimed / 1024 ** 4:,.0f} TiB claimed) in {seconds * 1000:.1f} ms")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
