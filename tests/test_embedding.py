"""The neighbourhood map: neighbours, fuzzy weights, a layout that keeps clusters, and its inverse."""
import numpy as np
import pytest

from engine.codes_export import WorkCancelled
from engine.embedding import fuzzy_graph, memberships, nearest, neighbourhood_map
from engine.errors import ConfigError
from engine.planes import pca_plane


def _clusters(n_per=150, dims=10, k=6, seed=0, shared=12.0):
    """k Gaussian clusters in `dims` dimensions, all with the same large spread along two shared
    directions, so the PCA plane shows that spread and mixes the clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (k, dims))
    centres[:, :2] = 0
    labels = np.repeat(np.arange(k), n_per)
    z = centres[labels] + rng.normal(size=(k * n_per, dims)) * 0.5
    z[:, :2] += rng.normal(0, shared, (k * n_per, 2))
    return z, labels


def _knn_accuracy(points, labels, k=10):
    idx, _ = nearest(points, None, k)
    votes = labels[idx]
    return float((np.array([np.bincount(v).argmax() for v in votes]) == labels).mean())


def test_nearest_matches_brute_force_and_leaves_each_point_out():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 5))
    idx, dist = nearest(z, None, 7)
    full = np.linalg.norm(z[:, None] - z[None], axis=2)
    np.fill_diagonal(full, np.inf)
    assert np.array_equal(idx, np.argsort(full, axis=1)[:, :7])
    assert np.allclose(dist, np.sort(full, axis=1)[:, :7])
    q_idx, _ = nearest(z, z[:3], 1)
    assert list(q_idx[:, 0]) == [0, 1, 2]


def test_memberships_sum_to_log2_k_and_the_graph_is_their_fuzzy_union():
    d = np.sort(np.random.default_rng(0).random((50, 15)), axis=1)
    w = memberships(d)
    assert np.allclose(w.sum(axis=1), np.log2(15), rtol=1e-6) and np.all(w[:, 0] == 1.0)
    idx = np.array([[1], [0], [0]])
    a, b, weights = fuzzy_graph(idx, np.array([[0.5], [0.4], [0.2]]))
    assert list(zip(a, b)) == [(0, 1), (0, 2)]
    assert np.allclose(weights, [0.5 + 0.4 - 0.2, 0.2])


def test_the_map_keeps_clusters_that_the_pca_plane_mixes():
    z, labels = _clusters()
    result = neighbourhood_map(z, epochs=150)
    assert result.points.shape == (len(z), 2)
    assert _knn_accuracy(result.points, labels) > 0.9 and _knn_accuracy(z, labels) > 0.95
    assert _knn_accuracy(pca_plane(z).coords(z), labels) < 0.3


def test_the_inverse_lands_near_the_code_a_point_came_from():
    z, labels = _clusters(seed=1)
    result = neighbourhood_map(z, epochs=150)
    back = result.codes(result.points)
    error = np.linalg.norm(back - z, axis=1)
    _, nn = nearest(z, None, 1)
    spread = np.linalg.norm(z - z.mean(axis=0), axis=1)
    assert np.median(error) < 3 * np.median(nn[:, 0]) and np.median(error) < 0.2 * np.median(spread)
    # and decodes inside the right cluster: the nearest code to the inverse has the same label
    nearest_code, _ = nearest(z, back, 1)
    assert (labels[nearest_code[:, 0]] == labels).mean() > 0.95


def test_above_max_points_the_rest_are_placed_among_their_neighbours():
    z, labels = _clusters(n_per=100, shared=6.0)
    result = neighbourhood_map(z, epochs=100, max_points=300)
    assert len(result.reference) == 300 and result.points.shape == (600, 2)
    assert _knn_accuracy(result.points, labels) > 0.95
    assert np.allclose(result.coords(result.reference[:5]), result.coords(result.reference[:5]))


def test_the_map_can_be_cancelled_and_checks_its_input():
    z, _ = _clusters(n_per=20)
    epochs = []
    with pytest.raises(WorkCancelled):
        neighbourhood_map(z, epochs=50, cancelled=lambda: len(epochs) >= 3, progress=lambda d, t: epochs.append(d))
    assert epochs == [1, 2, 3]
    with pytest.raises(ConfigError, match="at least 3"):
        neighbourhood_map(z[:2])
    with pytest.raises(ConfigError, match="finite"):
        neighbourhood_map(np.full((10, 3), np.nan))
    with pytest.raises(ConfigError, match=r"\(n, 2\)"):
        neighbourhood_map(z, epochs=5).codes(np.zeros((2, 3)))
