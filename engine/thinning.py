"""Which thumbnails to draw on the map at the current view: as many as fit without overlapping.

Every image has a fixed priority (a seeded random order, drawn once), so the choice is stable
while the view pans and only grows as thumbnails shrink relative to the points (zooming in).
For a view and a thumbnail size (w, h) in data units:

1. the points inside the view, widened by one thumbnail so those at its edge stay consistent,
   are bucketed into a grid of w x h cells anchored at the data origin (not at the view, so
   panning does not move the cells); two points in one cell always overlap, so each cell keeps
   its highest-priority point;
2. two kept points overlap only if they sit in neighbouring cells; those conflicts are settled
   by priority in rounds (a point wins when it outranks every undecided neighbour it overlaps;
   its overlapping neighbours then drop out), which is what drawing in priority order and
   skipping overlaps would give on the kept points, but vectorised.

Thumbnails are centred on their points; the result never has two overlapping (|dx| < w and
|dy| < h).  Cost: under 1 ms for a screenful of thumbnails among 10,000 points, under 5 ms
even when thousands are drawn (docs/your-images.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

MAX_CELLS = 4_000_000       # a grid finer than this means thumbnails below a pixel: draw none


@dataclass(frozen=True, eq=False)
class ThumbnailLayout:
    """Points (n, 2) on the map with a fixed drawing priority: rank (n,), 0 = drawn first."""

    points: np.ndarray
    rank: np.ndarray

    @classmethod
    def of(cls, points: np.ndarray, seed: int = 0, priority: np.ndarray | None = None) -> "ThumbnailLayout":
        """A layout of points (n, 2); priority (n,) orders them (higher first), else a seeded shuffle."""
        points = np.asarray(points, np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ConfigError(f"thumbnail positions must have shape (n, 2), got {points.shape}")
        n = len(points)
        order = np.random.default_rng(seed).permutation(n) if priority is None else \
            np.argsort(-np.asarray(priority, np.float64), kind="stable")
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n)
        return cls(points, rank)

    def visible(self, view: tuple[float, float, float, float], size: tuple[float, float]) -> np.ndarray:
        """Indices of the points to draw, highest priority first, for view (xmin, xmax, ymin, ymax)
        and thumbnails of size (w, h), both in data units."""
        return thin(self.points, self.rank, view, size)


def thin(points: np.ndarray, rank: np.ndarray, view: tuple[float, float, float, float],
         size: tuple[float, float]) -> np.ndarray:
    """The non-overlapping subset of points (n, 2) in view, by rank (n,) (lower first); see the module doc."""
    x0, x1, y0, y1 = (float(v) for v in view)
    w, h = (float(v) for v in size)
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise ConfigError(f"a thumbnail's size must be positive, got {size}")
    if not (x1 >= x0 and y1 >= y0):
        raise ConfigError(f"a view is (xmin, xmax, ymin, ymax) with min <= max, got {view}")
    if (x1 - x0 + 2 * w) / w * (y1 - y0 + 2 * h) / h > MAX_CELLS:
        return np.empty(0, np.int64)
    px, py = points[:, 0], points[:, 1]
    inside = np.flatnonzero((px >= x0 - w) & (px <= x1 + w) & (py >= y0 - h) & (py <= y1 + h))
    if len(inside) == 0:
        return inside
    cx = np.floor(px[inside] / w).astype(np.int64)
    cy = np.floor(py[inside] / h).astype(np.int64)
    cx -= cx.min() - 1                                  # a border of empty cells for the neighbour lookups
    cy -= cy.min() - 1
    width = int(cx.max()) + 2
    cell = cy * width + cx
    by_rank = np.argsort(cell * len(rank) + rank[inside])   # cells in turn, best rank first in each
    first = np.r_[True, cell[by_rank][1:] != cell[by_rank][:-1]]
    kept = inside[by_rank[first]]                       # one point per cell
    kept_cell = cell[by_rank[first]]
    slot = np.full((int(cy.max()) + 2) * width, -1, np.int64)
    slot[kept_cell] = np.arange(len(kept))
    offsets = np.array([dy * width + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dx or dy])
    neighbours = slot[kept_cell[:, None] + offsets[None, :]]             # (m, 8), -1 for none
    kx, ky = px[kept], py[kept]
    has = neighbours >= 0
    safe = np.where(has, neighbours, 0)
    overlap = has & (np.abs(kx[safe] - kx[:, None]) < w) & (np.abs(ky[safe] - ky[:, None]) < h)
    kr = rank[kept]
    state = np.zeros(len(kept), np.int8)                # 0 undecided, 1 drawn, -1 dropped
    active = np.flatnonzero(overlap.any(axis=1))
    state[np.flatnonzero(~overlap.any(axis=1))] = 1     # overlapping nothing: drawn at once
    while len(active):
        nb, ov = safe[active], overlap[active]
        rival = ov & (state[nb] == 0) & (kr[nb] < kr[active, None])
        wins = active[~rival.any(axis=1)]
        state[wins] = 1
        losers = safe[wins][overlap[wins]]              # overlap is symmetric: the winners' victims
        state[losers[state[losers] == 0]] = -1
        active = active[state[active] == 0]
    drawn = kept[state == 1]
    drawn = drawn[np.argsort(rank[drawn], kind="stable")]
    seen = (px[drawn] >= x0 - w / 2) & (px[drawn] <= x1 + w / 2) & (py[drawn] >= y0 - h / 2) & (py[drawn] <= y1 + h / 2)
    return drawn[seen]
