"""Thumbnail thinning: no two drawn thumbnails overlap, the choice is stable while panning, more appear zoomed in."""
import numpy as np
import pytest

from engine.errors import ConfigError
from engine.thinning import ThumbnailLayout


def _overlaps(points, size):
    dx = np.abs(points[:, None, 0] - points[None, :, 0])
    dy = np.abs(points[:, None, 1] - points[None, :, 1])
    both = (dx < size[0]) & (dy < size[1])
    np.fill_diagonal(both, False)
    return int(both.sum())


@pytest.fixture
def layout():
    return ThumbnailLayout.of(np.random.default_rng(0).normal(0, 3, (3000, 2)), seed=1)


@pytest.mark.parametrize("size", [(2.0, 2.0), (0.5, 0.8), (0.1, 0.1)])
def test_no_two_drawn_thumbnails_overlap(layout, size):
    shown = layout.visible((-8, 8, -6, 6), size)
    assert len(shown) > 0 and len(set(shown)) == len(shown)
    assert _overlaps(layout.points[shown], size) == 0
    inside = layout.points[shown]
    assert np.all(np.abs(inside[:, 0]) <= 8 + size[0] / 2) and np.all(np.abs(inside[:, 1]) <= 6 + size[1] / 2)


def test_the_choice_is_greedy_by_priority(layout):
    shown = layout.visible((-8, 8, -6, 6), (1.0, 1.0))
    assert np.all(np.diff(layout.rank[shown]) > 0)                   # highest priority first
    best_in_view = min(np.flatnonzero((np.abs(layout.points[:, 0]) < 8) & (np.abs(layout.points[:, 1]) < 6)),
                       key=lambda i: layout.rank[i])
    assert best_in_view in shown
    # a point in view is left out only if it overlaps a drawn one or its grid cell holds a better one
    # (away from the edges: a point just outside the view may block one inside it, and is not drawn)
    drawn = layout.points[shown]
    cells = np.floor(layout.points / 1.0).astype(int)
    in_view = np.flatnonzero((np.abs(layout.points[:, 0]) < 6.5) & (np.abs(layout.points[:, 1]) < 4.5))
    for i in np.setdiff1d(in_view, shown):
        p = layout.points[i]
        overlaps = np.any((np.abs(drawn[:, 0] - p[0]) < 1.0) & (np.abs(drawn[:, 1] - p[1]) < 1.0))
        same_cell = np.all(cells == cells[i], axis=1)
        assert overlaps or layout.rank[same_cell].min() < layout.rank[i]


def test_panning_keeps_the_choice_away_from_the_edges(layout):
    size = (0.6, 0.6)
    a = set(layout.visible((-5, 5, -5, 5), size).tolist())
    b = set(layout.visible((-3, 7, -4, 6), size).tolist())
    core = [i for i, p in enumerate(layout.points) if -2 < p[0] < 4 and -3 < p[1] < 4]
    assert core and all((i in a) == (i in b) for i in core)


def test_more_appear_as_the_thumbnails_shrink(layout):
    counts = [len(layout.visible((-8, 8, -6, 6), (s, s))) for s in (2.0, 1.0, 0.5, 0.25)]
    assert counts == sorted(counts) and counts[-1] > 4 * counts[0]
    assert len(layout.visible((100, 110, 100, 110), (1.0, 1.0))) == 0


def test_a_given_priority_decides_who_wins():
    points = np.array([[0.0, 0.0], [0.3, 0.0], [5.0, 5.0]])
    assert list(ThumbnailLayout.of(points, priority=np.array([1.0, 2.0, 0.0])).visible((-1, 6, -1, 6), (1, 1))) == [1, 2]
    assert list(ThumbnailLayout.of(points, priority=np.array([2.0, 1.0, 0.0])).visible((-1, 6, -1, 6), (1, 1))) == [0, 2]


def test_bad_sizes_and_views_are_refused(layout):
    with pytest.raises(ConfigError, match="size"):
        layout.visible((-1, 1, -1, 1), (0.0, 1.0))
    with pytest.raises(ConfigError, match="view"):
        layout.visible((1, -1, -1, 1), (1.0, 1.0))
    with pytest.raises(ConfigError, match=r"\(n, 2\)"):
        ThumbnailLayout.of(np.zeros((3, 3)))
    assert len(layout.visible((-1e6, 1e6, -1e6, 1e6), (1e-3, 1e-3))) == 0    # sub-pixel thumbnails: none


def test_a_cell_whose_best_point_lost_still_draws_one_that_fits():
    # cell (0, 0) holds p1 and p2; q in the next cell outranks p1 and overlaps it, but not p2
    points = np.array([[1.5, 0.5], [0.9, 0.5], [0.1, 0.5]])          # q, p1, p2
    layout = ThumbnailLayout.of(points, priority=np.array([3.0, 2.0, 1.0]))
    assert list(layout.visible((0, 3, 0, 1), (1.0, 1.0))) == [0, 2]
