"""The explorer's numbers, each checked against the maths computed directly: KL per dimension,
active units, the PCA plane, traversals, nearest neighbours and prior / posterior samples."""
from statistics import NormalDist

import numpy as np
import pytest

from engine import (
    VAE,
    ConfigError,
    PCAPlane,
    SlicePlane,
    VAEConfig,
    kl_per_dim,
    latent_health,
    nearest_neighbours,
    pca_plane,
    plane_grid_codes,
    plane_mosaic,
    posterior_samples,
    posterior_values,
    prior_samples,
    prior_values,
    tile_images,
    traverse,
)
from engine.losses import kl_divergence
from engine.manifold import plane_codes


def tiny_model(latent=3, seed=0):
    return VAE(VAEConfig(image_shape=(3, 4), hidden=(6,), latent_dim=latent), seed=seed, dtype=np.float64)


# ---------------------------------------------------------------- latent health
def test_kl_per_dim_is_the_closed_form_averaged_over_images():
    mu = np.array([[0.0, 1.0, -2.0], [0.0, -1.0, 0.5]])
    logvar = np.array([[0.0, np.log(4.0), -1.0], [0.0, 0.0, 0.3]])
    kl = kl_per_dim(mu, logvar)
    # by hand: KL(N(m, v) || N(0, 1)) = 0.5 (m^2 + v - 1 - ln v)
    d1 = 0.5 * ((1 + 4 - 1 - np.log(4.0)) + (1 + 1 - 1 - 0)) / 2
    assert kl[0] == 0.0
    assert kl[1] == pytest.approx(d1)
    assert kl[2] == pytest.approx(0.5 * ((4 + np.exp(-1) - 1 + 1) + (0.25 + np.exp(0.3) - 1 - 0.3)) / 2)
    # summed over dimensions it is the ELBO's KL term (losses.kl_divergence, per image) averaged
    assert kl.sum() == pytest.approx(kl_divergence(mu, logvar).mean())


def test_active_units_on_a_constructed_case():
    rng = np.random.default_rng(0)
    n = 4000
    mu = np.zeros((n, 5))
    mu[:, 0] = rng.normal(0, 1.0, n)        # variance 1: active
    mu[:, 2] = rng.normal(3, 0.2, n)        # variance 0.04: active, though off-centre
    mu[:, 3] = rng.normal(0, 0.05, n)       # variance 0.0025: inactive
    mu[:, 4] = 7.0                          # constant: inactive however large
    health = latent_health(mu, np.zeros_like(mu))
    np.testing.assert_allclose(health.mu_variance, mu.var(axis=0))
    assert health.active.tolist() == [True, False, True, False, False]
    assert health.summary == "2 of 5 active"
    assert "3 of 5 dimensions are unused" in health.warning()
    assert not health.collapsed
    assert health.order[0] == 4            # KL 24.5 from the constant 7 dominates
    assert list(health.order) == list(np.argsort(-health.kl, kind="stable"))


def test_collapse_is_reported_in_plain_language():
    mu = np.random.default_rng(1).normal(0, 0.01, (100, 4))
    health = latent_health(mu, np.full_like(mu, -1e-4))
    assert health.n_active == 0 and health.collapsed
    assert health.summary == "0 of 4 active"
    assert "Posterior collapse" in health.warning()
    fine = latent_health(np.random.default_rng(2).normal(0, 1, (100, 2)), np.full((100, 2), -3.0))
    assert fine.warning() is None and fine.summary == "2 of 2 active"


def test_latent_health_refuses_mismatched_shapes():
    with pytest.raises(ConfigError):
        latent_health(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ConfigError):
        latent_health(np.zeros((1, 2)), np.zeros((1, 2)))


# ---------------------------------------------------------------- planes
def test_pca_plane_matches_numpys_svd():
    rng = np.random.default_rng(3)
    mu = rng.normal(size=(500, 4)) * [3.0, 1.5, 0.5, 0.1] @ np.linalg.qr(rng.normal(size=(4, 4)))[0] + 2.0
    plane = pca_plane(mu)
    centred = mu - mu.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(plane.origin, mu.mean(axis=0))
    for i in range(2):      # the same directions up to sign, as unit vectors
        assert abs(plane.axes[i] @ vt[i]) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(plane.variances, s[:2] ** 2 / len(mu))
    assert plane.variances[0] > plane.variances[1]
    np.testing.assert_allclose(plane.explained, s[:2] ** 2 / (s ** 2).sum())
    # a map point is origin + a u1 + b u2, and projecting it back gives (a, b)
    ab = np.array([[1.0, -2.0], [0.0, 0.0]])
    np.testing.assert_allclose(plane.codes(ab), plane.origin + ab[:, :1] * vt[0] * np.sign(plane.axes[0] @ vt[0])
                               + ab[:, 1:] * vt[1] * np.sign(plane.axes[1] @ vt[1]))
    np.testing.assert_allclose(plane.coords(plane.codes(ab)), ab, atol=1e-12)
    # data codes land at their principal component scores
    np.testing.assert_allclose(np.abs(plane.coords(mu)), np.abs(centred @ vt[:2].T), atol=1e-10)


def test_pca_axes_keep_their_orientation_from_one_plane_to_the_next():
    rng = np.random.default_rng(4)
    mu = rng.normal(size=(300, 3)) * [2.0, 1.0, 0.1]
    first = pca_plane(mu)
    second = pca_plane(-mu + 0.01 * rng.normal(size=mu.shape), reference=first)   # same axes, flipped data
    assert first.axes[0] @ second.axes[0] > 0.99 and first.axes[1] @ second.axes[1] > 0.99


def test_slice_plane_holds_the_other_dimensions():
    plane = SlicePlane((2, 0), np.array([5.0, 6.0, 7.0]))
    z = plane.codes(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(z, [[2.0, 6.0, 1.0]])
    np.testing.assert_array_equal(plane.coords(z), [[1.0, 2.0]])
    # same codes as the plane grid the map has always used
    np.testing.assert_array_equal(plane_grid_codes(plane, 3, (-1, 1, -2, 2)),
                                  plane_codes(3, 3, (-1, 1, -2, 2), (2, 0), plane.base))
    with pytest.raises(ConfigError):
        SlicePlane((1, 1), np.zeros(3))
    with pytest.raises(ConfigError):
        SlicePlane((0, 3), np.zeros(3))


def test_plane_mosaic_decodes_the_planes_codes():
    model = tiny_model()
    plane = pca_plane(np.random.default_rng(5).normal(size=(50, 3)))
    mosaic = plane_mosaic(model, plane, 4, (-2, 2, -1, 1))
    expected = tile_images(model.decode(plane.codes(plane_codes(2, 4, (-2, 2, -1, 1)))), (3, 4), 4, 4)
    np.testing.assert_array_equal(mosaic, expected)
    assert isinstance(plane, PCAPlane) and plane.kind == "projection" and SlicePlane.kind == "slice"


# ---------------------------------------------------------------- traversals
def test_prior_range_is_equally_spaced_quantiles_over_the_central_95_percent():
    values = prior_values(3, 5)
    inv = NormalDist().inv_cdf
    np.testing.assert_allclose(values[1], [inv(p) for p in (0.025, 0.2625, 0.5, 0.7375, 0.975)])
    assert values.shape == (3, 5) and np.all(values[0] == values[2])


def test_posterior_range_is_two_sds_of_the_aggregate_posterior():
    rng = np.random.default_rng(6)
    mu = rng.normal([1.0, -2.0], [0.5, 2.0], (20000, 2))
    logvar = np.log(np.full_like(mu, 0.25))
    values = posterior_values(mu, logvar, 3)
    # sampling the aggregate posterior directly gives the same mean and spread
    z = mu + 0.5 * rng.standard_normal(mu.shape)
    np.testing.assert_allclose(values[:, 1], z.mean(axis=0), atol=0.05)
    np.testing.assert_allclose((values[:, 2] - values[:, 0]) / 4, z.std(axis=0), rtol=0.02)


def test_traversal_tiles_are_the_decodes_of_the_expected_codes():
    model = tiny_model()
    point = np.array([0.3, -0.7, 1.1])
    values = prior_values(3, 4)
    order = np.array([2, 0, 1])
    t = traverse(model, point, values, order)
    assert t.mosaic.shape == (3 * 3, 4 * 4)
    for row, d in enumerate(order):
        for col in range(4):
            code = point.copy()
            code[d] = values[d, col]
            tile = t.mosaic[row * 3:(row + 1) * 3, col * 4:(col + 1) * 4]
            np.testing.assert_allclose(tile, model.decode(code[None]).reshape(3, 4), atol=1e-12)
    np.testing.assert_array_equal(t.values, values[order])


# ---------------------------------------------------------------- neighbours and samples
def test_neighbours_match_a_brute_force_search():
    rng = np.random.default_rng(7)
    codes = rng.normal(size=(300, 4))
    query = rng.normal(size=4)
    found = nearest_neighbours(codes, query, k=8)
    brute = sorted(range(len(codes)), key=lambda i: (float(np.sqrt(((codes[i] - query) ** 2).sum())), i))[:8]
    assert found.indices.tolist() == brute
    np.testing.assert_allclose(found.distances, [np.linalg.norm(codes[i] - query) for i in brute])


def test_neighbours_break_ties_by_index_and_cap_k():
    codes = np.array([[1.0, 0], [0, 1.0], [-1.0, 0], [5.0, 5.0]])
    found = nearest_neighbours(codes, np.zeros(2), k=2)
    assert found.indices.tolist() == [0, 1]
    assert nearest_neighbours(codes, np.zeros(2), k=10).indices.tolist() == [0, 1, 2, 3]
    with pytest.raises(ConfigError):
        nearest_neighbours(codes, np.zeros(3))


def test_prior_samples_decode_standard_normal_codes():
    model = tiny_model()
    s = prior_samples(model, 6, np.random.default_rng(8))
    np.testing.assert_array_equal(s.z, np.random.default_rng(8).standard_normal((6, 3)))
    np.testing.assert_allclose(s.images, model.decode(s.z))


def test_posterior_samples_are_reparameterised_draws_with_their_eps():
    model = tiny_model()
    x = np.random.default_rng(9).random(12)
    s = posterior_samples(model, x, 5, np.random.default_rng(10))
    mu, logvar = model.encode(x[None])
    np.testing.assert_allclose(s.mu, mu[0])
    np.testing.assert_allclose(s.z, mu + np.exp(0.5 * logvar) * s.eps)
    np.testing.assert_array_equal(s.eps, np.random.default_rng(10).standard_normal((5, 3)))
    np.testing.assert_allclose(s.images, model.decode(s.z))
    with pytest.raises(ConfigError):
        posterior_samples(model, np.zeros(5), 3, np.random.default_rng(0))


def test_projected_ellipse_is_the_marginal_for_a_slice_and_the_projected_gaussian_for_pca():
    from engine import posterior_ellipse, projected_ellipse
    mu, logvar = np.array([0.5, -1.0, 2.0]), np.log(np.array([0.25, 4.0, 1.0]))
    s = SlicePlane((2, 0), np.zeros(3))
    outline = projected_ellipse(s, mu, logvar, 2.0, 400)
    # on the 2-sigma contour of the marginal of z[2], z[0]: the slice's ellipse is posterior_ellipse's
    np.testing.assert_allclose((outline[:, 0] - 2.0) ** 2 / 1.0 + (outline[:, 1] - 0.5) ** 2 / 0.25, 4.0)
    np.testing.assert_array_equal(outline, posterior_ellipse(mu, logvar, (2, 0), 2.0, 400))
    plane = pca_plane(np.random.default_rng(11).normal(size=(40, 3)) * [3, 2, 1])
    outline = projected_ellipse(plane, mu, logvar, 1.5, 400)
    cov = plane.axes @ np.diag(np.exp(logvar)) @ plane.axes.T
    d = outline - plane.coords(mu)[0]
    np.testing.assert_allclose(np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d), 1.5 ** 2)   # on the contour


def test_aggregate_extent_covers_the_data_by_the_law_of_total_variance():
    from engine import aggregate_extent
    rng = np.random.default_rng(12)
    mu = rng.normal([1.0, 0.0, -3.0], [2.0, 0.5, 1.0], (5000, 3))
    logvar = np.full_like(mu, np.log(0.5))
    amin, amax, bmin, bmax = aggregate_extent(SlicePlane((0, 2), np.zeros(3)), mu, logvar, sds=3.0)
    assert (amin + amax) / 2 == pytest.approx(mu[:, 0].mean())
    assert (amax - amin) / 6 == pytest.approx(np.sqrt(mu[:, 0].var() + 0.5))
    assert (bmax - bmin) / 6 == pytest.approx(np.sqrt(mu[:, 2].var() + 0.5))
    plane = pca_plane(mu)
    z = mu + np.sqrt(0.5) * rng.standard_normal(mu.shape)          # samples of q(z)
    ab = plane.coords(z)
    e = aggregate_extent(plane, mu, logvar, sds=1.0)
    assert (e[1] - e[0]) / 2 == pytest.approx(ab[:, 0].std(), rel=0.03)
    assert (e[3] - e[2]) / 2 == pytest.approx(ab[:, 1].std(), rel=0.03)
