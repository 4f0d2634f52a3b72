"""Limits on what is loaded and trained, checked before anything large is allocated.

Two kinds of limit: image sizes the models can train (the MLP's input layer has one weight per
pixel and hidden unit, so a side beyond MAX_SIDE is refused whatever the file says), and memory:
the bytes a data set or a training run will need are estimated from array headers and the
model's settings, and compared with the memory this machine has available, so an oversized
request is refused with the numbers instead of being killed by the kernel half-way through.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import ConfigError, DataError, EngineError
from .image_shape import ImageShape

MAX_SIDE = 512            # pixels: the largest image side the models train
MAX_CLASSES = 100_000     # labels are class indices below this (class names are made per index)
# Share of the available memory one request may take: the rest is for the GUI, the OS and
# the estimate's own error.
MEMORY_HEADROOM = 0.8
# float32 copies of the weights while training: params, grads, Adam's two moments and its
# scratch vector, and the snapshots the GUI explores while training goes on.
TRAINING_WEIGHT_COPIES = 7
# Work arrays per image row in a forward + backward pass, in units of the layer widths.
ACTIVATION_COPIES = 4


def check_image_shape(shape: ImageShape | tuple[int, ...], source: str) -> ImageShape:
    """The shape, if the models can train images of that size; DataError naming the limit if not."""
    try:
        shape = ImageShape.of(tuple(int(s) for s in shape))
    except ConfigError as exc:
        raise DataError(f"{source}: {exc}") from None
    if max(shape.height, shape.width) > MAX_SIDE:
        raise DataError(f"{source}: images of {shape.width}x{shape.height} pixels cannot be trained; "
                        f"each side must be at most {MAX_SIDE} pixels")
    return shape


def check_labels(labels: np.ndarray, source: str) -> np.ndarray:
    """The (n,) int64 labels, if every one is a class index below MAX_CLASSES; DataError if not."""
    if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < MAX_CLASSES:
        raise DataError(f"{source}: labels must be class indices from 0 to {MAX_CLASSES - 1:,}, "
                        f"found {int(labels.min()):,} to {int(labels.max()):,}")
    return labels


def dataset_bytes(n_images: int, shape: ImageShape, bytes_per_value: int) -> int:
    """Bytes of n images of this shape held at bytes_per_value (1 for uint8, 4 for float32)."""
    return int(n_images) * shape.size * int(bytes_per_value)


def training_bytes(n_params: int, input_dim: int, layer_widths: list[int], batch_rows: int,
                   data_bytes: int = 0) -> int:
    """Estimated peak bytes of training a float32 model, on top of its data set.

    layer_widths: every layer's output width (hidden, latent and output layers); batch_rows:
    the most images passed at once (a batch or an evaluation chunk); data_bytes: any
    converted copy of the data the trainer makes.
    """
    per_row = input_dim + ACTIVATION_COPIES * sum(layer_widths)
    return 4 * (TRAINING_WEIGHT_COPIES * int(n_params) + int(batch_rows) * per_row) + int(data_bytes)


def check_memory(need: int, what: str, error: type[EngineError] = DataError) -> None:
    """Raise `error` with the numbers if `need` bytes exceed what this machine can give (when
    known), e.g. "loading faces (60,000 images) needs about 23.4 GB of memory, but this machine
    has 7.9 GB available"."""
    have = available_memory()
    if have is None or need <= MEMORY_HEADROOM * have:
        return
    raise error(f"{what} needs about {_gb(need)} of memory, but this machine has {_gb(have)} available")


def available_memory() -> int | None:
    """Bytes that can be allocated without swapping: the smaller of the system's available memory
    and what is left under this process's cgroup limit; None if neither can be read."""
    found = [b for b in (_meminfo_available(), _cgroup_left()) if b is not None]
    return min(found) if found else None


def _meminfo_available() -> int | None:
    # /proc/meminfo's MemAvailable counts reclaimable caches; sysconf's free pages would not, so
    # it is only the fallback (where /proc is missing) and errs on the side of refusing.
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _cgroup_left() -> int | None:
    """Bytes left under a cgroup v2 memory limit (containers), None when unlimited or unknown."""
    try:
        cgroup = Path("/proc/self/cgroup").read_text().strip().splitlines()[0].split(":", 2)[2]
        base = Path("/sys/fs/cgroup") / cgroup.lstrip("/")
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((base / "memory.current").read_text()))
    except (OSError, ValueError, IndexError):
        return None


def _gb(n: int) -> str:
    return f"{n / 1024 ** 3:.1f} GB" if n >= 1024 ** 3 else f"{n / 1024 ** 2:.0f} MB"
