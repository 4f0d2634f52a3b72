"""Geometry of the rate-distortion plane (Alemi et al. 2018, "Fixing a Broken ELBO").

rate R = KL(q(z|x) || p(z)) and distortion D = -E log p(x|z), both nats per image; the
negative ELBO is R + D, so runs of equal ELBO lie on lines R + D = const (slope -1).  A beta-VAE
minimises D + beta R: larger beta trades distortion for rate.  Plots (the GUI's, the benchmark
figure's) draw the points and a few such lines through the visible box.
"""
from __future__ import annotations

import math

from .records import RatePoint


def view_box(points: list[RatePoint], margin: float = 0.08) -> tuple[float, float, float, float]:
    """(rate_min, rate_max, distortion_min, distortion_max) around the points, widened by margin
    of each span (rate from 0: a rate is never negative, and 0 is the collapsed corner)."""
    rates = [p.rate for p in points] or [0.0, 1.0]
    dists = [p.distortion for p in points] or [0.0, 1.0]
    r_span = max(max(rates), 1e-9)
    d_lo, d_hi = min(dists), max(dists)
    d_span = max(d_hi - d_lo, 1e-3 * max(abs(d_hi), 1.0))
    return 0.0, max(rates) + margin * r_span, d_lo - margin * d_span, d_hi + margin * d_span


def equal_elbo_levels(points: list[RatePoint], count: int = 5) -> list[float]:
    """`count` round values of -ELBO = R + D spread over the points' range (the best point's
    level first), for lines of equal ELBO."""
    if not points:
        return []
    sums = sorted(p.rate + p.distortion for p in points)
    lo, hi = sums[0], sums[-1]
    if hi - lo < 1e-9:
        return [lo]
    step = _round_step((hi - lo) / max(count - 1, 1))
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(count + 1) if first + i * step <= hi + step]


def equal_elbo_segment(level: float, box: tuple[float, float, float, float]
                       ) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the line R + D = level inside box (r0, r1, d0, d1), as two (R, D) ends, or None."""
    r0, r1, d0, d1 = box
    lo, hi = max(r0, level - d1), min(r1, level - d0)   # R where D = level - R lies in [d0, d1]
    if lo >= hi:
        return None
    return (lo, level - lo), (hi, level - hi)


def _round_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least raw."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
