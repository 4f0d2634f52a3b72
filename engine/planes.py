"""Planes through the latent space that the 2-D map shows: axis-aligned slices and the PCA projection.

A plane maps a point (a, b) of the map to a latent code and back:

- SlicePlane: a = z[dims[0]], b = z[dims[1]]; every other dimension is held at `base`.  The
  map is a slice through the latent space, exact for codes lying in it.
- PCAPlane: z = origin + a * u1 + b * u2, with origin the mean of a set of posterior means and
  u1, u2 their first two principal directions (unit vectors, u1 with the larger variance).
  Codes off the plane are placed by orthogonal projection, (a, b) = U (z - origin): the map is
  a projection, and decoding a point of it decodes the code on the plane, not the original.

Both are affine, z = origin + (a, b) @ axes, and answer the same calls, so the manifold,
clicks, hover, drops, posterior ellipses and interpolation use one plane object.
Shapes: ab (n, 2) map points; z (n, L) latent codes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .manifold import plane_codes, posterior_ellipse, tile_images
from .vae import VAE


@dataclass(frozen=True, eq=False)
class SlicePlane:
    """The plane of latent dimensions dims = (horizontal, vertical), the others held at base (L,)."""

    dims: tuple[int, int]
    base: np.ndarray

    kind = "slice"

    def __post_init__(self) -> None:
        base = np.array(self.base, np.float64).reshape(-1)
        object.__setattr__(self, "base", base)
        L = len(base)
        dx, dy = (int(d) for d in self.dims)
        object.__setattr__(self, "dims", (dx, dy))
        if not (0 <= dx < L and 0 <= dy < L):
            raise ConfigError(f"latent dimensions {self.dims} do not exist in a {L}-D latent space")
        if dx == dy and L > 1:
            raise ConfigError("the map's two axes must show different latent dimensions")

    @property
    def latent_dim(self) -> int:
        return len(self.base)

    @property
    def axis_names(self) -> tuple[str, str]:
        return f"z[{self.dims[0]}]", f"z[{self.dims[1]}]"

    @property
    def axes(self) -> np.ndarray:
        """(2, L) the unit vectors of the two shown dimensions."""
        return np.eye(self.latent_dim)[list(self.dims)]

    def codes(self, ab: np.ndarray) -> np.ndarray:
        """Latent codes (n, L) of map points ab (n, 2).  (A 1-D space shows z[0] on both axes;
        the vertical coordinate wins, as in plane_codes.)"""
        ab = _points(ab)
        z = np.tile(self.base, (len(ab), 1))
        z[:, self.dims[0]] = ab[:, 0]
        z[:, self.dims[1]] = ab[:, 1]
        return z

    def coords(self, z: np.ndarray) -> np.ndarray:
        """Map points (n, 2) of latent codes z (n, L): their two shown coordinates."""
        return _codes(z, self.latent_dim)[:, list(self.dims)]


@dataclass(frozen=True, eq=False)
class PCAPlane:
    """z = origin + a * axes[0] + b * axes[1]; axes (2, L) orthonormal rows, variances (2,) along them."""

    origin: np.ndarray
    axes: np.ndarray
    variances: np.ndarray
    explained: np.ndarray      # (2,) share of the total variance of the means along each axis

    kind = "projection"

    @property
    def latent_dim(self) -> int:
        return len(self.origin)

    @property
    def axis_names(self) -> tuple[str, str]:
        return tuple(f"PC{i + 1} ({100 * e:.0f}% of variance)" for i, e in enumerate(self.explained))

    def codes(self, ab: np.ndarray) -> np.ndarray:
        """Latent codes (n, L) of map points ab (n, 2): origin + a u1 + b u2."""
        return self.origin + _points(ab) @ self.axes

    def coords(self, z: np.ndarray) -> np.ndarray:
        """Map points (n, 2) of codes z (n, L): their orthogonal projection onto the plane."""
        return (_codes(z, self.latent_dim) - self.origin) @ self.axes.T


def pca_plane(mu: np.ndarray, reference: PCAPlane | None = None) -> PCAPlane:
    """The plane of the first two principal components of posterior means mu (n, L), n >= 2, L >= 2.

    Signs of principal directions are arbitrary; each axis is oriented to agree with `reference`
    (the plane shown before, so a live map does not flip as the model trains) or else so that
    its largest component is positive.
    """
    mu = np.asarray(mu, np.float64)
    if mu.ndim != 2 or mu.shape[1] < 2:
        raise ConfigError(f"a PCA plane needs at least two latent dimensions, got codes of shape {mu.shape}")
    if len(mu) < 2 or not np.all(np.isfinite(mu)):
        raise ConfigError("a PCA plane needs the finite posterior means of at least 2 images")
    origin = mu.mean(axis=0)
    centred = mu - origin
    _, s, vt = np.linalg.svd(centred, full_matrices=False)    # s descending, vt (min(n, L), L)
    if len(vt) < 2:
        raise ConfigError("a PCA plane needs at least 2 images")
    axes = vt[:2].copy()
    for i in range(2):
        if reference is not None and reference.latent_dim == mu.shape[1]:
            flip = axes[i] @ reference.axes[i] < 0
        else:
            flip = axes[i][np.argmax(np.abs(axes[i]))] < 0
        if flip:
            axes[i] = -axes[i]
    variances = s[:2] ** 2 / len(mu)
    total = float((s ** 2).sum())
    explained = variances * len(mu) / total if total > 0 else np.zeros(2)
    return PCAPlane(origin, axes, variances, explained)


def projected_ellipse(plane: SlicePlane | PCAPlane, mu: np.ndarray, logvar: np.ndarray, k: float = 1.0,
                      points: int = 64) -> np.ndarray:
    """(points, 2) outline on the map of the k-sigma ellipse of N(mu, diag(exp(logvar))) projected
    onto the plane: the marginal of the two shown dimensions for a slice, and for a projection
    the Gaussian of (a, b) = U (z - origin), covariance U diag(var) U^T."""
    if isinstance(plane, SlicePlane):
        return posterior_ellipse(mu, logvar, plane.dims, k, points)
    centre = plane.coords(mu)[0]
    cov = (plane.axes * np.exp(np.asarray(logvar, np.float64))) @ plane.axes.T     # (2, 2)
    evals, evecs = np.linalg.eigh(cov)
    t = np.linspace(0.0, 2.0 * np.pi, points)
    circle = np.stack([np.cos(t), np.sin(t)])                                      # (2, points)
    return centre + (k * evecs @ (np.sqrt(np.maximum(evals, 0.0))[:, None] * circle)).T


def aggregate_extent(plane: SlicePlane | PCAPlane, mu: np.ndarray, logvar: np.ndarray,
                     sds: float = 3.0) -> tuple[float, float, float, float]:
    """(amin, amax, bmin, bmax): where the data is on the map, the mean +- `sds` standard
    deviations of the aggregate posterior q(z) = mean_x q(z|x) projected onto the plane.

    mu, logvar (n, L): the posteriors of the images.  q(z) has covariance Cov_x(mu) +
    diag(E_x[exp(logvar)]) (law of total covariance).
    """
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    if mu.ndim != 2 or mu.shape != logvar.shape or len(mu) == 0:
        raise ConfigError(f"mu and logvar must both have shape (n, latent), got {mu.shape} and {logvar.shape}")
    centre = plane.coords(mu.mean(axis=0))[0]
    centred = mu - mu.mean(axis=0)
    spread = centred @ plane.axes.T                                              # (n, 2)
    var = (spread ** 2).mean(axis=0) + (np.exp(logvar) @ (plane.axes ** 2).T).mean(axis=0)
    half = sds * np.sqrt(np.maximum(var, 1e-12))
    return (float(centre[0] - half[0]), float(centre[0] + half[0]),
            float(centre[1] - half[1]), float(centre[1] + half[1]))


def plane_grid_codes(plane: SlicePlane | PCAPlane, n: int, extent: tuple[float, float, float, float]) -> np.ndarray:
    """n*n latent codes at the cell centres of extent = (amin, amax, bmin, bmax) on the plane,
    row 0 at the top (highest b), row-major: (n*n, L)."""
    return plane.codes(plane_codes(2, n, extent))


def plane_mosaic(model: VAE, plane: SlicePlane | PCAPlane, n: int,
                 extent: tuple[float, float, float, float]) -> np.ndarray:
    """The decoded manifold over extent on the plane, one mosaic of n x n images."""
    return tile_images(model.decode(plane_grid_codes(plane, n, extent)), model.config.image_shape, n, n)


def _points(ab: np.ndarray) -> np.ndarray:
    ab = np.asarray(ab, np.float64)
    if ab.ndim == 1:
        ab = ab[None]
    if ab.ndim != 2 or ab.shape[1] != 2:
        raise ConfigError(f"map points must have shape (n, 2), got {ab.shape}")
    return ab


def _codes(z: np.ndarray, latent_dim: int) -> np.ndarray:
    z = np.asarray(z, np.float64)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ConfigError(f"latent codes must have shape (n, {latent_dim}), got {z.shape}")
    return z
