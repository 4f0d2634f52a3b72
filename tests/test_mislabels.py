"""Likely mislabels: planted label swaps in a generated folder are found, with the right suggestion."""
import numpy as np
import pytest
from PIL import Image

from benchmarks.bench_ranking import train_model
from engine import load_folder, load_mnist
from engine.codes_export import encode_dataset
from engine.errors import ConfigError
from engine.mislabels import find_mislabels

N_SWAPPED = 12


def test_swapped_labels_in_clusters_are_all_found_with_their_true_label():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (3, 6))
    true = np.repeat(np.arange(3), 100)
    mu = centres[true] + rng.normal(size=(300, 6))
    labels = true.copy()
    swapped = rng.choice(300, 9, replace=False)
    labels[swapped] = (true[swapped] + 1) % 3
    found = find_mislabels(mu, labels, k=10)
    assert set(found.rows) == set(swapped)
    assert np.array_equal(found.suggested, true[found.rows]) and np.all(found.agreement >= 0.9)
    assert np.all(found.labels == labels[found.rows]) and np.all(np.diff(found.agreement) <= 0)


@pytest.fixture(scope="module")
def swapped_folder(tmp_path_factory):
    """600 MNIST digits of classes 0, 1, 7 in class folders, 12 of them filed under a wrong class."""
    root = tmp_path_factory.mktemp("swaps") / "digits"
    mnist = load_mnist()
    keep = np.flatnonzero(np.isin(mnist.y_train, [0, 1, 7]))[:600]
    rng = np.random.default_rng(1)
    swaps = set(rng.choice(len(keep), N_SWAPPED, replace=False).tolist())
    truth = {}
    for j, i in enumerate(keep):
        label = int(mnist.y_train[i])
        filed = {0: 1, 1: 7, 7: 0}[label] if j in swaps else label
        folder = root / str(filed)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{i:05d}.png"
        Image.fromarray(mnist.x_train[i].reshape(28, 28)).save(path)
        truth[str(path)] = (str(label), j in swaps)
    data = load_folder(root, cache_dir=root.parent / "cache", workers=1).dataset
    return data, truth


def test_planted_swaps_in_a_folder_are_found_by_a_briefly_trained_model(swapped_folder):
    data, truth = swapped_folder
    model = train_model(data, latent=4, epochs=20, hidden=128)
    codes = encode_dataset(model, data)
    found = find_mislabels(codes.mu, codes.labels, k=10)
    flagged = {codes.paths[r]: codes.label_name(int(s)) for r, s in zip(found.rows, found.suggested)}
    swapped = [p for p, (_, was_swapped) in truth.items() if was_swapped]
    # (nearly) every swap found, with its true class suggested
    assert sum(flagged.get(p) == truth[p][0] for p in swapped) >= N_SWAPPED - 1
    assert len(found) <= 0.1 * len(codes)                        # and few others (MNIST has its ambiguous 1s and 7s)
    top = [codes.paths[r] for r in found.rows[:N_SWAPPED + 3]]
    assert sum(truth[p][1] for p in top) >= N_SWAPPED - 3
    assert found.k == 10 and np.all(found.agreement >= 0.5)


def test_mislabels_check_their_input():
    mu = np.zeros((4, 2))
    with pytest.raises(ConfigError, match="unlabelled"):
        find_mislabels(mu, None)
    with pytest.raises(ConfigError, match="two classes"):
        find_mislabels(mu, np.zeros(4, int))
    with pytest.raises(ConfigError, match="neighbours"):
        find_mislabels(mu, np.array([0, 1, 0, 1]), k=0)
    with pytest.raises(ConfigError, match="do not match"):
        find_mislabels(mu, np.array([0, 1]))
