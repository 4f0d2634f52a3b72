"""Attribute directions: building, keeping others fixed, the spread, editing real digits, saving with the model."""
import json
import zipfile

import numpy as np
import pytest

from benchmarks.bench_ranking import train_model
from engine import load_mnist, load_model, save_model
from engine.codes_export import encode_dataset
from engine.directions import (
    Direction,
    DirectionSet,
    aggregate_spread,
    build_direction,
    class_groups,
    edit_codes,
    edit_strip,
    logistic_normal,
    mean_difference,
    orthogonalise,
)
from engine.errors import ConfigError, ModelFileError


@pytest.fixture(scope="module")
def digits():
    """2,000 MNIST digits and a VAE (latent 8) trained 6 epochs on them."""
    data = load_mnist().subset(2000, 300)
    return data, train_model(data, latent=8, epochs=6, hidden=200)


def _pixel_classifier(x_a, x_b, steps=300, lr=0.5):
    """p(B | pixels): a logistic regression on real images, fitted here by gradient descent."""
    x = np.concatenate([x_a, x_b]).astype(np.float64)
    y = np.r_[np.zeros(len(x_a)), np.ones(len(x_b))]
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= lr * (x.T @ (p - y) / len(y) + 1e-3 * w)
        b -= lr * float((p - y).mean())
    return lambda images: 1 / (1 + np.exp(-(np.asarray(images, np.float64) @ w + b)))


@pytest.mark.parametrize("method", ["mean", "logistic"])
def test_moving_a_seven_towards_one_makes_a_classifier_see_a_one(digits, method):
    data, model = digits
    codes = encode_dataset(model, data)
    a, b, source = class_groups(codes.labels, codes.class_names, "7", "1")
    assert source == "7 -> 1"
    direction = build_direction("7 to 1", codes.mu, codes.logvar, a, b, method)
    seven, one = data.train_float(data.y_train == 7), data.train_float(data.y_train == 1)
    p_one = _pixel_classifier(seven, one)
    sevens = data.test_float(data.y_test == 7)[:20]
    before = p_one(np.stack([edit_strip(model, x, direction, 3, 3.0).images[1] for x in sevens]))
    after = p_one(np.stack([edit_strip(model, x, direction, 3, 3.0).images[2] for x in sevens]))
    back = p_one(np.stack([edit_strip(model, x, direction, 3, 3.0).images[0] for x in sevens]))
    assert after.mean() > 0.8 and before.mean() < 0.3 and back.mean() < before.mean() + 0.05
    assert (after > before).mean() >= 0.9


def test_keeping_directions_fixed_makes_the_new_one_orthogonal(digits):
    data, model = digits
    codes = encode_dataset(model, data)
    thick = build_direction("0 to 8", codes.mu, codes.logvar, *class_groups(codes.labels, None, "0", "8")[:2])
    slant = build_direction("2 to 3", codes.mu, codes.logvar, *class_groups(codes.labels, None, "2", "3")[:2])
    a, b, _ = class_groups(codes.labels, None, "7", "rest")
    free = build_direction("7", codes.mu, codes.logvar, a, b, "logistic")
    kept = build_direction("7 | fixed", codes.mu, codes.logvar, a, b, "logistic", keep=[thick, slant])
    assert abs(free.vector @ thick.vector) > 0.05                # there was something to remove
    assert abs(kept.vector @ thick.vector) < 1e-12 and abs(kept.vector @ slant.vector) < 1e-12
    assert kept.keep == ("0 to 8", "2 to 3") and np.isclose(np.linalg.norm(kept.vector), 1.0)
    # moving along it leaves the projections on the kept directions where they were
    moved = edit_codes(codes.mu[a[0]], kept, np.array([-3.0, 3.0]))
    assert np.allclose(moved @ thick.vector, codes.mu[a[0]] @ thick.vector)


def test_orthogonalise_refuses_a_direction_inside_the_kept_span():
    with pytest.raises(ConfigError, match="span"):
        orthogonalise(np.array([1.0, 1.0, 0.0]), [np.array([1.0, 0, 0]), np.array([0, 1.0, 0])])


def test_logistic_normal_finds_the_separating_direction_and_converges():
    rng = np.random.default_rng(0)
    true = np.array([3.0, -1.0, 0.5, 0.0]) / np.linalg.norm([3.0, -1.0, 0.5, 0.0])
    z = rng.normal(size=(4000, 4)) * np.array([1.0, 3.0, 3.0, 3.0])    # wide nuisance spread
    side = z @ true > 0.2
    w, bias, converged = logistic_normal(z[~side], z[side], l2=1e-4)
    assert converged and (w / np.linalg.norm(w)) @ true > 0.99
    # the mean difference is pulled by the anisotropic spread; the classifier is not
    v = mean_difference(z[~side], z[side])
    assert (v / np.linalg.norm(v)) @ true < (w / np.linalg.norm(w)) @ true
    assert ((z @ w + bias > 0) == side).mean() > 0.98


def test_the_spread_is_the_aggregate_posteriors_standard_deviation_along_the_direction():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(500, 3)), rng.normal(-1, 0.3, size=(500, 3))
    v = np.array([0.6, 0.0, 0.8])
    samples = mu[None] + np.exp(0.5 * logvar)[None] * rng.standard_normal((400, 500, 3))
    assert aggregate_spread(v, mu, logvar) == pytest.approx((samples @ v).std(), rel=0.01)
    d = build_direction("x", mu, logvar, np.arange(250), np.arange(250, 500))
    strip_t = np.array([-3.0, 0.0, 3.0])
    assert np.allclose(np.linalg.norm(edit_codes(mu[0], d, strip_t) - mu[0], axis=1), 3 * d.spread * np.abs(strip_t) / 3)


def test_a_collection_adds_lists_replaces_and_deletes():
    s = DirectionSet()
    s.add(Direction("thick", [1, 0, 0], 1.0))
    s.add(Direction("slant", [0, 1, 0], 2.0, "logistic"))
    assert s.names() == ["thick", "slant"] and len(s) == 2
    with pytest.raises(ConfigError, match="exists"):
        s.add(Direction("thick", [0, 0, 1], 1.0))
    s.add(Direction("thick", [0, 0, 1], 1.0), replace=True)
    assert s.get("thick").vector[2] == 1.0 and s.names() == ["thick", "slant"]
    with pytest.raises(ConfigError, match="4-D direction"):
        s.add(Direction("big", [1, 0, 0, 0], 1.0))
    assert s.delete("thick").name == "thick" and s.names() == ["slant"]
    with pytest.raises(ConfigError, match="no direction named"):
        s.get("thick")
    with pytest.raises(ConfigError):
        Direction("zero", [0, 0, 0], 1.0)


def test_class_groups_name_missing_classes_and_need_labels():
    labels = np.array([0, 1, 2, 1])
    a, b, _ = class_groups(labels, ["cat", "dog", "owl"], "dog", "rest")
    assert list(a) == [1, 3] and list(b) == [0, 2]
    with pytest.raises(ConfigError, match="no class named 'emu'"):
        class_groups(labels, ["cat", "dog", "owl"], "emu", "dog")
    with pytest.raises(ConfigError, match="unlabelled"):
        class_groups(None, None, "a", "b")


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_directions_are_saved_with_the_model_in_both_formats(digits, tmp_path, ext):
    data, model = digits
    directions = DirectionSet()
    directions.add(Direction("thick", np.arange(1.0, 9.0), 1.5, "mean", "0 -> 8"))
    directions.add(Direction("seven", -np.arange(8.0) - 1, 0.7, "logistic", "7 -> rest", ("thick",)))
    path = save_model(tmp_path / f"m.{ext}", model, dataset=data, directions=directions)
    opened = load_model(path)
    assert opened.directions.names() == ["thick", "seven"]
    for saved, read in zip(directions, opened.directions):
        assert np.array_equal(saved.vector, read.vector) and saved.spread == read.spread
        assert (saved.method, saved.source, saved.keep) == (read.method, read.source, read.keep)
    again = load_model(save_model(tmp_path / f"again.{ext}", opened.model, source=opened))
    assert again.directions.names() == ["thick", "seven"]            # re-saving keeps them
    plain = load_model(save_model(tmp_path / f"plain.{ext}", model, dataset=data))
    assert len(plain.directions) == 0
    # no array is added, so readers that predate directions pass their shape checks
    if ext == "npz":
        with zipfile.ZipFile(path) as z:
            assert sorted(z.namelist()) == sorted(zipfile.ZipFile(tmp_path / "plain.npz").namelist())


def test_a_damaged_directions_entry_is_named(digits, tmp_path):
    data, model = digits
    path = save_model(tmp_path / "m.npz", model, dataset=data)
    with np.load(path) as f:
        arrays = dict(f)
    meta = json.loads(arrays["meta"].tobytes())
    meta["directions"] = [{"name": "x", "vector": [1.0, float("nan")] + [0.0] * 6, "spread": 1.0}]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match=r"directions\[0\]\.vector"):
        load_model(tmp_path / "bad.npz")
