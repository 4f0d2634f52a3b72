"""A training run's time-lapse: cheap snapshots of what the map showed, and an animated GIF of them.

A snapshot keeps only what the map drew (the manifold as 8-bit pixels, at most MAX_SIDE pixels
on a side, the scatter's positions, the KL per dimension), never a copy of the model: a 20x20
manifold of 28x28 digits is 310 kB, 3,000 positions 24 kB; a 20x20 manifold of 64x64 colour
images is scaled from 1280 to 640 pixels, 1.2 MB.  Snapshots are due at a few points inside the
first epoch (where the map changes most) and at every epoch end; past `max_snapshots` or
`max_bytes` every other one is dropped and the schedule's stride doubles, so a long run keeps an
even record of bounded size (without the byte bound, 240 colour frames took 1.2 GB).
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .errors import ConfigError

FIRST_EPOCH_POINTS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75)   # fractions of the first epoch
MAX_SNAPSHOTS = 240
MAX_BYTES = 24 * 1024 ** 2
MAX_SIDE = 640                  # pixels: larger manifolds are kept scaled down (box filter)
DOT_COLOUR = (90, 170, 255)


@dataclass(frozen=True, eq=False)
class MapFrame:
    """What the map showed at one moment of training."""

    epoch: float                                # fractional epochs trained
    mosaic: np.ndarray                          # (h, w) or (h, w, 3) uint8 manifold
    extent: tuple[float, float, float, float]   # (amin, amax, bmin, bmax) the mosaic covers
    positions: np.ndarray                       # (n, 2) float32 scatter points on the map
    kl: np.ndarray                              # (L,) float32 KL per latent dimension
    plane: str = "slice"                        # "slice" or "projection"


def make_map_frame(epoch: float, mosaic: np.ndarray, extent: tuple[float, float, float, float],
                   positions: np.ndarray, kl: np.ndarray, plane: str = "slice") -> MapFrame:
    """A MapFrame from a manifold in [0, 1] (any float dtype), stored compactly as copies."""
    pixels = np.clip(np.asarray(mosaic, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    h, w = pixels.shape[:2]
    if max(h, w) > MAX_SIDE:                # the same extent, fewer pixels
        scale = MAX_SIDE / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.BOX))
    return MapFrame(float(epoch), pixels, tuple(float(e) for e in extent),
                    np.array(positions, np.float32), np.array(kl, np.float32), plane)


class TimeLapse:
    """The snapshots of one run, oldest first; labels (n,) of the scatter points are shared by all."""

    def __init__(self, labels: np.ndarray | None = None, max_snapshots: int = MAX_SNAPSHOTS,
                 max_bytes: int = MAX_BYTES) -> None:
        if max_snapshots < 4:
            raise ConfigError(f"a time-lapse keeps at least 4 snapshots, got {max_snapshots}")
        self.labels = labels
        self.max_snapshots = max_snapshots
        self.max_bytes = max_bytes
        self.stride = 1                       # epochs between snapshots after the first epoch
        self._snapshots: list[MapFrame] = []

    def __len__(self) -> int:
        return len(self._snapshots)

    def __getitem__(self, i: int) -> MapFrame:
        return self._snapshots[i]

    @property
    def nbytes(self) -> int:
        return sum(s.mosaic.nbytes + s.positions.nbytes + s.kl.nbytes for s in self._snapshots)

    def _slot(self, epoch: float) -> float:
        """The latest schedule point at or before `epoch` (-1 before the first)."""
        if epoch >= 1.0:
            return max(1.0, float(math.floor(epoch / self.stride) * self.stride))
        points = [p for p in FIRST_EPOCH_POINTS if p <= epoch]
        return points[-1] if points else -1.0

    def due(self, epoch: float, final: bool = False) -> bool:
        """Whether a snapshot at `epoch` reaches a schedule point the time-lapse has not recorded
        (final: the run's last state, due whenever it is newer than the last snapshot)."""
        if not self._snapshots:
            return True
        last = self._snapshots[-1].epoch
        return epoch > last if final else self._slot(epoch) > self._slot(last)

    def add(self, snapshot: MapFrame) -> None:
        """Append (a snapshot older than the last one first discards the later ones: a run that
        continues after a stop mid-epoch replaces what it retrains)."""
        self.discard_after(snapshot.epoch)
        self._snapshots.append(snapshot)
        while len(self._snapshots) > 2 and (len(self._snapshots) > self.max_snapshots or self.nbytes > self.max_bytes):
            self._snapshots = self._snapshots[:-1:2] + self._snapshots[-1:]   # first and last stay
            self.stride *= 2

    def discard_after(self, epoch: float) -> None:
        """Drop snapshots taken later than `epoch`."""
        while self._snapshots and self._snapshots[-1].epoch > epoch:
            self._snapshots.pop()

    def clear(self) -> None:
        self._snapshots.clear()
        self.stride = 1


def render_frame(snapshot: MapFrame, width: int = 400, colours: np.ndarray | None = None,
                 dot: int = 2) -> Image.Image:
    """The snapshot as an RGB picture: its manifold scaled to `width` pixels, the scatter drawn
    over it (colours (n, 3) uint8 per point, default one blue), and the epoch in a corner."""
    mosaic = snapshot.mosaic
    image = Image.fromarray(mosaic, "RGB" if mosaic.ndim == 3 else "L").convert("RGB")
    h, w = mosaic.shape[:2]
    height = max(1, round(width * h / w))
    image = image.resize((width, height), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    amin, amax, bmin, bmax = snapshot.extent
    pos = snapshot.positions.astype(np.float64)
    px = (pos[:, 0] - amin) / (amax - amin) * width
    py = (bmax - pos[:, 1]) / (bmax - bmin) * height
    inside = np.flatnonzero((px >= 0) & (px < width) & (py >= 0) & (py < height))
    for i in inside:
        fill = DOT_COLOUR if colours is None else tuple(int(c) for c in colours[i])
        draw.ellipse((px[i] - dot, py[i] - dot, px[i] + dot, py[i] + dot), fill=fill)
    caption = f"epoch {snapshot.epoch:.2f}"
    font = ImageFont.load_default(size=max(10, width // 28))
    left, top, right, bottom = draw.textbbox((6, 4), caption, font=font)
    draw.rectangle((left - 3, top - 2, right + 3, bottom + 2), fill=(0, 0, 0))
    draw.text((6, 4), caption, fill=(255, 255, 255), font=font)
    return image


def write_timelapse_gif(path: str | Path, timelapse: TimeLapse, colours: np.ndarray | None = None,
                        width: int = 400, frame_ms: int = 200, hold_last_ms: int = 2000) -> Path:
    """Write the time-lapse as a looping animated GIF, atomically (nothing is left on failure)."""
    if len(timelapse) == 0:
        raise ConfigError("there is no time-lapse to export yet: train a model first")
    frames = [render_frame(s, width, colours).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
              for s in timelapse]
    durations = [frame_ms] * (len(frames) - 1) + [hold_last_ms]
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:], duration=durations,
                           loop=0, disposal=1)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)      # mkstemp makes it 0600; an export gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
