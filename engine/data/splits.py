"""Seeded train/test splits, stratified by label so every class keeps its share in both."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def split_indices(n: int, labels: np.ndarray | None = None, test_fraction: float = 0.1,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) into n items, each sorted ascending.

    The test split holds round(test_fraction * n) items, but at least one, and leaves at
    least one for training.  With labels (n,) it is stratified: each class gets its
    proportional share, the rounding remainders going to the classes with the largest
    fractional parts (largest-remainder apportionment), so the total is exact.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise ConfigError(f"test fraction must be at least 0 and below 1, not {test_fraction}")
    if n < 2:
        raise ConfigError(f"a train/test split needs at least 2 images, not {n}")
    n_test = min(max(1, round(test_fraction * n)), n - 1)
    rng = np.random.default_rng(seed)
    if labels is None:
        test = rng.permutation(n)[:n_test]
    else:
        classes, counts = np.unique(labels, return_counts=True)
        exact = counts * (n_test / n)
        share = np.floor(exact).astype(np.int64)
        order = np.argsort(-(exact - share), kind="stable")
        share[order[:n_test - int(share.sum())]] += 1
        test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:k]
                               for c, k in zip(classes, share)])
    is_test = np.zeros(n, bool)
    is_test[test] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)
