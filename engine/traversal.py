"""Latent traversals: walk one dimension at a time from a point, holding the others, and decode.

One row per latent dimension (usually ordered by KL, largest first, after Burgess et al. 2018),
one column per step.  The values a dimension walks through come from either

- the prior: equally spaced quantiles of N(0, 1) from 2.5% to 97.5%, so each step covers the
  same prior mass and the row spans the central 95% of the prior; or
- the aggregate posterior q(z) = mean over images of q(z|x): per dimension its mean m_d and
  standard deviation s_d (by the law of total variance s_d^2 = Var_x(mu_d) + E_x[exp(logvar_d)]),
  walking m_d - 2 s_d to m_d + 2 s_d, so the row stays where the data's codes are.

Shapes: point (L,); values (L, steps); codes (rows * steps, L).
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .errors import ConfigError
from .manifold import tile_images
from .vae import VAE

RANGES = ("prior", "posterior")
PRIOR_MASS = 0.95          # the prior row spans this central share of N(0, 1)
POSTERIOR_SDS = 2.0        # the aggregate-posterior row spans the mean +- this many SDs


def prior_values(latent_dim: int, steps: int) -> np.ndarray:
    """(L, steps): every dimension at the same equally spaced prior quantiles, 2.5% to 97.5%."""
    _check_steps(steps)
    tail = (1.0 - PRIOR_MASS) / 2
    inv = NormalDist().inv_cdf
    row = np.array([inv(p) for p in np.linspace(tail, 1.0 - tail, steps)])
    return np.tile(row, (latent_dim, 1))


def posterior_values(mu: np.ndarray, logvar: np.ndarray, steps: int) -> np.ndarray:
    """(L, steps): each dimension from m_d - 2 s_d to m_d + 2 s_d of the aggregate posterior of
    the images whose posteriors are mu, logvar (n, L)."""
    _check_steps(steps)
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    if mu.ndim != 2 or mu.shape != logvar.shape or len(mu) == 0:
        raise ConfigError(f"mu and logvar must both have shape (n, latent), got {mu.shape} and {logvar.shape}")
    m = mu.mean(axis=0)
    s = np.sqrt(mu.var(axis=0) + np.exp(logvar).mean(axis=0))
    return m[:, None] + np.linspace(-POSTERIOR_SDS, POSTERIOR_SDS, steps)[None, :] * s[:, None]


def traversal_codes(point: np.ndarray, values: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """Codes (len(dims) * steps, L): row r sets dimension dims[r] to values[dims[r]], the rest at point."""
    point = np.asarray(point, np.float64).reshape(-1)
    values = np.asarray(values, np.float64)
    dims = np.asarray(dims, int).reshape(-1)
    L = len(point)
    if values.ndim != 2 or values.shape[0] != L:
        raise ConfigError(f"traversal values must have shape ({L}, steps), got {values.shape}")
    if len(dims) == 0 or dims.min() < 0 or dims.max() >= L:
        raise ConfigError(f"traversal rows must name latent dimensions 0..{L - 1}, got {dims.tolist()}")
    steps = values.shape[1]
    z = np.tile(point, (len(dims) * steps, 1))
    for r, d in enumerate(dims):
        z[r * steps:(r + 1) * steps, d] = values[d]
    return z


@dataclass(frozen=True, eq=False)
class Traversal:
    """A decoded traversal grid."""

    dims: np.ndarray      # (rows,) the dimension each row walks
    values: np.ndarray    # (rows, steps) the values it takes
    codes: np.ndarray     # (rows * steps, L)
    mosaic: np.ndarray    # (rows * H, steps * W) decoded images, row-major


def traverse(model: VAE, point: np.ndarray, values: np.ndarray, dims: np.ndarray) -> Traversal:
    """Decode the traversal of `dims` (rows, e.g. LatentHealth.order) from `point` (L,)."""
    if np.asarray(point).size != model.config.latent_dim:
        raise ConfigError(f"the point must have {model.config.latent_dim} latent values, got {np.asarray(point).size}")
    codes = traversal_codes(point, values, dims)
    dims = np.asarray(dims, int).reshape(-1)
    steps = np.asarray(values).shape[1]
    mosaic = tile_images(model.decode(codes), model.config.image_shape, len(dims), steps)
    return Traversal(dims, np.asarray(values, np.float64)[dims], codes, mosaic)


def _check_steps(steps: int) -> None:
    if steps < 2:
        raise ConfigError(f"a traversal needs at least 2 steps, got {steps}")
