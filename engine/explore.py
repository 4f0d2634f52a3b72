"""Questions about single points of the latent space: which real images lie near a code, and
what the prior and a posterior produce when sampled.

Shapes: codes (N, L) posterior means of a data set; query (L,); x (D,) one image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .vae import VAE

DEFAULT_NEIGHBOURS = 8


@dataclass(frozen=True, eq=False)
class Neighbours:
    """The nearest data points to a query, nearest first."""

    indices: np.ndarray     # (k,) rows of the searched codes
    distances: np.ndarray   # (k,) Euclidean distances in latent space, ascending


def nearest_neighbours(codes: np.ndarray, query: np.ndarray, k: int = DEFAULT_NEIGHBOURS) -> Neighbours:
    """The k codes (N, L) nearest to query (L,) in Euclidean distance; ties go to the lower index.

    k larger than N returns all N.
    """
    codes = np.asarray(codes, np.float64)
    query = np.asarray(query, np.float64).reshape(-1)
    if codes.ndim != 2 or codes.shape[1] != len(query):
        raise ConfigError(f"cannot search codes of shape {codes.shape} for a {len(query)}-D point")
    if k < 1:
        raise ConfigError(f"the number of neighbours must be at least 1, got {k}")
    diff = codes - query
    d2 = np.einsum("ij,ij->i", diff, diff)         # (N,)
    k = min(k, len(d2))
    if k < len(d2):
        # the k smallest, plus every code tied with the k-th, then ordered by (distance, index)
        kth = np.partition(d2, k - 1)[k - 1]
        candidates = np.flatnonzero(d2 <= kth)
    else:
        candidates = np.arange(len(d2))
    order = candidates[np.lexsort((candidates, d2[candidates]))][:k]
    return Neighbours(order, np.sqrt(d2[order]))


@dataclass(frozen=True, eq=False)
class Samples:
    """Decoded draws: the codes and their images."""

    z: np.ndarray         # (n, L)
    images: np.ndarray    # (n, D) decoder means in [0, 1]


@dataclass(frozen=True, eq=False)
class PosteriorSamples(Samples):
    """Draws z = mu + exp(0.5 logvar) * eps from one image's posterior, with the noise that made them."""

    mu: np.ndarray        # (L,)
    logvar: np.ndarray    # (L,)
    eps: np.ndarray       # (n, L) the standard normal draws


def prior_samples(model: VAE, n: int, rng: np.random.Generator) -> Samples:
    """n codes z ~ N(0, I) and their decodes."""
    _check_count(n)
    z = rng.standard_normal((n, model.config.latent_dim))
    return Samples(z, model.decode(z))


def posterior_samples(model: VAE, x: np.ndarray, n: int, rng: np.random.Generator) -> PosteriorSamples:
    """n draws from q(z|x) for one image x (D,) by reparameterisation, and their decodes."""
    _check_count(n)
    x = np.asarray(x)
    if x.size != model.config.input_dim:
        raise ConfigError(f"posterior samples need one image of {model.config.input_dim} values, got {x.size}")
    mu, logvar = (a[0].astype(np.float64) for a in model.encode(x.reshape(1, -1)))
    eps = rng.standard_normal((n, len(mu)))
    z = mu + np.exp(0.5 * logvar) * eps
    return PosteriorSamples(z, model.decode(z), mu, logvar, eps)


def _check_count(n: int) -> None:
    if not 1 <= n <= 10000:
        raise ConfigError(f"the number of samples must be between 1 and 10,000, got {n}")
