"""Which planted outliers does each atypicality score find, and how long does ranking take?

What it measures
----------------
1. Detection: a folder of 3,000 real MNIST digits (engine.load_mnist) with 30 planted "complex"
   outliers (10 uniform noise, 10 inverted digits, 10 synthetic textures: checkerboards,
   stripes, blobs) and 30 "simple" ones (8 blank, 8 flat grey, 8 two-tone halves, 6 single
   lines).  A VAE (MLP 400, latent 8) trains 8 epochs on the whole folder, outliers included,
   as a user's would; then every score ranks the 3,060 images and the table gives how many of
   each kind reach the top 60 and the top 72.
2. Time: a folder of --n (default 10,000) MNIST digits written as PNGs, loaded with
   engine.load_folder, then every engine call the GUI makes on it (ranking at K = 32, encoding,
   directions, mislabels, the neighbourhood map and its inverse, the CSV, thumbnail thinning),
   the best of a few runs each; and how far the map's inverse lands from the codes.

How to run
----------
From the repository root::

    python benchmarks/bench_ranking.py               # both parts
    python benchmarks/bench_ranking.py --skip-time   # the detection table only
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("digit", "complex", "simple")


def planted_outliers(digits: np.ndarray, rng: np.random.Generator, n_complex: int = 30,
                     n_simple: int = 30) -> tuple[np.ndarray, list[str]]:
    """(n_complex + n_simple, 784) uint8 outliers and their names, from real digits (n, 784) uint8.

    Complex: a third uniform noise, a third inverted digits, a third textures.  Simple: blank,
    flat grey, two-tone halves and single lines, in turn.
    """
    side = 28
    out, names = [], []
    yy, xx = np.mgrid[:side, :side]
    for i in range(n_complex):
        kind = i * 3 // n_complex
        if kind == 0:
            img, name = rng.integers(0, 256, (side, side)), "noise"
        elif kind == 1:
            img, name = 255 - digits[rng.integers(len(digits))].reshape(side, side), "inverted"
        else:
            period = int(rng.integers(2, 6))
            texture = i % 3
            if texture == 0:
                img = ((xx // period + yy // period) % 2) * 255
            elif texture == 1:
                img = (np.sin(2 * np.pi * (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1)) / period) > 0) * 255
            else:
                img = (rng.random((side // 4, side // 4)) > 0.5).repeat(4, 0).repeat(4, 1) * 255
            name = "texture"
        out.append(np.asarray(img, np.uint8).reshape(-1))
        names.append(name)
    for i in range(n_simple):
        kind = i % 4
        img = np.zeros((side, side), np.uint8)
        if kind == 1:
            img[:] = rng.integers(40, 216)
            name = "flat"
        elif kind == 2:
            a, b = rng.integers(0, 256, 2)
            img[:] = a
            if rng.random() < 0.5:
                img[:, side // 2:] = b
            else:
                img[side // 2:] = b
            name = "two-tone"
        elif kind == 3:
            at = int(rng.integers(4, side - 6))
            if rng.random() < 0.5:
                img[at:at + 2, 3:side - 3] = 255
            else:
                img[3:side - 3, at:at + 2] = 255
            name = "line"
        else:
            name = "blank"
        out.append(img.reshape(-1))
        names.append(name)
    return np.stack(out), names


def planted_dataset(n_digits: int = 3000, seed: int = 0, n_complex: int = 30, n_simple: int = 30):
    """(Dataset, kinds (n,) of "digit"/"complex"/"simple" for its rows train-then-test)."""
    from engine import Dataset, load_mnist
    rng = np.random.default_rng(seed)
    mnist = load_mnist()
    digits = mnist.x_train[:n_digits]
    outliers, _ = planted_outliers(mnist.x_train[n_digits:n_digits + 1000], rng, n_complex, n_simple)
    x = np.concatenate([digits, outliers])
    y = np.concatenate([mnist.y_train[:n_digits], np.zeros(len(outliers), np.int64)])
    kinds = np.array(["digit"] * n_digits + ["complex"] * n_complex + ["simple"] * n_simple)
    shuffle = rng.permutation(len(x))
    x, y, kinds = x[shuffle], y[shuffle], kinds[shuffle]
    n_test = len(x) // 10
    data = Dataset("planted", x[n_test:], y[n_test:], x[:n_test], y[:n_test], (28, 28),
                   [str(i) for i in range(10)])
    return data, np.concatenate([kinds[n_test:], kinds[:n_test]])


def train_model(data, latent: int = 8, epochs: int = 8, hidden: int = 400, seed: int = 0):
    from engine import VAE, TrainConfig, Trainer, VAEConfig
    model = VAE(VAEConfig(hidden=(hidden,), latent_dim=latent), seed=seed)
    for _ in Trainer(model, data, TrainConfig(epochs=epochs, batch_size=100, lr=1e-3, seed=seed), threads=1).run():
        pass
    return model


def detection_table(iw: int = 32) -> None:
    from engine.atypical import SCORES, rank_dataset
    data, kinds = planted_dataset()
    start = time.perf_counter()
    model = train_model(data)
    print(f"trained on {len(kinds):,} images in {time.perf_counter() - start:.1f} s")
    ranking = rank_dataset(model, data, iw=iw)
    n_complex, n_simple = int((kinds == "complex").sum()), int((kinds == "simple").sum())
    print("\n| score | complex in top 60 | simple in top 60 | complex in top 72 | simple in top 72 |")
    print("|---|---|---|---|---|")
    for score in SCORES:
        order = ranking.reorder(score).order
        cells = []
        for top in (60, 72):
            picked = kinds[order[:top]]
            cells += [f"{(picked == 'complex').sum()}/{n_complex}", f"{(picked == 'simple').sum()}/{n_simple}"]
        print(f"| {score} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    blank = np.flatnonzero(kinds == "simple")
    nll = ranking.scores.nll
    typical = kinds == "digit"
    worst_simple = max(float((nll[typical] > nll[i]).mean()) for i in blank)
    print(f"\nraw NLL: the most typical-looking simple outlier is more typical than "
          f"{100 * worst_simple:.0f}% of the digits")


def _timed(label: str, call, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    unit = f"{best * 1e3:.2f} ms" if best < 1 else f"{best:.2f} s"
    print(f"| {label} | {unit} |")
    return result


def timing(n: int, iw: int = 32) -> None:
    """Each engine call the GUI makes, on a folder of n MNIST PNGs and a model of latent 8."""
    from PIL import Image

    from engine import load_folder, load_mnist
    from engine.atypical import rank_dataset
    from engine.codes_export import encode_dataset, map_coordinates, write_codes_csv
    from engine.directions import build_direction, class_groups, edit_strip
    from engine.embedding import nearest, neighbourhood_map
    from engine.mislabels import find_mislabels
    from engine.thinning import ThumbnailLayout
    mnist = load_mnist()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "digits"
        for i in range(n):
            folder = root / str(int(mnist.y_train[i]))
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mnist.x_train[i].reshape(28, 28)).save(folder / f"{i:05d}.png")
        model = train_model(mnist.subset(3000, 100), epochs=8)
        print(f"\n| call, {n:,} images of 28x28, MLP 400, latent 8 | time |\n|---|---|")
        start = time.perf_counter()
        data = _timed("load_folder (cold: decode + cache)", lambda: load_folder(root, cache_dir=Path(tmp) / "cache").dataset)
        _timed(f"rank_dataset, score atypical, K={iw} (all scores)", lambda: rank_dataset(model, data, iw=iw))
        whole = time.perf_counter() - start
        codes = _timed("encode_dataset", lambda: encode_dataset(model, data), 3)
        a, b, _ = class_groups(codes.labels, codes.class_names, "7", "1")
        _timed("build_direction mean", lambda: build_direction("d", codes.mu, codes.logvar, a, b, "mean"), 3)
        d = _timed("build_direction logistic", lambda: build_direction("d", codes.mu, codes.logvar, a, b, "logistic"), 3)
        _timed("edit_strip, 7 steps", lambda: edit_strip(model, data.x_test[0], d, 7, 3.0), 5)
        _timed("find_mislabels k=10", lambda: find_mislabels(codes.mu, codes.labels, k=10), 3)
        nmap = _timed("neighbourhood_map", lambda: neighbourhood_map(codes.mu), 2)
        _timed("NeighbourhoodMap.codes, one click", lambda: nmap.codes(nmap.points[:1]), 5)
        _timed("NeighbourhoodMap.coords, one new image", lambda: nmap.coords(codes.mu[:1]), 5)
        xy, _ = map_coordinates(codes, "pca")
        _timed("write_codes_csv", lambda: write_codes_csv(Path(tmp) / "codes.csv", codes, xy), 3)
        thumbs = ThumbnailLayout.of(nmap.points)
        lo, hi = nmap.points.min(axis=0), nmap.points.max(axis=0)
        for frac in (1.0, 0.25):
            centre = (lo + hi) / 2
            half = (hi - lo) / 2 * frac
            view = (centre[0] - half[0], centre[0] + half[0], centre[1] - half[1], centre[1] + half[1])
            size = (2 * half[0] / 25, 2 * half[1] / 25)      # a 48-pixel thumbnail on a 1200-pixel map
            shown = _timed(f"ThumbnailLayout.visible, view {frac:g} of the map", lambda: thumbs.visible(view, size), 50)
            print(f"|   ({len(shown)} thumbnails drawn) | |")
        from engine.planes import pca_plane
        latent_nn, _ = nearest(codes.mu, None, 15)
        for name, points in (("neighbourhood map", nmap.points), ("PCA plane", pca_plane(codes.mu).coords(codes.mu))):
            map_nn, _ = nearest(points, None, 15)
            kept = np.mean([len(np.intersect1d(latent_nn[i], map_nn[i])) / 15 for i in range(len(map_nn))])
            votes = codes.labels[map_nn[:, :10]]
            right = np.mean([np.bincount(v).argmax() == y for v, y in zip(votes, codes.labels)])
            print(f"{name}: keeps {100 * kept:.0f}% of the 15 latent neighbours; a 10-neighbour vote recovers the "
                  f"class of {100 * right:.0f}%")
        back = nmap.codes(nmap.points)
        _, nn = nearest(codes.mu, None, 1)
        error = np.linalg.norm(back - codes.mu, axis=1)
        print(f"\nload + rank of {n:,} PNGs: {whole:.1f} s")
        print(f"inverse of the neighbourhood map: median |z - codes(points(z))| = {np.median(error):.3f}, "
              f"{np.median(error) / np.median(nn[:, 0]):.2f} x the median nearest-neighbour distance "
              f"({np.median(nn[:, 0]):.3f}); 90th percentile {np.percentile(error, 90) / np.median(nn[:, 0]):.2f} x; "
              f"the codes' RMS distance from their mean {np.sqrt(((codes.mu - codes.mu.mean(0)) ** 2).sum(1).mean()):.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10000, help="images in the timed folder (default 10,000)")
    p.add_argument("--iw", type=int, default=32, help="importance samples K (default 32)")
    p.add_argument("--skip-time", action="store_true", help="only the detection table")
    p.add_argument("--skip-table", action="store_true", help="only the timing")
    a = p.parse_args()
    if not a.skip_table:
        detection_table(a.iw)
    if not a.skip_time:
        timing(a.n, a.iw)


if __name__ == "__main__":
    main()
