"""Latent pictures: mosaics keep images whole and in order; planes put high y at the top."""
from statistics import NormalDist

import numpy as np
import pytest

from engine import VAE, VAEConfig, interpolate, latent_plane, manifold_grid, plane_codes, tile_images


def test_tile_images_places_each_image_whole_row_major():
    images = np.arange(6)[:, None] * np.ones((6, 6))         # image k is all k, shape 2x3
    mosaic = tile_images(images, (2, 3), rows=2, cols=3)
    assert mosaic.shape == (4, 9)
    assert mosaic[0, 0] == 0 and mosaic[0, 3] == 1 and mosaic[2, 0] == 3 and mosaic[3, 8] == 5


def test_plane_codes_span_cell_centres_with_high_y_on_top():
    z = plane_codes(3, 2, extent=(-2, 2, -1, 1), dims=(2, 0), base=np.array([9.0, 9.0, 9.0]))
    np.testing.assert_allclose(z, [[0.5, 9, -1], [0.5, 9, 1], [-0.5, 9, -1], [-0.5, 9, 1]])


def test_latent_plane_equals_decoding_each_code():
    model = VAE(VAEConfig(image_shape=(2, 2), hidden=(5,), latent_dim=2), seed=1)
    mosaic = latent_plane(model, 3, extent=(-1, 1, -1, 1))
    images = model.decode(plane_codes(2, 3, (-1, 1, -1, 1))).reshape(9, 2, 2)
    np.testing.assert_array_equal(mosaic[2:4, 2:4], images[4])   # centre cell, z = (0, 0)
    np.testing.assert_array_equal(mosaic[0:2, 4:6], images[2])   # top right, z = (2/3, 2/3)


def test_manifold_grid_uses_the_inverse_normal_cdf():
    model = VAE(VAEConfig(image_shape=(1, 1), hidden=(4,), latent_dim=2), seed=2)
    mosaic = manifold_grid(model, 4)
    corner = NormalDist().inv_cdf(0.125)
    assert mosaic.shape == (4, 4)
    assert mosaic[0, 0] == pytest.approx(model.decode(np.array([[corner, -corner]]))[0, 0], abs=1e-6)


def test_interpolation_includes_both_ends():
    path = interpolate(np.array([0.0, 0.0]), np.array([1.0, -2.0]), steps=5)
    np.testing.assert_allclose(path[[0, 2, 4]], [[0, 0], [0.5, -1], [1, -2]])
