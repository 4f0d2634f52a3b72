"""The atypicality scores on a generated folder: real digits with planted complex and simple outliers."""
import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.bench_ranking import planted_outliers, train_model
from engine import ImageShape, load_folder, load_mnist
from engine.atypical import ImageScores, compressed_nats, rank_dataset, robust_z, score_images, write_ranking_csv
from engine.codes_export import WorkCancelled
from engine.errors import ConfigError

N_DIGITS, N_COMPLEX, N_SIMPLE = 1000, 12, 12


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """(dataset, model, kinds by path): 1,000 MNIST digits in class folders and 24 planted outliers
    saved as PNGs in class 0's folder, loaded with load_folder, and a VAE trained on all of it."""
    root = tmp_path_factory.mktemp("planted") / "digits"
    mnist = load_mnist()
    rng = np.random.default_rng(0)
    outliers, names = planted_outliers(mnist.x_train[N_DIGITS:], rng, N_COMPLEX, N_SIMPLE)
    kinds = {}
    for i in range(N_DIGITS):
        folder = root / str(int(mnist.y_train[i]))
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mnist.x_train[i].reshape(28, 28)).save(folder / f"{i:04d}.png")
    for i, (pixels, name) in enumerate(zip(outliers, names)):
        kind = "complex" if i < N_COMPLEX else "simple"
        path = root / "0" / f"planted_{kind}_{name}_{i}.png"
        Image.fromarray(pixels.reshape(28, 28)).save(path)
        kinds[str(path)] = kind
    data = load_folder(root, cache_dir=root.parent / "cache", workers=1).dataset
    assert not load_folder(root, cache_dir=root.parent / "cache", workers=1).inverted
    model = train_model(data, latent=8, epochs=6, hidden=200)
    return data, model, kinds


def _found(ranking, kinds, score, top):
    order = ranking.reorder(score).order[:top]
    picked = [kinds.get(ranking.paths[i], "digit") for i in order]
    return picked.count("complex"), picked.count("simple")


def test_the_default_score_finds_both_kinds_of_planted_outlier(planted):
    data, model, kinds = planted
    ranking = rank_dataset(model, data, iw=8)
    top = N_COMPLEX + N_SIMPLE
    complex_found, simple_found = _found(ranking, kinds, "atypical", top)
    assert complex_found >= N_COMPLEX - 1 and simple_found >= N_SIMPLE - 2
    # each textbook score misses one kind, which is why the default combines them
    assert _found(ranking, kinds, "nll", top)[1] <= N_SIMPLE - 3
    assert _found(ranking, kinds, "complexity", top)[0] <= N_COMPLEX - 3
    assert _found(ranking, kinds, "nll", top)[0] >= N_COMPLEX - 1
    assert _found(ranking, kinds, "complexity", top)[1] >= N_SIMPLE - 1


def test_ranking_covers_train_and_test_with_paths_labels_and_descending_scores(planted):
    data, model, kinds = planted
    ranking = rank_dataset(model, data, score="nll", iw=2)
    rows = ranking.rows()
    assert len(rows) == len(data.x_train) + len(data.x_test) == N_DIGITS + N_COMPLEX + N_SIMPLE
    assert {r["split"] for r in rows} == {"train", "test"}
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(Path(r["path"]).is_file() for r in rows)
    planted_row = next(r for r in rows if r["path"] in kinds)
    assert planted_row["label"] == "0"           # the class folder the planted file sits in
    digit = next(r for r in rows if r["path"] not in kinds)
    assert Path(digit["path"]).parent.name == digit["label"]


def test_compressed_length_orders_blank_digit_noise():
    mnist = load_mnist()
    blank = np.zeros((1, 784), np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (1, 784)).astype(np.uint8)
    nats = compressed_nats(np.concatenate([blank, mnist.x_train[:1], noise]), ImageShape(28, 28, 1))
    assert nats[0] < nats[1] < nats[2]
    assert nats[2] > 784 * np.log(256) * 0.95        # noise does not compress
    # float rows are rounded to 8 bits first: the same lengths
    assert np.array_equal(compressed_nats(mnist.x_train[:3] / np.float32(255), ImageShape(28, 28, 1)),
                          compressed_nats(mnist.x_train[:3], ImageShape(28, 28, 1)))


def test_robust_z_ignores_the_outliers_it_should_expose():
    values = np.r_[np.random.default_rng(0).normal(0, 1, 1000), [50.0] * 20]
    z = robust_z(values)
    assert z[-1] > 40                                  # a standard z-score would give ~7
    assert np.isfinite(robust_z(np.ones(10))).all()


def test_atypical_is_the_larger_tail_of_nll_and_complexity():
    scores = ImageScores(nll=np.array([80.0, 90, 100, 85, 400, 40]), compressed=np.array([1500.0, 1600, 1700, 1550, 4000, 300]),
                         recon=np.zeros(6), iw_samples=1)
    order = scores.order("atypical")
    assert set(order[:2]) == {4, 5}                    # the too-complex and the too-simple image
    assert scores.order("nll")[-1] == 5 and scores.order("complexity")[0] == 5


def test_scoring_can_be_cancelled_and_checks_its_arguments(planted):
    data, model, _ = planted
    calls = []
    with pytest.raises(WorkCancelled):
        score_images(model, data.x_train, iw=2, cancelled=lambda: len(calls) > 0, progress=lambda d, t: calls.append(d))
    assert calls == [250]
    with pytest.raises(ConfigError, match="importance samples"):
        score_images(model, data.x_train[:5], iw=0)
    with pytest.raises(ConfigError, match="unknown score"):
        rank_dataset(model, data, score="weird")


def test_the_ranking_exports_as_csv_in_its_order(planted, tmp_path):
    data, model, _ = planted
    ranking = rank_dataset(model, data, iw=1)
    path = write_ranking_csv(tmp_path / "ranking.csv", ranking, top=10)
    rows = list(csv.DictReader(path.open()))
    assert [r["path"] for r in rows] == [ranking.paths[i] for i in ranking.order[:10]]
    assert [float(r["score"]) for r in rows] == [float(ranking.values()[i]) for i in ranking.order[:10]]
    assert rows[0]["rank"] == "1" and set(rows[0]) >= {"label", "nll", "complexity", "recon"}
