"""`decode`: latent codes to images (the decoder's means in [0, 1]) in a .npy, for scripts.

The codes are an (n, L) .npy, or an .npz from `encode` (its mu, or the array named by --key);
the images are float32 (n, H, W) for grey models and (n, H, W, C) for colour ones, the same
numbers as VAE.decode and decoder.onnx.  The codes' shape and type are checked from the file's
header before anything is read, and their values before anything is decoded.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..limits import check_memory
from ..storage import load_model
from ..storage.atomic import write_atomically
from .common import CliError, add_model_argument

NAME = "decode"
CHUNK = 1024


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(NAME, help="decode latent codes (.npy, or encode's .npz) to images (.npy)")
    add_model_argument(d)
    d.add_argument("--codes", type=Path, required=True, help="(n, L) codes: a .npy, or an .npz from encode")
    d.add_argument("--key", default=None, help="the array of an .npz to decode (default: mu, or its only array)")
    d.add_argument("--out", type=Path, required=True, help="the .npy file of images to write")


def read_codes(path: Path, latent_dim: int, key: str | None = None) -> np.ndarray:
    """(n, latent_dim) float32 codes from a .npy or .npz, shape and values checked; CliError if not."""
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
                name = key or ("mu" if "mu" in names else names[0] if len(names) == 1 else None)
                if name not in names:
                    raise CliError(f"{path}: name the array to decode with --key (it holds {', '.join(names)})")
                codes = archive[name]
        else:
            codes = np.load(path, mmap_mode="r", allow_pickle=False)    # the header only, so far
    except (OSError, ValueError, EOFError) as exc:
        raise CliError(f"{path}: not a readable .npy or .npz file ({exc})") from None
    if codes.dtype.kind not in "fiu":
        raise CliError(f"{path}: codes must be numbers, not {codes.dtype}")
    if codes.ndim == 1 and codes.size == latent_dim:
        codes = codes[None]
    if codes.ndim != 2 or codes.shape[1] != latent_dim or len(codes) == 0:
        raise CliError(f"{path}: codes must have shape (n, {latent_dim}) for this model, got {codes.shape}")
    codes = np.asarray(codes, np.float32)
    if not np.all(np.isfinite(codes)):
        raise CliError(f"{path}: the codes contain NaN or infinite values")
    return codes


def run(a: argparse.Namespace) -> int:
    if a.out.suffix.lower() != ".npy":
        raise CliError(f"--out {a.out}: the images are written as .npy")
    saved = load_model(a.model)
    model = saved.model
    h, w, c = model.config.image_shape
    shape = (h, w) + ((c,) if c > 1 else ())
    codes = read_codes(a.codes, model.config.latent_dim, a.key)
    check_memory(len(codes) * h * w * c * 4, f"decoding {len(codes):,} images")
    images = np.empty((len(codes),) + shape, np.float32)
    for s in range(0, len(codes), CHUNK):
        chunk = model.decode(codes[s:s + CHUNK])
        images[s:s + len(chunk)] = chunk.reshape((len(chunk),) + shape)
    write_atomically(a.out, lambda f: np.save(f, images))
    print(f"wrote {a.out}: {len(images):,} images of {'x'.join(str(v) for v in shape)}", file=sys.stderr)
    return 0
