"""What the conv VAE's training step costs, and the alternatives measured for it.

In one process, alternating the variants round by round (this machine is shared and drifts):
1. one training step of the MNIST conv VAE (Conv 32-64, Dense 256, latent 2, batch 128) as one
   pass with all BLAS threads, and split across the threads with one BLAS thread each
   (backprop.SplitPass, what the trainer uses);
2. the transposed direction of the two decoder layers (ConvTranspose2d forward), scattering the
   patches (col2im) against gathering them (layers/subpixel.py), on one thread;
3. the step's matrix products as counted by the layers, and the fraction of this machine's
   float32 GEMM peak a step reaches.

    python benchmarks/bench_conv.py                 # 2 threads, 5 rounds
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_engine import gemm_peak  # noqa: E402  (imports the engine before NumPy)
from threadpoolctl import threadpool_limits  # noqa: E402

from engine import VAE, VAEConfig, load_mnist  # noqa: E402
from engine.backprop import SplitPass, TrainingPass  # noqa: E402
from engine.data.dataset import to_float  # noqa: E402
from engine.layers import ConvTranspose2d, subpixel  # noqa: E402
from engine.layers.im2col import scatter_planes  # noqa: E402


def mean_seconds(fn, reps: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def scatter_forward(layer: ConvTranspose2d, x: np.ndarray, out: np.ndarray) -> None:
    h, w, c = layer.in_shape
    planes = np.matmul(layer.params[0].T, x.reshape(-1, c).T)
    out[...] = layer.params[1]
    scatter_planes(planes, out, layer.geometry, (h, w))


def gather_forward(layer: ConvTranspose2d, x: np.ndarray, buffers, out: np.ndarray) -> None:
    h, w, c = layer.in_shape
    K = layer.params[0].reshape(c, 4, 4, -1).transpose(1, 2, 3, 0)
    subpixel.transposed_conv(x.reshape(len(x), h, w, c), K, layer.geometry, out, buffers, layer.params[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    data = load_mnist()
    model = VAE(VAEConfig(arch="conv", channels=(32, 64), hidden=(256,), latent_dim=2))
    rng = np.random.default_rng(0)
    x = to_float(data.x_train[:128])          # stored as uint8
    eps = rng.standard_normal((128, 2), dtype=np.float32)
    single, split = TrainingPass(model, model.grads), SplitPass(model, a.threads)
    deconvs = [layer for layer in model.decoder if isinstance(layer, ConvTranspose2d)]
    inputs = [rng.random((128, d.in_size), dtype=np.float32) for d in deconvs]
    buffers = [subpixel.SubpixelBuffers.make(128, d.in_shape, d.out_shape[2], d.geometry, np.float32, bias=True)
               for d in deconvs]
    outs = [np.empty((128, *d.out_shape), np.float32) for d in deconvs]
    times: dict[str, list[float]] = {}
    for _ in range(a.rounds):
        with threadpool_limits(a.threads, user_api="blas"):
            times.setdefault("one pass", []).append(mean_seconds(lambda: single.step(x, eps, 1.0, 1e-3), 5))
        with threadpool_limits(1, user_api="blas"):
            times.setdefault("split", []).append(mean_seconds(lambda: split.step(x, eps, 1.0, 1e-3), 5))
            for i, d in enumerate(deconvs):
                name = f"{d.in_shape[2]}->{d.out_shape[2]}"
                times.setdefault(f"scatter {name}", []).append(mean_seconds(lambda: scatter_forward(d, inputs[i], outs[i]), 5))
                times.setdefault(f"gather {name}", []).append(
                    mean_seconds(lambda: gather_forward(d, inputs[i], buffers[i], outs[i]), 5))
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    flops = sum(2 * m * k * n for i, layer in enumerate(model.layers) for m, k, n in layer.gemm_shapes(128, i > 0))
    with threadpool_limits(a.threads, user_api="blas"):
        peak = gemm_peak(seconds=0.5)
    print(f"### Conv VAE step (MNIST, Conv 32-64, Dense 256, latent 2, batch 128), {a.threads} threads, "
          f"median of {a.rounds} rounds\n")
    print("| measure | ms |\n|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} |")
    best = min(med["one pass"], med["split"])
    print(f"\nsplit / one pass: {med['split'] / med['one pass']:.2f}.  A step's matrix products: "
          f"{flops / 1e9:.2f} GFLOP; GEMM peak {peak:.0f} GFLOP/s, so {flops / peak / 1e6:.1f} ms at peak: "
          f"the faster step reaches {flops / peak / 1e6 / best:.0%} of it.")


if __name__ == "__main__":
    main()
