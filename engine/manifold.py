"""Pictures of the latent space: decoded grids over a plane, and image mosaics."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .errors import ConfigError
from .image_shape import ImageShape
from .vae import VAE


def tile_images(images: np.ndarray, image_shape: ImageShape | tuple[int, ...], rows: int, cols: int) -> np.ndarray:
    """(rows*cols, H*W*C) images -> one mosaic, image 0 at the top left, row-major.

    The mosaic is (rows*H, cols*W) for grey images and (rows*H, cols*W, 3) for colour ones.
    """
    h, w, c = ImageShape.of(tuple(int(v) for v in image_shape))
    if images.shape[0] != rows * cols:
        raise ConfigError(f"{images.shape[0]} images do not fill a {rows}x{cols} mosaic")
    mosaic = images.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    return mosaic[..., 0] if c == 1 else mosaic


def plane_codes(latent_dim: int, n: int, extent: tuple[float, float, float, float],
                dims: tuple[int, int] = (0, 1), base: np.ndarray | None = None) -> np.ndarray:
    """n*n latent codes spread evenly over extent = (xmin, xmax, ymin, ymax) in latent dims `dims`.

    Cell centres are used, so the mosaic's pixels line up with the extent.  Row 0 is the highest y
    (the top of a picture); other dimensions take `base` (or 0).  Returns (n*n, latent_dim).
    """
    if latent_dim < 2 and dims[1] != dims[0]:
        raise ConfigError("a latent plane needs at least two latent dimensions")
    xmin, xmax, ymin, ymax = extent
    xs = xmin + (np.arange(n) + 0.5) * (xmax - xmin) / n
    ys = ymax - (np.arange(n) + 0.5) * (ymax - ymin) / n
    z = np.zeros((n * n, latent_dim)) if base is None else np.tile(np.asarray(base, float), (n * n, 1))
    z[:, dims[0]] = np.tile(xs, n)
    z[:, dims[1]] = np.repeat(ys, n)
    return z


def latent_plane(model: VAE, n: int, extent: tuple[float, float, float, float] = (-3, 3, -3, 3),
                 dims: tuple[int, int] = (0, 1), base: np.ndarray | None = None) -> np.ndarray:
    """Decode an n x n grid over a rectangle of the latent plane into one mosaic (n*H, n*W[, 3])."""
    z = plane_codes(model.config.latent_dim, n, extent, dims, base)
    return tile_images(model.decode(z), model.config.image_shape, n, n)


def manifold_grid(model: VAE, n: int = 20, rng: np.random.Generator | None = None) -> np.ndarray:
    """Kingma & Welling's figure: for a 2-D latent space, z at the inverse normal CDF of an evenly
    spaced grid in (0, 1), so each cell holds equal prior mass.  With more dimensions, n*n samples
    from the prior (rng, default seeded)."""
    L = model.config.latent_dim
    if L == 2:
        inv = NormalDist().inv_cdf
        q = np.array([inv((i + 0.5) / n) for i in range(n)])
        z = np.stack([np.tile(q, n), np.repeat(q[::-1], n)], axis=1)
        images = model.decode(z)
    else:
        images = model.sample(n * n, rng or np.random.default_rng(0))
    return tile_images(images, model.config.image_shape, n, n)


def interpolate(z_start: np.ndarray, z_end: np.ndarray, steps: int = 10) -> np.ndarray:
    """`steps` latent codes on the straight line from z_start to z_end, both ends included."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1.0 - t) * np.asarray(z_start, float) + t * np.asarray(z_end, float)


def posterior_ellipse(mu: np.ndarray, logvar: np.ndarray, dims: tuple[int, int] = (0, 1),
                      k: float = 1.0, points: int = 64) -> np.ndarray:
    """(points, 2) outline of the k-sigma ellipse of a diagonal Gaussian posterior in the plane `dims`."""
    std = np.exp(0.5 * np.asarray(logvar, float))
    t = np.linspace(0.0, 2.0 * np.pi, points)
    return np.stack([mu[dims[0]] + k * std[dims[0]] * np.cos(t), mu[dims[1]] + k * std[dims[1]] * np.sin(t)], axis=1)
