"""Latent health: how much each latent dimension is used, and whether the posterior has collapsed.

Two measures, both over a set of images' posteriors q(z|x) = N(mu, diag(exp(logvar))):

- KL per dimension: the mean over the images of KL(q(z_d|x) || N(0, 1)), in closed form,
  0.5 * (mu_d^2 + exp(logvar_d) - 1 - logvar_d).  Summed over d it is the KL term of the ELBO.
- Active units (Burda, Grosse & Salakhutdinov 2016, section 5.2): dimension d is active when
  the variance over the data of its posterior mean, Var_x(mu_d(x)), exceeds 0.01.  An inactive
  dimension gives every image the same code: the decoder cannot read anything from it.

Shapes: mu, logvar (n, L) for n images and L latent dimensions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

ACTIVE_THRESHOLD = 0.01     # Burda et al.'s threshold on Var_x(mu_d(x))
COLLAPSED_KL = 0.05         # nats per image: below this the codes say (almost) nothing about x


def kl_per_dim(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """Mean over the rows of KL(N(mu, exp(logvar)) || N(0, 1)) for each dimension, (L,) float64 nats."""
    mu, logvar = _posteriors(mu, logvar)
    return 0.5 * (mu * mu + np.exp(logvar) - 1.0 - logvar).mean(axis=0)


def mean_variance(mu: np.ndarray) -> np.ndarray:
    """Variance over the data of each dimension's posterior mean, Var_x(mu_d(x)), (L,) float64."""
    mu = np.asarray(mu, np.float64)
    if mu.ndim != 2 or len(mu) < 2:
        raise ConfigError(f"active units need the posterior means of at least 2 images, got shape {mu.shape}")
    return mu.var(axis=0)


@dataclass(frozen=True, eq=False)
class LatentHealth:
    """Per-dimension usage of a latent space, measured on a set of images."""

    kl: np.ndarray             # (L,) mean KL per dimension, nats
    mu_variance: np.ndarray    # (L,) Var_x(mu_d(x))
    threshold: float = ACTIVE_THRESHOLD

    @property
    def latent_dim(self) -> int:
        return len(self.kl)

    @property
    def active(self) -> np.ndarray:
        """(L,) bool: which dimensions are active units."""
        return self.mu_variance > self.threshold

    @property
    def n_active(self) -> int:
        return int(self.active.sum())

    @property
    def total_kl(self) -> float:
        return float(self.kl.sum())

    @property
    def order(self) -> np.ndarray:
        """Dimensions by KL, largest first (ties keep the lower index first), (L,) int."""
        return np.argsort(-self.kl, kind="stable")

    @property
    def collapsed(self) -> bool:
        """The posterior has collapsed: no active unit, or (almost) no information in the codes."""
        return self.n_active == 0 or self.total_kl < COLLAPSED_KL

    @property
    def summary(self) -> str:
        """For example "3 of 8 active"."""
        return f"{self.n_active} of {self.latent_dim} active"

    def warning(self) -> str | None:
        """A plain-language warning when the latent space is not being used, else None."""
        if self.collapsed:
            return ("Posterior collapse: the codes carry almost no information about the images "
                    f"(KL {self.total_kl:.2g} nats). The decoder is ignoring the latent space and "
                    "draws roughly the same image for every code. Training longer, a lower beta "
                    "or a KL warm-up can help.")
        unused = self.latent_dim - self.n_active
        if unused:
            return (f"{unused} of {self.latent_dim} dimensions are unused: every image gets the same "
                    "value there, so moving along them changes nothing.")
        return None


def latent_health(mu: np.ndarray, logvar: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> LatentHealth:
    """KL per dimension and active units of the posteriors of n >= 2 images.

    Parameters
    ----------
    mu, logvar : (n, L) posterior means and log-variances.
    threshold : a dimension is active when Var_x(mu_d) exceeds it.
    """
    mu, logvar = _posteriors(mu, logvar)
    return LatentHealth(kl_per_dim(mu, logvar), mean_variance(mu), threshold)


def _posteriors(mu: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    if mu.ndim != 2 or mu.shape != logvar.shape or len(mu) == 0:
        raise ConfigError(f"mu and logvar must both have shape (n, latent), got {mu.shape} and {logvar.shape}")
    return mu, logvar
