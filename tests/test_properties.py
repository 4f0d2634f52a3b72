"""Property-based tests (hypothesis): invariants that must hold for every input, not just chosen ones."""
import os
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.extra.numpy import arrays

from engine import losses
from engine.data.splits import split_indices
from engine.parallel import split_ranges

# Tests write only under pytest's temporary folders, but hypothesis writes to ./.hypothesis: its
# example database (off here) and, while the tests are being collected (before any fixture
# runs), a cache of the constants in our source.  Its home is set, on import, under the null
# device, where every write fails; hypothesis treats these files as a cache and goes on.
settings.register_profile("latent-lab", database=None)
settings.load_profile("latent-lab")
set_hypothesis_home_dir(Path(os.devnull) / "hypothesis")


finite32 = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
unit32 = st.floats(0.0, 1.0, width=32)


@given(st.integers(0, 100_000), st.integers(1, 8))
def test_split_ranges_cover_every_index_once_in_order(n, parts):
    slices = split_ranges(n, parts)
    covered = np.concatenate([np.arange(n)[s] for s in slices]) if slices else np.arange(0)
    np.testing.assert_array_equal(covered, np.arange(n))
    assert len(slices) <= parts and all(s.stop > s.start for s in slices)
    assert all(s.start % 16 == 0 for s in slices)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, (3, 7), elements=finite32), arrays(np.float32, (3, 7), elements=unit32))
def test_bernoulli_loss_is_finite_nonnegative_and_its_two_forms_agree(logits, x):
    per_image = losses.bernoulli_nll(logits, x)
    grad = np.empty_like(logits)
    total = losses.bernoulli_nll_total(logits, x, grad, 0.5, losses.BernoulliScratch.for_shape(logits.shape, logits.dtype))
    assert np.all(np.isfinite(per_image)) and np.all(per_image >= -1e-3)
    assert np.isclose(total, per_image.sum(), rtol=1e-5, atol=1e-2)
    # the gradient is 0.5 * (sigmoid(l) - x): finite and within [-0.5, 0.5]
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 0.5 + 1e-6)
    with np.errstate(over="ignore"):                  # exp(1e4) is inf: sigmoid 0, as it should be
        expected = 0.5 * (1.0 / (1.0 + np.exp(-logits.astype(np.float64))) - x)
    np.testing.assert_allclose(grad, expected, atol=1e-6)


@given(arrays(np.float64, (2, 3), elements=st.floats(-30, 30)),
       arrays(np.float64, (2, 3), elements=st.floats(-20, 20)))
def test_kl_is_never_negative(mu, logvar):
    assert np.all(losses.kl_divergence(mu, logvar) >= -1e-9)


@given(st.lists(st.integers(0, 4), min_size=2, max_size=300), st.floats(0.0, 0.9), st.integers(0, 2 ** 31))
def test_split_is_a_seeded_partition_with_a_test_image_and_a_train_image(labels, fraction, seed):
    labels = np.array(labels)
    train, test = split_indices(len(labels), labels, fraction, seed)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)))
    assert len(test) >= 1 and len(train) >= 1
    again = split_indices(len(labels), labels, fraction, seed)
    np.testing.assert_array_equal(again[1], test)
    # stratified: every class's test share is within one image of its proportional share
    for c in np.unique(labels):
        members = np.sum(labels == c)
        assert abs(np.sum(labels[test] == c) - members * len(test) / len(labels)) < 1.0 + 1e-9
