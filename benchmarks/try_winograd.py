"""Would Winograd's fast convolution make the conv VAE's middle layers faster? (Issue 10.)

A 4x4, stride-2, padding-1 convolution is a 2x2, stride-1 convolution of the input's four pixel
parities (space-to-depth: 4*C channels).  Winograd's F(t, 2) computes t outputs of a 2-tap
filter with t + 1 multiplications instead of 2t, so F(t x t, 2 x 2) replaces the layer's one
GEMM by (t+1)^2 smaller ones with fewer FLOPs in all (for 7x7 outputs: F(4,2) 51%, F(7,2) 33%
of the im2col GEMM's), at the cost of transforming the input tiles (B^T d B), the kernel
(G g G^T) and the output tiles (A^T m A).  The matrices come from Cook-Toom interpolation at
the given points (exact rationals, B^T solved so the algorithm is a correlation).

This measures the forward of the 32 -> 64 convolution on 14x14 inputs, batch 64 (one split-step
half), one thread, against the engine's im2col forward, alternating in one process, each
transform one NumPy matrix product over all tiles (the kernel's is redone every call, as a
training step would).

    python benchmarks/try_winograd.py [--rounds 40]
"""
from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import as_strided  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from engine.layers.conv2d import Conv2d  # noqa: E402  (the engine first: OpenBLAS settings)

VARIANTS = {"F(3,2)": (3, [0, 1, -1]), "F(4,2)": (4, [0, 1, -1, 2]), "F(7,2)": (7, [0, 1, -1, 2, -2, 0.5, -0.5])}


def cook_toom(t: int, points: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A^T (t, a), G (a, 2), B^T (a, a) of F(t, 2), a = t + 1: y_i = sum_k g_k d_(i+k) =
    A^T [(G g) * (B^T d)], interpolating at `points` and infinity."""
    a, p = t + 1, [Fraction(x) for x in points]
    at = np.array([[float(q ** i) for q in p] + [float(i == t - 1)] for i in range(t)])
    g = []
    for j in range(a - 1):
        f = np.prod([p[j] - p[l] for l in range(a - 1) if l != j])
        g.append([float(p[j] ** k / f) for k in range(2)])
    g = np.array(g + [[0.0, 1.0]])
    # B^T is linear in the unknowns: sum_j AT[i, j] G[j, k] BT[j, l] = [l == i + k]
    rows, rhs = [], []
    for i in range(t):
        for k in range(2):
            for l in range(a):
                r = np.zeros((a, a))
                r[:, l] = at[i] * g[:, k]
                rows.append(r.ravel())
                rhs.append(float(l == i + k))
    bt = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0].reshape(a, a)
    return at, g, bt


class NumpyWinograd:
    """The forward with every transform a NumPy matrix product over all tiles at once."""

    def __init__(self, t: int, points: list[float], n: int, h: int, c: int, f: int) -> None:
        at, g, bt = cook_toom(t, points)
        self.t, self.a = t, t + 1
        self.out = h // 2
        self.tiles = -(-self.out // t)
        side = 2 * (self.tiles * t + 1)             # padded input rows the tiles read
        self.xp = np.zeros((n, side, side, c), np.float32)
        self.kbt, self.kat, self.kg = (np.kron(m, m).astype(np.float32) for m in (bt, at, g))
        rows = n * self.tiles ** 2
        self.d = np.empty((self.a, self.a, n, self.tiles, self.tiles, 2, 2, c), np.float32)
        self.v = np.empty((self.a ** 2, rows, 4 * c), np.float32)
        self.m = np.empty((self.a ** 2, rows, f), np.float32)
        self.y = np.empty((t * t, rows * f), np.float32)
        self.result = np.empty((n, self.out, self.out, f), np.float32)

    def __call__(self, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, times: dict) -> np.ndarray:
        n, h, w, c = x.shape
        f, a, t, tiles = kernel.shape[-1], self.a, self.t, self.tiles
        t0 = time.perf_counter()
        self.xp[:, 1:1 + h, 1:1 + w] = x
        sn, sh, sw, sc = self.xp.strides
        np.copyto(self.d, as_strided(self.xp, self.d.shape,
                                     (2 * sh, 2 * sw, sn, 2 * t * sh, 2 * t * sw, sh, sw, sc)))
        np.matmul(self.kbt, self.d.reshape(a * a, -1), out=self.v.reshape(a * a, -1))
        t1 = time.perf_counter()
        u = (self.kg @ phase_kernel(kernel)).reshape(a * a, 4 * c, f)
        np.matmul(self.v, u, out=self.m)
        t2 = time.perf_counter()
        y = np.matmul(self.kat, self.m.reshape(a * a, -1), out=self.y)
        tiled = y.reshape(t, t, n, tiles, tiles, f).transpose(2, 3, 0, 4, 1, 5).reshape(n, tiles * t, tiles * t, f)
        np.add(tiled[:, :self.out, :self.out], bias, out=self.result)
        t3 = time.perf_counter()
        for part, s in (("in", t1 - t0), ("kernel + GEMM", t2 - t1), ("out", t3 - t2)):
            times.setdefault(part, []).append(s)
        return self.result


def phase_kernel(kernel: np.ndarray) -> np.ndarray:
    """K (4, 4, C, F) -> the 2x2 kernel over the 4*C parity channels, (4, 4*C*F)."""
    c, f = kernel.shape[2:]
    return kernel.reshape(2, 2, 2, 2, c, f).transpose(0, 2, 1, 3, 4, 5).reshape(4, 4 * c * f)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=40)
    a = p.parse_args()
    n, h, c, f = 64, 14, 32, 64
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, h, c)).astype(np.float32)
    layer = Conv2d((h, h, c), f)
    params = np.empty(layer.n_params, np.float32)
    layer.bind(params, np.empty_like(params))
    layer.init(rng)
    cache = layer.make_cache(n, np.float32)
    exact = Conv2d((h, h, c), f)
    exact.bind(params.astype(np.float64), np.empty(layer.n_params))
    reference = exact.forward(x.astype(np.float64).reshape(n, -1)).reshape(n, 7, 7, f)
    kernel, bias = layer.params[0].reshape(4, 4, c, f), layer.params[1]

    variants = {"im2col (the engine)": lambda x, k, b, times: layer.forward(x.reshape(n, -1), cache)}
    for name, (t, points) in VARIANTS.items():
        variants[name] = NumpyWinograd(t, points, n, h, c, f)
    times = {name: {} for name in variants}
    seconds = {name: [] for name in variants}
    with threadpool_limits(1, user_api="blas"):
        for name, fn in variants.items():          # warm-up
            fn(x, kernel, bias, {})
        for _ in range(a.rounds):
            for name, fn in variants.items():
                start = time.perf_counter()
                fn(x, kernel, bias, times[name])
                seconds[name].append(time.perf_counter() - start)

    scale = np.abs(reference).max()
    print(f"### Conv 32->64 forward, 14x14 inputs, batch {n}, one thread, {a.rounds} alternating rounds\n")
    print("| variant | min ms | median ms | transforms in / kernel + GEMM / out (median ms) | max error / max |y| |")
    print("|---|---|---|---|---|")
    for name, fn in variants.items():
        y = np.asarray(fn(x, kernel, bias, {})).reshape(reference.shape)
        parts = " / ".join(f"{np.median(v) * 1e3:.2f}" for v in times[name].values()) or "-"
        print(f"| {name} | {min(seconds[name]) * 1e3:.2f} | {np.median(seconds[name]) * 1e3:.2f} | {parts} | "
              f"{np.abs(y - reference).max() / scale:.1e} |")


if __name__ == "__main__":
    main()
