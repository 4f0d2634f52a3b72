"""How fast the NumPy engine trains MNIST, against this machine's own float32 GEMM peak.

It measures, in one process:
1. the machine's best float32 matrix-product rate (square matmuls of 1024..3072, best of several);
2. E full MNIST epochs of the reference configuration (784-400-L, ReLU, Bernoulli, Adam 1e-3,
   batch 128), timed as the CLI times them (training alone, not the test pass);
3. a breakdown of one training step, replayed on a fixed batch as the trainer runs it: the step's
   matrix products alone (same shapes), the rest of the forward/backward pass (element-wise
   work), the optimizer step, and the batch gather and noise;
4. whether Adam's moments hold float32 denormals after training, and the peak RSS.

It prints a Markdown table an issue can quote.  Run from the repository root on an idle machine:

    python benchmarks/bench_engine.py                # latent 20, 2 threads, 3 epochs
    python benchmarks/bench_engine.py --latent 2 --epochs 10 --threads 1
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The engine first: it sets OpenBLAS's thread behaviour, which must happen before NumPy loads.
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from engine import VAE, EpochReport, TrainConfig, Trainer, VAEConfig, load_mnist, set_threads  # noqa: E402


def gemm_peak(sizes=(1024, 2048, 3072), seconds: float = 1.0) -> float:
    """Best float32 GFLOP/s of np.matmul on square matrices."""
    best = 0.0
    rng = np.random.default_rng(0)
    for n in sizes:
        a, b = rng.random((n, n), np.float32), rng.random((n, n), np.float32)
        c = np.empty_like(a)
        np.matmul(a, b, out=c)
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            np.matmul(a, b, out=c)
            reps += 1
        best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e9)
    return best


def step_gemms(model: VAE, n: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product one training step does, forward and backward (the
    first layer computes no input gradient)."""
    return [shape for i, layer in enumerate(model.layers) for shape in layer.gemm_shapes(n, need_dx=i > 0)]


def time_it(fn, seconds: float = 1.0, rounds: int = 5) -> float:
    """Median over `rounds` of the mean time of fn() over seconds/rounds (this VM is noisy)."""
    fn()
    results = []
    for _ in range(rounds):
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / rounds:
            fn()
            reps += 1
        results.append((time.perf_counter() - start) / reps)
    return float(np.median(results))


def breakdown(model: VAE, trainer: Trainer, batch: int, threads: int) -> dict[str, float]:
    """Replay one training step as the trainer runs it (BLAS on `threads` threads) and time its parts."""
    rng = np.random.default_rng(1)
    data = trainer.data.x_train
    x = data[:batch].copy()
    eps = rng.standard_normal((batch, model.config.latent_dim), dtype=np.float32)
    opt = trainer.optimizer
    operands = [(rng.random((m, k), np.float32), rng.random((k, n), np.float32), np.empty((m, n), np.float32))
                for m, k, n in step_gemms(model, batch)]

    def gemms():
        for a, b, c in operands:
            np.matmul(a, b, out=c)

    idx = rng.permutation(len(data))[:batch]
    buf = np.empty_like(x)

    def gather():
        np.take(data, idx, axis=0, out=buf)
        rng.standard_normal((batch, model.config.latent_dim), dtype=np.float32)

    params, state = model.params.copy(), {k: np.copy(v) for k, v in opt.state().items()}
    with threadpool_limits(threads, user_api="blas"):
        t_grad = time_it(lambda: model.train_step(x, eps, 1.0, opt.grad_scale))
        t_gemm = time_it(gemms)
        t_opt = time_it(opt.step)
    model.params[...] = params
    opt.load_state(state)
    return {"gemm": t_gemm, "elementwise": t_grad - t_gemm, "optimizer": t_opt, "gather": time_it(gather),
            "flops": sum(2 * m * k * n for m, k, n in step_gemms(model, batch))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--latent", type=int, default=20, help="latent size (default 20)")
    p.add_argument("--hidden", type=int, default=400, help="hidden units (default 400)")
    p.add_argument("--epochs", type=int, default=3, help="MNIST epochs to time (default 3)")
    p.add_argument("--threads", type=int, default=2, help="threads, as the CLI's --threads (default 2)")
    a = p.parse_args()
    set_threads(a.threads)
    data = load_mnist()
    peak = gemm_peak()
    model = VAE(VAEConfig(hidden=(a.hidden,), latent_dim=a.latent), seed=0)
    trainer = Trainer(model, data, TrainConfig(epochs=a.epochs), threads=a.threads)
    epochs = [r for r in trainer.run() if isinstance(r, EpochReport)]
    secs = [r.epoch_seconds for r in epochs]
    median = float(np.median(secs))
    batches = -(-len(data.x_train) // 128)
    parts = breakdown(model, trainer, 128, a.threads)
    epoch_flops = parts["flops"] * len(data.x_train) / 128
    tiny = np.finfo(np.float32).tiny
    denormals = sum(int(np.count_nonzero((m != 0) & (np.abs(m) < tiny)))
                    for m in (trainer.optimizer.m, trainer.optimizer.w))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"### Engine benchmark: 784-{a.hidden}-{a.latent}, batch 128, Adam, {a.threads} threads\n")
    print("| measure | value |\n|---|---|")
    print(f"| float32 GEMM peak (square matmul) | {peak:.0f} GFLOP/s |")
    print(f"| seconds per epoch (median of {len(secs)}: {', '.join(f'{s:.2f}' for s in secs)}) | {median:.2f} s |")
    print(f"| samples per second | {len(data.x_train) / median:,.0f} |")
    print(f"| matrix products per epoch | {epoch_flops / 1e9:.0f} GFLOP = {epoch_flops / peak / 1e9:.2f} s at peak |")
    print(f"| fraction of GEMM peak reached over the epoch | {epoch_flops / median / 1e9 / peak:.0%} |")
    print(f"| test loss after epoch {epochs[-1].epoch} | {epochs[-1].test_loss:.2f} |")
    print(f"| Adam moments that are denormal | {denormals} |")
    print(f"| peak RSS | {rss:.0f} MB |")
    total = parts["gemm"] + parts["elementwise"] + parts["optimizer"] + parts["gather"]
    print(f"\n| one step ({total * 1e3:.2f} ms; x {batches} = {total * batches:.2f} s) | ms | share |\n|---|---|---|")
    for key in ("gemm", "elementwise", "optimizer", "gather"):
        label = {"gemm": "matrix products", "elementwise": "element-wise (forward/backward)",
                 "optimizer": "optimizer (Adam)", "gather": "batch gather + noise"}[key]
        print(f"| {label} | {parts[key] * 1e3:.3f} | {parts[key] / total:.0%} |")
    gemm_rate = parts["flops"] / parts["gemm"] / 1e9
    print(f"\nThe step's matrix products alone run at {gemm_rate:.0f} GFLOP/s ({gemm_rate / peak:.0%} of peak).")


if __name__ == "__main__":
    main()
