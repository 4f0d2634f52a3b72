"""A cache of decoded image folders, so opening the same folder again takes a moment.

One uncompressed .npz per (folder contents, resolution) in the user's cache directory, never in
the data folder.  The key hashes every file's relative path, size and modification time, so
adding, removing, touching or replacing any file makes a new entry; the old one ages out when
the cache grows past its limit.  Files are written atomically (temp file + os.replace) and read
with allow_pickle=False; a damaged or incomplete entry counts as a miss and is rewritten.
No locks are needed: two processes writing one entry write the same bytes, and on Windows, where
an entry open in another process can be neither replaced nor deleted, that write or prune
fails as an OSError the caller treats as a cache that only costs speed.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import PIL

CACHE_VERSION = 3            # bump when decoding changes, to orphan old entries (3: channels)
CACHE_LIMIT = 2 * 1024 ** 3  # bytes; least recently used entries go first beyond this
_KEYS = ("images", "stats", "file_index", "skipped_paths", "skipped_reasons")


def default_cache_dir() -> Path:
    """$LATENT_LAB_CACHE, else the platform's cache folder: %LOCALAPPDATA%\\LatentLab\\cache on
    Windows, ~/Library/Caches/LatentLab on macOS, $XDG_CACHE_HOME/latent-lab (default
    ~/.cache/latent-lab) elsewhere."""
    if os.environ.get("LATENT_LAB_CACHE"):
        return Path(os.environ["LATENT_LAB_CACHE"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "LatentLab" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "LatentLab"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "latent-lab"


def cache_key(files: list[str], sizes: np.ndarray, mtimes_ns: np.ndarray,
              shape: tuple[int, int], variant: str = "") -> str:
    """SHA-256 hex of everything the decoded result depends on (variant: the colour options).

    Inversion, split and seed are not in the key: they are applied after the cache, so changing
    them reuses the decoded images.
    """
    h = hashlib.sha256(f"latent-lab folder v{CACHE_VERSION} pillow {PIL.__version__} "
                       f"{shape[0]}x{shape[1]} {variant}\n".encode())
    for rel, size, mtime in zip(files, sizes.tolist(), mtimes_ns.tolist()):
        h.update(f"{rel}\t{size}\t{mtime}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def cache_path(cache_dir: Path, folder_name: str, key: str) -> Path:
    """File name readable by a person clearing the cache: folder name + key prefix."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in folder_name)[:40] or "folder"
    return cache_dir / f"{safe}-{key[:32]}.npz"


def read_cache(path: Path, shape: tuple[int, int], n_files: int) -> dict[str, np.ndarray] | None:
    """The arrays stored by write_cache, or None if absent, damaged or incomplete.

    shape: the (H, W) the entry's images (n, H, W, C) must have; n_files: how many files the scan found (every
    file_index points below it).  Any entry that does not read back whole and consistent is
    a miss, which the caller rewrites.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in _KEYS}
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - truncated zip, bad CRC, zlib error, damaged header: a miss
        return None
    images, stats, index = data["images"], data["stats"], data["file_index"]
    n = len(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:3] != tuple(shape) \
            or images.shape[3] not in (1, 3) or stats.shape != (n, 3) \
            or index.shape != (n,) or index.dtype.kind not in "ui" \
            or (n and (index.min() < 0 or index.max() >= n_files or np.any(np.diff(index) <= 0))) \
            or data["skipped_paths"].shape != data["skipped_reasons"].shape:
        return None
    try:
        os.utime(path)  # marks it recently used for pruning
    except OSError:
        pass
    return data


def write_cache(path: Path, images: np.ndarray, stats: np.ndarray, file_index: np.ndarray,
                skipped: list[tuple[str, str]]) -> None:
    """Store one decoded folder atomically; raises OSError if the cache is not writable.

    images (n, H, W, C) uint8, stats (n, 3) float32, file_index (n,) int64 into the scan's files,
    skipped: (relative path, reason) pairs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    paths = np.array([p for p, _ in skipped] or [""], dtype=str)[:len(skipped)]
    reasons = np.array([r for _, r in skipped] or [""], dtype=str)[:len(skipped)]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, images=images, stats=stats, file_index=file_index,
                     skipped_paths=paths, skipped_reasons=reasons)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    prune(path.parent, keep=path)


def prune(cache_dir: Path, keep: Path | None = None, limit: int = CACHE_LIMIT) -> None:
    """Delete least recently used entries until the cache is under `limit` bytes."""
    try:
        entries = [(e.stat().st_mtime, e.stat().st_size, Path(e.path)) for e in os.scandir(cache_dir)
                   if e.name.endswith(".npz") and not e.name.startswith(".")]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= limit:
            break
        if p != keep:
            try:
                p.unlink(missing_ok=True)
            except OSError:     # Windows: another process is reading that entry; it goes next time
                continue
            total -= size
