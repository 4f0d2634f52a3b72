"""Latent Lab's convolutional VAE against the same model in PyTorch (CPU): speed and test loss.

Both train Conv(1->32)-Conv(32->64)-Dense 256-latent L and the mirrored decoder (4x4, stride-2,
padding-1 convolutions, ReLU; BCE summed over pixels + KL; Adam 1e-3; batch 128) on MNIST with
the same thread count.  Runs alternate (ours, torch, torch, ours, ...) so the drift of a shared
machine hits both alike; round r uses seed --seed + r - 1 for both, seeds 1 and 2 by default as in
compare_torch.py (a latent-2 model's test loss varies by nats from seed to seed, so one seed
cannot tell a systematic gap from chance; benchmarks/check_conv_torch_training.py checks that
the two train alike step by step).  Our side is the CLI:

    python -m engine train --arch conv --channels 32,64 --hidden 256 --latent 2 --json ...

and PyTorch's is benchmarks/torch_reference_vae.py --channels 32,64 (from a separate venv).

It also counts the matrix products of our training step (from the layers' gemm_shapes), measures
this machine's float32 GEMM peak, and prints the fraction of it an epoch reaches.  Run from the
repository root:

    python benchmarks/compare_torch_conv.py                          # 2 rounds of 10 epochs
    python benchmarks/compare_torch_conv.py --epochs 1 --limit 12000 --rounds 2   # a quick check
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import compare_torch_runs as ct  # noqa: E402  (its child runner and /proc/stat bookkeeping)

PYTORCH_IDLE_SECONDS = 28.0     # the figure for PyTorch on an idle machine
SPEED_TARGET = 0.8


def gemm_budget(channels: tuple[int, ...], hidden: int, latent: int, images: int, threads: int):
    """(GFLOP of matrix products per epoch, GEMM peak GFLOP/s) for our conv VAE."""
    from bench_engine import gemm_peak  # imports the engine first (OpenBLAS settings)
    from threadpoolctl import threadpool_limits

    from engine import VAE, VAEConfig

    model = VAE(VAEConfig(arch="conv", channels=channels, hidden=(hidden,), latent_dim=latent))
    flops = 0
    for i, layer in enumerate(model.layers):
        flops += sum(2 * m * k * n for m, k, n in layer.gemm_shapes(128, need_dx=i > 0))
    with threadpool_limits(threads, user_api="blas"):
        peak = gemm_peak(seconds=0.5)
    return flops * images / 128 / 1e9, peak


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images (both sides)")
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--channels", default="32,64")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1, help="seed of round 1; round r uses seed + r - 1")
    p.add_argument("--torch-python", default=ct.DEFAULT_TORCH_PYTHON)
    p.add_argument("--ours-args", default="", help="extra arguments for our CLI")
    a = p.parse_args(argv)
    limit = ["--limit", str(a.limit)] if a.limit else []
    runs: dict[str, list] = {"ours": [], "torch": []}
    for rnd in range(a.rounds):
        seed = a.seed + rnd
        for impl in (("ours", "torch") if rnd % 2 == 0 else ("torch", "ours")):
            if impl == "ours":
                cmd = [sys.executable, "-m", "engine", "train", "--arch", "conv", "--channels", a.channels,
                       "--hidden", str(a.hidden), "--latent", str(a.latent), "--epochs", str(a.epochs),
                       "--seed", str(seed), "--threads", str(a.threads), "--json", *limit, *a.ours_args.split()]
            else:
                cmd = [a.torch_python, "benchmarks/torch_reference_vae.py", "--channels", a.channels,
                       "--hidden", str(a.hidden), "--latent", str(a.latent), "--epochs", str(a.epochs),
                       "--seed", str(seed), "--threads", str(a.threads), *limit]
            runs[impl].append(ct.run_child(impl, a.latent, rnd, seed, cmd))
    secs = {k: [e["epoch_seconds"] for r in v for e in r.epochs] for k, v in runs.items()}
    med = {k: statistics.median(v) if v else float("nan") for k, v in secs.items()}
    images = a.limit or 60000
    gflop, peak = gemm_budget(tuple(int(c) for c in a.channels.split(",")), a.hidden, a.latent, images, a.threads)
    print(f"### Conv VAE: ours vs PyTorch ({a.rounds} round(s) x {a.epochs} epochs of {images:,} images, "
          f"{a.threads} threads)\n")
    print(f"Machine: {ct.machine_line(a.threads)}\n")
    print("| | ours (NumPy) | PyTorch CPU | ours / PyTorch |\n|---|---|---|---|")
    print(f"| seconds per epoch, median | {med['ours']:.2f} | {med['torch']:.2f} | "
          f"**{med['ours'] / med['torch']:.2f}** (target at most {SPEED_TARGET}) |")
    for ep in sorted({e for e in (1, 5, 10, a.epochs) if e <= a.epochs}):
        loss = {k: [e["test_loss"] for r in v for e in r.epochs if e["epoch"] == ep] for k, v in runs.items()}
        mean = {k: statistics.fmean(v) if v else float("nan") for k, v in loss.items()}
        print(f"| test loss after epoch {ep} | {mean['ours']:.1f} | {mean['torch']:.1f} | "
              f"{mean['ours'] - mean['torch']:+.2f} nats |")
    print(f"\nOur matrix products: {gflop:.0f} GFLOP per epoch; GEMM peak here {peak:.0f} GFLOP/s, so "
          f"{gflop / peak:.1f} s at peak: an epoch reaches {gflop / peak / med['ours']:.0%} of it "
          f"(PyTorch, same FLOPs: {gflop / peak / med['torch']:.0%}).")
    print("\nRuns (CPU used by other processes meanwhile, in cores):\n")
    for impl, rs in runs.items():
        for r in rs:
            print(f"- {impl}, round {r.round}, seed {r.seed}: exit {r.returncode}, {r.wall_seconds:.1f} s wall, "
                  f"peak RSS {r.max_rss_kib / 1024:.0f} MB, other processes {ct.fmt(r.foreign_cpu_cores, 2)}")
    return 0 if all(r.ok for rs in runs.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
