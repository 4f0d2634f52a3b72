"""Likely mislabels: images whose nearest neighbours in latent space mostly carry another label.

For every labelled image, its k nearest neighbours among all the others (Euclidean distance
between posterior means, engine.embedding.nearest) vote with their folder labels.  The
suggested label is the most common vote (ties: the smaller label), the agreement the fraction
of the k votes it got.  An image is a likely mislabel when the suggestion differs from its own
label and the agreement reaches `min_agreement` (default 0.5: most neighbours agree); the
list is sorted by agreement, then by how few neighbours share the image's own label.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .embedding import nearest
from .errors import ConfigError

DEFAULT_K = 10
MAX_K = 1000


@dataclass(frozen=True, eq=False)
class Mislabels:
    """The likely mislabels, most certain first: rows (m,) into the codes, their labels (m,),
    suggested labels (m,), agreement (m,) and own (m,), the fraction of neighbours sharing the
    image's own label.  suggested and agreement (n,) of every image are kept too (all_*)."""

    rows: np.ndarray
    labels: np.ndarray
    suggested: np.ndarray
    agreement: np.ndarray
    own: np.ndarray
    all_suggested: np.ndarray
    all_agreement: np.ndarray
    k: int

    def __len__(self) -> int:
        return len(self.rows)


def find_mislabels(mu: np.ndarray, labels: np.ndarray | None, k: int = DEFAULT_K, min_agreement: float = 0.5,
                   cancelled: Callable[[], bool] | None = None) -> Mislabels:
    """The likely mislabels among codes mu (n, L) with labels (n,) (see the module doc).

    Cost: the exact neighbour search, ~2 s for 10,000 codes; cancelled is polled between its
    chunks (WorkCancelled).
    """
    if labels is None:
        raise ConfigError("the data set is unlabelled; mislabels need folder labels")
    mu = np.asarray(mu, np.float64)
    labels = np.asarray(labels, np.int64)
    if mu.ndim != 2 or len(mu) != len(labels):
        raise ConfigError(f"codes of shape {mu.shape} do not match {len(labels)} labels")
    if not 1 <= k <= MAX_K:
        raise ConfigError(f"the number of neighbours must be from 1 to {MAX_K}, got {k}")
    if not 0.0 < min_agreement <= 1.0:
        raise ConfigError(f"the agreement threshold must be above 0 and at most 1, got {min_agreement}")
    if len(np.unique(labels)) < 2:
        raise ConfigError("mislabels need at least two classes")
    idx, _ = nearest(mu, None, k, cancelled)
    k = idx.shape[1]
    votes = labels[idx]                                                    # (n, k)
    n_classes = int(labels.max()) + 1
    counts = np.zeros((len(mu), n_classes), np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(mu)), k), votes.reshape(-1)), 1)
    suggested = counts.argmax(axis=1)                                     # ties: the smaller label
    agreement = counts[np.arange(len(mu)), suggested] / k
    own = counts[np.arange(len(mu)), labels] / k
    flagged = np.flatnonzero((suggested != labels) & (agreement >= min_agreement))
    order = flagged[np.lexsort((flagged, own[flagged], -agreement[flagged]))]
    return Mislabels(order, labels[order], suggested[order], agreement[order], own[order], suggested,
                     agreement, k)
