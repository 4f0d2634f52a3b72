"""The neighbourhood map: a UMAP-style 2-D embedding of posterior means that still decodes.

For a latent space above 2-D the PCA plane shows only the two directions of largest spread;
classes that differ along the others fall on top of each other.  The neighbourhood map keeps
instead who is near whom, as UMAP does (McInnes, Healy & Melville 2018), in NumPy:

1. the exact k nearest neighbours of every code (k = 15), by chunked matrix products;
2. fuzzy memberships w_ij = exp(-(d_ij - rho_i) / sigma_i), rho_i the nearest distance and
   sigma_i found by bisection so that sum_j w_ij = log2(k); symmetrised w + w^T - w * w^T;
3. a layout started from the PCA plane (deterministic, and oriented like the PCA map), then
   N_EPOCHS epochs of UMAP's attractive (edges, sampled with probability w / max w) and
   repulsive (NEGATIVE_SAMPLES random points per edge) forces with the curve
   1 / (1 + a d^2b) for min_dist 0.1, every edge of an epoch at once (the moves summed per
   point), with UMAP's linearly decaying learning rate and gradient clipping at 4.

Above MAX_POINTS codes a seeded random subsample is embedded and the others are placed like
new points: `coords(z)` puts a code at the membership-weighted average of the positions of its
k nearest embedded codes (umap-learn's `transform` initialisation).  The inverse, `codes(ab)`,
is the same in the other direction: the membership-weighted average of the latent codes of the
k nearest embedded points (umap-learn's `inverse_transform` initialisation).  It is an
approximation: docs/your-images.md gives how far it lands from the code a point came from.

Shapes: z (n, L) codes; ab (n, 2) map points.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, WorkCancelled

N_NEIGHBOURS = 15
N_EPOCHS = 200
NEGATIVE_SAMPLES = 3
MAX_POINTS = 10_000
CURVE_A, CURVE_B = 1.577, 0.8951     # umap-learn's fit of 1 / (1 + a d^2b) for min_dist 0.1, spread 1
LAYOUT_SCALE = 10.0                  # the PCA start is scaled to this half-width, as umap-learn's
KNN_CHUNK = 1024


def nearest(reference: np.ndarray, queries: np.ndarray | None = None, k: int = N_NEIGHBOURS,
            cancelled: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), each (m, k), of the k nearest reference rows to each query row, nearest first.

    queries None: the reference rows themselves, each row's own index left out.  Exact, by
    |a|^2 + |b|^2 - 2 a.b in chunks of KNN_CHUNK rows.  Cost: ~1.3-2.5 s for 10,000 x 10,000.
    """
    ref = np.asarray(reference, np.float64)
    own = queries is None
    q = ref if own else np.asarray(queries, np.float64)
    if ref.ndim != 2 or q.ndim != 2 or q.shape[1] != ref.shape[1]:
        raise ConfigError(f"cannot search codes of shape {ref.shape} for points of shape {q.shape}")
    k = min(k, len(ref) - (1 if own else 0))
    if k < 1:
        raise ConfigError("a neighbour search needs at least 2 codes")
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    idx, dist = np.empty((len(q), k), np.int64), np.empty((len(q), k))
    for s in range(0, len(q), KNN_CHUNK):
        if cancelled is not None and cancelled():
            raise WorkCancelled("the neighbour search was cancelled")
        block = q[s:s + KNN_CHUNK]
        d2 = ref_sq[None, :] - 2.0 * block @ ref.T + np.einsum("ij,ij->i", block, block)[:, None]
        if own:
            d2[np.arange(len(block)), np.arange(s, s + len(block))] = np.inf
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        pd = np.take_along_axis(d2, part, axis=1)
        order = np.lexsort((part, pd), axis=1)
        idx[s:s + len(block)] = np.take_along_axis(part, order, axis=1)
        dist[s:s + len(block)] = np.sqrt(np.maximum(np.take_along_axis(pd, order, axis=1), 0.0))
    return idx, dist


def memberships(distances: np.ndarray) -> np.ndarray:
    """UMAP's fuzzy weights exp(-(d - rho) / sigma) of each row's neighbour distances (m, k), rows
    summing to log2(k) (sigma by 64 bisection steps, every row at once)."""
    d = np.asarray(distances, np.float64)
    k = d.shape[1]
    target = math.log2(k) if k > 1 else 1.0
    rho = d[:, :1]
    excess = np.maximum(d - rho, 0.0)
    lo, hi = np.zeros(len(d)), np.full(len(d), np.inf)
    sigma = np.ones(len(d))
    for _ in range(64):
        total = np.exp(-excess / sigma[:, None]).sum(axis=1)
        too_big = total > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2.0, (lo + hi) / 2.0)
    sigma = np.maximum(sigma, 1e-3 * max(float(np.mean(d)), 1e-12))   # as umap-learn's MIN_K_DIST_SCALE
    return np.exp(-excess / sigma[:, None])


def fuzzy_graph(idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges (a, b, w) of the symmetrised graph w_ij + w_ji - w_ij w_ji, a < b."""
    n = len(idx)
    rows = np.repeat(np.arange(n), idx.shape[1])
    cols, w = idx.reshape(-1), weights.reshape(-1)
    a, b = np.minimum(rows, cols), np.maximum(rows, cols)
    key = a * n + b
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    total = np.add.reduceat(w, starts)
    pairs = np.diff(np.r_[starts, len(key)]) == 2
    product = np.where(pairs, np.multiply.reduceat(w, starts), 0.0)
    unique = key[starts]
    return unique // n, unique % n, total - product


def _pca_start(z: np.ndarray) -> np.ndarray:
    from .planes import pca_plane
    ab = pca_plane(z).coords(z)
    return ab * (LAYOUT_SCALE / max(float(np.abs(ab).max()), 1e-12))


def layout(start: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray, epochs: int = N_EPOCHS,
           seed: int = 0, cancelled: Callable[[], bool] | None = None,
           progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """UMAP's force layout of graph (a, b, w) from start (n, 2), all edges of an epoch at once.

    The two coordinates are kept as separate 1-D arrays: gathering them by index is ~3x
    faster than gathering rows of an (n, 2) array.
    """
    rng = np.random.default_rng(seed)
    px, py = (np.array(start[:, d], np.float64) for d in range(2))
    n = len(px)
    prob = w / w.max()
    ca, cb = CURVE_A, CURVE_B
    for epoch in range(epochs):
        if cancelled is not None and cancelled():
            raise WorkCancelled("the neighbourhood map was cancelled")
        alpha = 1.0 - epoch / epochs
        pick = rng.random(len(w)) < prob
        head, tail = a[pick], b[pick]
        dx, dy = px[head] - px[tail], py[head] - py[tail]
        d2 = np.maximum(dx * dx + dy * dy, 1e-12)
        pull = -2.0 * ca * cb * d2 ** (cb - 1.0) / (1.0 + ca * d2 ** cb)
        gx, gy = (np.clip(pull * d, -4.0, 4.0) * alpha for d in (dx, dy))
        mx = np.bincount(head, gx, n) - np.bincount(tail, gx, n)
        my = np.bincount(head, gy, n) - np.bincount(tail, gy, n)
        ends = np.repeat(np.concatenate([head, tail]), NEGATIVE_SAMPLES)
        others = rng.integers(0, n, len(ends))
        dx, dy = px[ends] - px[others], py[ends] - py[others]
        d2 = dx * dx + dy * dy
        push = np.where(d2 > 0, 2.0 * cb / ((0.001 + d2) * (1.0 + ca * d2 ** cb)), 0.0)   # a point and itself: none
        mx += np.bincount(ends, np.clip(push * dx, -4.0, 4.0) * alpha, n)
        my += np.bincount(ends, np.clip(push * dy, -4.0, 4.0) * alpha, n)
        px += mx
        py += my
        if progress is not None:
            progress(epoch + 1, epochs)
    return np.stack([px, py], axis=1)


@dataclass(frozen=True, eq=False)
class NeighbourhoodMap:
    """An embedding of codes: `reference` (m, L) embedded at `layout` (m, 2); `points` (n, 2) the
    positions of every input code (the reference ones and, above MAX_POINTS, the placed rest)."""

    reference: np.ndarray
    layout: np.ndarray
    points: np.ndarray
    k: int = N_NEIGHBOURS

    kind = "neighbourhood"
    axis_names = ("neighbourhood map x", "neighbourhood map y")

    @property
    def latent_dim(self) -> int:
        return self.reference.shape[1]

    def coords(self, z: np.ndarray) -> np.ndarray:
        """Map points (n, 2) of codes (n, L): the membership-weighted average of the positions of
        their k nearest embedded codes (a new code lands among its neighbours)."""
        z = np.asarray(z, np.float64)
        z = z[None] if z.ndim == 1 else z
        return _weighted(self.reference, z, self.layout, self.k)

    def codes(self, ab: np.ndarray) -> np.ndarray:
        """Latent codes (n, L) of map points (n, 2): the membership-weighted average of the codes
        of the k nearest embedded points (approximate: see the module doc)."""
        ab = np.asarray(ab, np.float64)
        ab = ab[None] if ab.ndim == 1 else ab
        if ab.ndim != 2 or ab.shape[1] != 2:
            raise ConfigError(f"map points must have shape (n, 2), got {ab.shape}")
        return _weighted(self.layout, ab, self.reference, self.k)


def _weighted(space: np.ndarray, queries: np.ndarray, values: np.ndarray, k: int,
              cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    idx, dist = nearest(space, queries, k, cancelled)
    w = memberships(dist)
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", w, values[idx])


def neighbourhood_map(z: np.ndarray, k: int = N_NEIGHBOURS, epochs: int = N_EPOCHS, seed: int = 0,
                      max_points: int = MAX_POINTS, cancelled: Callable[[], bool] | None = None,
                      progress: Callable[[int, int], None] | None = None) -> NeighbourhoodMap:
    """The neighbourhood map of codes z (n, L), n >= 3, L >= 2.

    Cost: ~4-6 s for 10,000 codes on two shared cores; above max_points the rest are placed at
    ~0.3 ms each.  cancelled is polled at every neighbour chunk and epoch (WorkCancelled);
    progress(done, total) counts epochs.
    """
    z = np.asarray(z, np.float64)
    if z.ndim != 2 or z.shape[1] < 2 or len(z) < 3 or not np.all(np.isfinite(z)):
        raise ConfigError(f"a neighbourhood map needs the finite codes of at least 3 images in 2 or more "
                          f"dimensions, got shape {z.shape}")
    if not 2 <= k <= 200 or not 1 <= epochs <= 5000:
        raise ConfigError(f"neighbours must be from 2 to 200 and epochs from 1 to 5000, got {k} and {epochs}")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(z), max_points, replace=False)) if len(z) > max_points else np.arange(len(z))
    reference = z[chosen]
    idx, dist = nearest(reference, None, k, cancelled)
    a, b, w = fuzzy_graph(idx, memberships(dist))
    ab = layout(_pca_start(reference), a, b, w, epochs, seed, cancelled, progress)
    result = NeighbourhoodMap(reference, ab, ab, min(k, len(reference) - 1))
    if len(chosen) == len(z):
        return result
    points = np.empty((len(z), 2))
    points[chosen] = ab
    rest = np.setdiff1d(np.arange(len(z)), chosen)
    points[rest] = _weighted(reference, z[rest], ab, result.k, cancelled)
    return NeighbourhoodMap(reference, ab, points, result.k)
