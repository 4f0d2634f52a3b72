"""How fast does Latent Lab load a folder of the user's images, cold and from its cache?

What it measures
----------------
1. It writes MNIST's 60,000 training digits (engine.data.load_mnist) as 28x28 grey PNGs into
   labelled subfolders 0..9 of a temporary folder (not timed).
2. Cold load: ``engine.load_folder`` with an empty cache directory: scan, decode in
   worker processes, write the cache.  Then the same with ``workers=1`` (decoding in the
   calling thread), to show what the process pool buys.
3. Cached load: the same call again, which finds the decoded folder in the cache.
4. The same cold/cached pair on the shared Caltech 101 Silhouettes (train) and Frey Face
   PNG folders, when /work/shared/data holds them.

The files were just written, so they sit in the OS page cache: "cold" means cold for Latent
Lab's cache, not for the disk.  Each measurement is repeated (--repeat, default 3); the table
gives the fastest and the median run.  Timings are only meaningful on an otherwise idle
machine: each row reports how many cores other processes used during its fastest run (from
/proc/stat, not counting this benchmark's own worker processes).

How to run
----------
From the repository root::

    python benchmarks/bench_folder.py              # 60,000 PNGs, then the shared folders
    python benchmarks/bench_folder.py --n 10000    # a smaller folder
    python benchmarks/bench_folder.py --keep /tmp/mnist_png   # reuse/keep the PNG folder

The issue's targets: cold < 30 s and cached < 2 s for 60,000 small PNGs on a 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from engine.data import (
    load_folder,  # noqa: E402
    load_mnist,  # noqa: E402
)

SHARED = Path("/work/shared/data")
SHARED_FOLDERS = [SHARED / "caltech101_silhouettes", SHARED / "frey_faces" / "images"]


def write_pngs(folder: Path, n: int) -> None:
    """The first n MNIST training digits as PNGs in folder/<label>/<index>.png."""
    ds = load_mnist()
    digits = np.rint(ds.x_train[:n] * 255).astype(np.uint8).reshape(-1, 28, 28)
    for label in range(10):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(digits, ds.y_train[:n])):
        Image.fromarray(image).save(folder / str(label) / f"{i:05d}.png")


def _busy_jiffies() -> tuple[int, int]:
    """(all CPUs' busy time, this process tree's CPU time), both in clock ticks.

    The tree includes the forkserver and its decoding workers, which are not our direct
    children: each live descendant's own and reaped children's time is read from /proc.
    """
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    t = os.times()
    own = round((t.user + t.system + t.children_user + t.children_system) * os.sysconf("SC_CLK_TCK"))
    return user + nice + system + irq + softirq, own + _descendant_ticks()


def _descendant_ticks() -> int:
    stats = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(pid)] = (int(fields[1]), sum(map(int, fields[11:15])))  # ppid, utime+stime+cutime+cstime
    total, todo = 0, [os.getpid()]
    while todo:
        parent = todo.pop()
        for pid, (ppid, ticks) in stats.items():
            if ppid == parent:
                total += ticks
                todo.append(pid)
    return total


def timed_load(folder: Path, cache: Path, **options) -> tuple[float, float, object]:
    """(seconds, cores used by other processes meanwhile, FolderLoad)."""
    busy0, own0 = _busy_jiffies()
    start = time.perf_counter()
    report = load_folder(folder, cache_dir=cache, **options)
    seconds = time.perf_counter() - start
    busy1, own1 = _busy_jiffies()
    others = max(0, (busy1 - busy0) - (own1 - own0)) / os.sysconf("SC_CLK_TCK") / seconds
    return seconds, others, report


def bench(folder: Path, label: str, compare_workers: bool, repeat: int) -> list[str]:
    """Markdown rows: per kind of load, the fastest and the median of `repeat` runs."""
    runs: dict[str, list[tuple[float, float]]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="latent-lab-cache-") as cache:
            seconds, others, report = timed_load(folder, Path(cache))
            runs.setdefault("cold, worker processes", []).append((seconds, others))
            if compare_workers:
                with tempfile.TemporaryDirectory(prefix="latent-lab-cache-") as cache1:
                    runs.setdefault("cold, this thread only", []).append(
                        timed_load(folder, Path(cache1), workers=1)[:2])
            seconds, others, again = timed_load(folder, Path(cache))
            assert again.from_cache, "second load did not come from the cache"
            runs.setdefault("cached", []).append((seconds, others))
    print(f"{label}: {report.summary()}; {report.dataset.image_shape[0]}x{report.dataset.image_shape[1]}, "
          f"{len(report.dataset.class_names or [])} classes, inverted={report.inverted}", file=sys.stderr)
    lines = []
    for kind, timings in runs.items():
        best, others = min(timings)
        median = float(np.median([t for t, _ in timings]))
        lines.append(f"| {label} | {kind} | {best:.2f} s | {median:.2f} s | {report.loaded / best:,.0f} "
                     f"| {others:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=60000, help="MNIST digits to write as PNGs (default 60000)")
    p.add_argument("--keep", type=Path, default=None,
                   help="folder for the PNGs, kept afterwards and reused if it exists (default: a temp folder)")
    p.add_argument("--no-shared", action="store_true", help="skip the folders under /work/shared/data")
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement (default 3)")
    a = p.parse_args(argv)

    rows = ["| folder | load | fastest | median | images/s (fastest) | other load in fastest (cores) |",
            "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="latent-lab-png-") as tmp:
        folder = a.keep or Path(tmp) / "mnist_png"
        if not folder.exists() or not any(folder.iterdir()):
            start = time.perf_counter()
            write_pngs(folder, a.n)
            print(f"wrote {a.n:,} PNGs in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        rows += bench(folder, f"{a.n:,} MNIST PNGs", compare_workers=True, repeat=a.repeat)
    if not a.no_shared:
        for shared in SHARED_FOLDERS:
            if shared.is_dir():
                rows += bench(shared, str(shared.relative_to(SHARED)), compare_workers=False, repeat=a.repeat)
            else:
                print(f"{shared}: not here, skipped", file=sys.stderr)
    print(f"\nLatent Lab folder loading, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"Pillow {Image.__version__}, NumPy {np.__version__}\n")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
