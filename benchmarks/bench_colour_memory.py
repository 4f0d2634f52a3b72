"""Peak memory of loading and training a large colour folder: the uint8 data path.

What it measures
----------------
1. It writes N (default 50,000) 64x64 colour PNGs into a temporary folder (not measured):
   coloured discs and bars on coloured grounds with a little noise, in 10 class subfolders.
2. In a fresh process: ``engine.load_folder`` (colour auto -> RGB, decoding in worker
   processes, cache in a temporary directory), then training a 12288-400-2 Bernoulli VAE on
   it: ``--batches`` minibatches of 128 (default 100; 0 for one whole epoch; memory does not
   grow with the number of batches, every buffer is allocated once), then the test pass over
   the whole test split (5,000 images), as after every epoch.
3. It prints the data set's bytes, the time of each step, and the peak resident set size of
   that process (``ru_maxrss``: data, model, Adam state and every temporary; the decoding
   workers are separate, short-lived processes, each holding one chunk of at most 512 images).

The issue's bound: peak RSS under 2 GB for 50,000 64x64 colour images.

How to run
----------
From the repository root::

    python benchmarks/bench_colour_memory.py                 # 50,000 images, 100 batches
    python benchmarks/bench_colour_memory.py --batches 0     # ... and a whole epoch
    python benchmarks/bench_colour_memory.py --n 5000        # a smaller folder
    python benchmarks/bench_colour_memory.py --keep /tmp/colour64   # reuse/keep the folder
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

SIDE = 64


def write_folder(root: Path, n: int, seed: int = 0) -> None:
    """n colour PNGs in 10 class folders; skipped if the folder already holds n PNGs."""
    if root.exists() and sum(1 for _ in root.rglob("*.png")) == n:
        return
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIDE, :SIDE]
    for i in range(n):
        cls = i % 10
        folder = root / f"class_{cls}"
        folder.mkdir(parents=True, exist_ok=True)
        img = np.empty((SIDE, SIDE, 3), np.uint8)
        img[...] = rng.integers(0, 256, 3)
        colour = rng.integers(0, 256, 3)
        if cls % 2:
            cy, cx, r = rng.integers(16, 48, 2).tolist() + [int(rng.integers(6, 16))]
            img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = colour
        else:
            x = int(rng.integers(4, 52))
            img[:, x:x + 8] = colour
        img = np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"{i:05d}.png")


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import engine
from engine import TrainConfig, Trainer, VAE, VAEConfig, load_folder
folder, cache, batches = sys.argv[2], sys.argv[3], int(sys.argv[4])
peak = lambda who=resource.RUSAGE_SELF: resource.getrusage(who).ru_maxrss / 1024  # MB (Linux: KB)
t = time.perf_counter()
r = load_folder(folder, cache_dir=cache)
ds = r.dataset
out = {"images": r.loaded, "shape": str(ds.image_shape), "dtype": str(ds.x_train.dtype),
       "data_mb": (ds.x_train.nbytes + ds.x_test.nbytes) / 1e6, "load_s": time.perf_counter() - t,
       "peak_after_load_mb": peak()}
trainer = Trainer(VAE(VAEConfig(image_shape=ds.image_shape, hidden=(400,), latent_dim=2), seed=0), ds,
                  TrainConfig(epochs=1, seed=0))
t = time.perf_counter()
done = 0
for report in trainer.run():
    if isinstance(report, engine.BatchReport):
        done = report.batch
        if done == batches:
            trainer.stop()
out["train_s"], out["batches"] = time.perf_counter() - t, done
t = time.perf_counter()
recon, kl = trainer.evaluate(1)
out.update(test_s=time.perf_counter() - t, test_loss=recon + kl, peak_mb=peak())
print(json.dumps(out))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=50000, help="images to generate (default 50,000)")
    p.add_argument("--batches", type=int, default=100, help="training batches (default 100; 0: one epoch)")
    p.add_argument("--keep", type=Path, default=None, help="write (or reuse) the folder here and keep it")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.keep or Path(tmp) / "colour64"
        write_folder(folder, a.n)
        run = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(folder), str(Path(tmp) / "cache"),
                              str(a.batches)], capture_output=True, text=True)
        if run.returncode:
            sys.exit(run.stderr)
        r = json.loads(run.stdout)
    print(f"{r['images']:,} images, {r['shape']}, stored as {r['dtype']}: {r['data_mb']:.0f} MB")
    print(f"load (cold): {r['load_s']:.1f} s, peak RSS so far {r['peak_after_load_mb']:.0f} MB")
    print(f"train {r['batches']} batches of 128 of a 12288-400-2 VAE: {r['train_s']:.1f} s; "
          f"test pass: {r['test_s']:.1f} s, test loss {r['test_loss']:.1f}")
    print(f"peak RSS of the process: {r['peak_mb']:.0f} MB (bound: 2,048 MB)")


if __name__ == "__main__":
    main()
