"""How atypical the model finds each image: the scores behind the ranking of a data set.

Scores (higher = more atypical), per image, in nats unless said otherwise:

- nll: the importance-weighted negative log-likelihood -log p(x), K samples (VAE.iwae_log_likelihood).
  It catches images too complex for the model (noise, faces, inverted digits), but a model finds
  simple images likely: an all-black image scores as more typical than most digits
  (Nalisnick et al. 2019).
- complexity: nll minus the image's losslessly compressed length in nats (PNG at level 9,
  Serra et al. 2020's S = -log p(x) - L(x)).  A simple image compresses to almost nothing, so
  it ranks blank, flat and two-tone images first; but noise and textures, long when
  compressed, fall to the typical end.
- recon: the reconstruction error, the mean squared pixel difference between x and decode(mu(x)).
- atypical (the default): both tails at once, max(z(nll), z(complexity)), with z the robust
  z-score (x - median) / (1.4826 MAD) over the images being ranked.  An image is flagged by
  whichever test it fails more strongly, in units of that score's own spread among the data;
  robust statistics, so the outliers do not widen the yardstick that should expose them.
  Measured in docs/your-images.md on 3,000 MNIST digits with 30 complex and 30 simple planted.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .codes_export import Cancelled, Progress, WorkCancelled, check_model_fits, dataset_rows, image_paths, stored_rows
from .data import Dataset
from .data.dataset import to_float
from .errors import ConfigError
from .image_shape import ImageShape
from .storage.atomic import write_atomically
from .vae import VAE

SCORES = ("atypical", "nll", "complexity", "recon")
DEFAULT_IW = 32           # importance samples: the ranking moves little beyond (docs/your-images.md)
MAX_IW = 10000
SCORE_CHUNK = 250         # images scored between two polls of `cancelled`
MAD_TO_SD = 1.4826        # MAD of a normal distribution times this is its standard deviation
NATS_PER_BYTE = 8 * np.log(2.0)


def compressed_nats(rows: np.ndarray, image_shape: ImageShape) -> np.ndarray:
    """Each image's PNG length (Pillow, compression level 9) in nats, (n,).

    rows (n, D) stored pixel rows (uint8, or float in [0, 1], rounded to 8 bits first).
    The PNG container's fixed overhead is counted too; it shifts every image alike.
    Cost: ~0.1-0.4 ms an image for 28x28 grey (a fifth of the ranking time at K = 32).
    """
    rows = np.asarray(rows)
    if rows.dtype != np.uint8:
        rows = np.clip(np.rint(to_float(rows) * 255.0), 0, 255).astype(np.uint8)
    h, w, c = image_shape
    mode = "RGB" if c == 3 else "L"
    out = np.empty(len(rows))
    buffer = io.BytesIO()
    for i, row in enumerate(rows):
        buffer.seek(0)
        buffer.truncate()
        pixels = row.reshape(h, w, c) if c == 3 else row.reshape(h, w)
        Image.fromarray(pixels, mode=mode).save(buffer, format="PNG", compress_level=9)
        out[i] = buffer.tell() * NATS_PER_BYTE
    return out


def robust_z(values: np.ndarray) -> np.ndarray:
    """(v - median) / (1.4826 MAD), the MAD floored so a constant score does not divide by zero."""
    values = np.asarray(values, np.float64)
    centre = np.median(values)
    mad = np.median(np.abs(values - centre)) * MAD_TO_SD
    scale = max(mad, 1e-9 * max(1.0, abs(centre)), 1e-12)
    return (values - centre) / scale


@dataclass(frozen=True, eq=False)
class ImageScores:
    """The per-image scores of n images, (n,) each: see the module doc."""

    nll: np.ndarray
    compressed: np.ndarray        # PNG length in nats
    recon: np.ndarray
    iw_samples: int

    @property
    def complexity(self) -> np.ndarray:
        """Serra et al.'s complexity-corrected score: nll - compressed length."""
        return self.nll - self.compressed

    @property
    def atypical(self) -> np.ndarray:
        return np.maximum(robust_z(self.nll), robust_z(self.complexity))

    def score(self, name: str) -> np.ndarray:
        """One score by name (SCORES), higher = more atypical."""
        if name not in SCORES:
            raise ConfigError(f"unknown score {name!r}; choose one of {', '.join(SCORES)}")
        return getattr(self, name)

    def order(self, name: str = "atypical") -> np.ndarray:
        """Image indices, most atypical first (ties: lower index first)."""
        return np.argsort(-self.score(name), kind="stable")


def score_images(model: VAE, rows: np.ndarray, iw: int = DEFAULT_IW, seed: int = 0,
                 cancelled: Cancelled | None = None, progress: Progress | None = None) -> ImageScores:
    """Every score of images rows (n, D) (stored uint8 or float), SCORE_CHUNK at a time.

    Cost (MLP 784-400-8, K = 32): ~2 ms an image, 10,000 images in ~20 s on two shared cores
    (benchmarks/bench_ranking.py).  Raises WorkCancelled when `cancelled`
    returns True between chunks; progress(done, total) after each chunk.
    """
    if not 1 <= iw <= MAX_IW:
        raise ConfigError(f"the number of importance samples must be from 1 to {MAX_IW}, got {iw}")
    rows = np.asarray(rows)
    n = len(rows)
    if n == 0:
        raise ConfigError("there are no images to score")
    rng = np.random.default_rng(seed)
    nll, compressed, recon = np.empty(n), np.empty(n), np.empty(n)
    max_rows = max(1, 20000 * 784 // model.config.input_dim)
    for s in range(0, n, SCORE_CHUNK):
        if cancelled is not None and cancelled():
            raise WorkCancelled("scoring cancelled")
        part = slice(s, min(n, s + SCORE_CHUNK))
        x = to_float(rows[part])
        nll[part] = -model.iwae_log_likelihood(x, iw, rng, max_rows=max_rows)
        recon[part] = ((model.reconstruct(x) - x) ** 2).mean(axis=1)
        compressed[part] = compressed_nats(rows[part], model.config.image_shape)
        if progress is not None:
            progress(part.stop, n)
    return ImageScores(nll, compressed, recon, iw)


@dataclass(frozen=True, eq=False)
class DatasetRanking:
    """A data set's images (rows: train, then test) scored and ordered.

    order (n,): rows, most atypical first by `score`; paths, labels, split, index as in
    codes_export.DataCodes.
    """

    scores: ImageScores
    score: str
    order: np.ndarray
    paths: list[str]
    labels: np.ndarray | None
    class_names: list[str] | None
    split: np.ndarray
    index: np.ndarray

    def values(self) -> np.ndarray:
        """The chosen score of every row (not reordered)."""
        return self.scores.score(self.score)

    def reorder(self, score: str) -> DatasetRanking:
        """The same scores ranked by another one (no recomputation)."""
        return DatasetRanking(self.scores, score, self.scores.order(score), self.paths, self.labels,
                              self.class_names, self.split, self.index)

    def rows(self, top: int | None = None) -> list[dict]:
        """The ranking as JSON-ready dicts, most atypical first: rank, path, label (class name or
        None), split, index, score, and every score's value."""
        values = self.values()
        out = []
        for rank, i in enumerate(self.order[:top]):
            label = None if self.labels is None else int(self.labels[i])
            name = None if label is None else (self.class_names[label] if self.class_names else str(label))
            out.append({"rank": rank + 1, "path": self.paths[i], "label": name, "split": str(self.split[i]),
                        "index": int(self.index[i]), "score": float(values[i]),
                        "nll": float(self.scores.nll[i]), "complexity": float(self.scores.complexity[i]),
                        "recon": float(self.scores.recon[i])})
        return out


RANKING_COLUMNS = ("rank", "path", "label", "split", "index", "score", "nll", "complexity", "recon")


def write_ranking_csv(path: str | Path, ranking: DatasetRanking, top: int | None = None) -> Path:
    """The ranking (its `top` rows, default all) as CSV with RANKING_COLUMNS, written atomically:
    the ranking panel's export."""
    text = io.StringIO()
    writer = csv.DictWriter(text, RANKING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "label": "" if row["label"] is None else row["label"]} for row in ranking.rows(top))
    payload = text.getvalue().encode("utf-8")
    return write_atomically(path, lambda f: f.write(payload))


def rank_dataset(model: VAE, data: Dataset, score: str = "atypical", iw: int = DEFAULT_IW, seed: int = 0,
                 cancelled: Cancelled | None = None, progress: Progress | None = None) -> DatasetRanking:
    """Score every image of `data` (train and test) and rank them by `score` (SCORES)."""
    if score not in SCORES:
        raise ConfigError(f"unknown score {score!r}; choose one of {', '.join(SCORES)}")
    check_model_fits(model, data)
    n = len(data.x_train) + len(data.x_test)
    scores = score_images(model, stored_rows(data, slice(0, n)), iw, seed, cancelled, progress)
    labels = None if data.y_train is None else np.concatenate([data.y_train, data.y_test])
    split, index = dataset_rows(data)
    return DatasetRanking(scores, score, scores.order(score), image_paths(data), labels, data.class_names,
                          split, index)
