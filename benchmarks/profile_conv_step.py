"""Where one training pass of the conv VAE spends its time, layer by layer, in place in the step.

Each layer's forward and backward (and the loss) is timed within real steps on MNIST batches,
one BLAS thread, and split into its matrix products (np.matmul, timed by a wrapper) and the
rest (copies, element-wise work, Python).  The default batch, 64, is what each of the two
threads of the trainer's split step (backprop.SplitPass) runs.

    python benchmarks/profile_conv_step.py                 # batch 64, median of 20 steps
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from engine import VAE, VAEConfig, load_mnist  # noqa: E402  (the engine first: OpenBLAS settings)
from engine.backprop import TrainingPass  # noqa: E402
from engine.data.dataset import to_float  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    n = a.batch
    model = VAE(VAEConfig(arch="conv", channels=(32, 64), hidden=(256,), latent_dim=2))
    x = to_float(load_mnist().x_train[:n * (a.steps + 3)])
    eps = np.random.default_rng(0).standard_normal((len(x), 2), dtype=np.float32)
    training = TrainingPass(model, model.grads)
    matmul, in_matmul = np.matmul, [0.0]
    times: dict[str, list[tuple[float, float]]] = {}

    def timed_matmul(*args, **kwargs):
        start = time.perf_counter()
        result = matmul(*args, **kwargs)
        in_matmul[0] += time.perf_counter() - start
        return result

    def timed(name: str, fn):
        def call(*args, **kwargs):
            in_matmul[0] = 0.0
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            times.setdefault(name, []).append((time.perf_counter() - start, in_matmul[0]))
            return result
        return call

    for side, layers in (("encoder", training.encoder), ("decoder", training.decoder)):
        for i, layer in enumerate(layers):
            name = f"{side} {i} {type(layer).__name__} {layer.in_size}->{layer.out_size}"
            layer.forward = timed(f"{name} forward", layer.forward)
            layer.backward = timed(f"{name} backward", layer.backward)
    model.recon_nll_total = timed("loss and its gradient", model.recon_nll_total)
    steps = []
    with threadpool_limits(1, user_api="blas"):
        np.matmul = timed_matmul
        try:
            for s in range(a.steps + 3):
                rows = slice(s * n, (s + 1) * n)
                start = time.perf_counter()
                training.step(x[rows], eps[rows], 1.0, 0.1)
                steps.append(time.perf_counter() - start)
        finally:
            np.matmul = matmul
    print(f"### One training pass of the MNIST conv VAE, batch {n}, one thread, median of {a.steps} steps\n")
    print("| layer | ms | matrix products | the rest |\n|---|---|---|---|")
    total = products = 0.0
    for name in times:                     # in the order the step calls them
        v = np.array(times[name][3:]) * 1e3
        t, m = float(np.median(v[:, 0])), float(np.median(v[:, 1]))
        total, products = total + t, products + m
        if t >= 0.05:
            print(f"| {name} | {t:.2f} | {m:.2f} | {t - m:.2f} |")
    print(f"| all layers and the loss | {total:.2f} | {products:.2f} | {total - products:.2f} |")
    print(f"\nWhole step, median: {np.median(steps[3:]) * 1e3:.2f} ms (layers under 0.05 ms not listed).")


if __name__ == "__main__":
    main()
