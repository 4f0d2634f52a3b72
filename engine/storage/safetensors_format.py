"""The .safetensors model format: weights as named tensors, our metadata as JSON in the header.

Tensors: every layer's weight and bias under the names of layout.py (PyTorch's [out, in]
layout), and the optimizer state as `optimizer.m`, `optimizer.w` (flat, in the order of the
engine's parameter vector) and `optimizer.t` (the step, int64).  The header's `__metadata__`
(string to string, as safetensors requires) holds the same JSON as an .npz file's `meta` under
the key `latent_lab`.  The header is parsed and checked here, sizes first, before the
safetensors library maps any tensor.
"""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError, safe_open

from ..errors import ModelFileError
from .schema import MAX_META_BYTES, parse_json

META_KEY = "latent_lab"
OPTIMIZER_PREFIX = "optimizer."
MAX_HEADER = 100 << 20          # the safetensors library's own limit
DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32, "U16": np.uint16,
          "U8": np.uint8, "BOOL": np.bool_}


def write(f: BinaryIO, tensors: dict[str, np.ndarray], meta_json: bytes,
          optimizer_state: dict[str, np.ndarray]) -> None:
    """Write named weights, the optimizer state and the metadata as one safetensors file into f."""
    arrays = dict(tensors)
    for key, value in optimizer_state.items():
        value = np.asarray(value)
        arrays[OPTIMIZER_PREFIX + key] = value.astype(np.int64) if value.ndim == 0 else value.astype(np.float32)
    f.write(safetensors.numpy.save(arrays, metadata={META_KEY: meta_json.decode("utf-8")}))


def looks_like(head: bytes, size: int) -> bool:
    """Whether a file starting with `head` (at least 9 bytes) of `size` bytes is a safetensors file:
    an 8-byte little-endian header length that fits in the file, then a JSON object."""
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= min(MAX_HEADER, size - 8) and head[8:9] == b"{"


class SafetensorsReader:
    """An open safetensors file: its header now, tensors on request.

    headers: tensor name -> (shape, dtype); meta: the `__metadata__` strings.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            size = path.stat().st_size
            if n > min(MAX_HEADER, size - 8):
                raise ModelFileError("a safetensors file that is truncated (its header runs past the end)")
            header = parse_json(f.read(n))
        meta = header.pop("__metadata__", None) or {}
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise ModelFileError("a safetensors file whose __metadata__ is not a map of strings")
        self.meta = meta
        self.headers = {}
        data_size = size - 8 - n
        for name, entry in header.items():
            self.headers[name] = self._entry(name, entry, data_size)

    @staticmethod
    def _entry(name: str, entry: object, data_size: int) -> tuple[tuple[int, ...], np.dtype]:
        ok = isinstance(entry, dict) and entry.get("dtype") in DTYPES and isinstance(entry.get("shape"), list) \
            and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2 ** 40 for s in entry["shape"]) \
            and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
        if not ok:
            if isinstance(entry, dict) and entry.get("dtype") == "BF16":
                raise ModelFileError(f"its tensor {name} is bfloat16, which NumPy cannot read; "
                                     f"save it as float32")
            raise ModelFileError(f"its tensor {name} has a malformed header entry")
        shape, dtype = tuple(entry["shape"]), np.dtype(DTYPES[entry["dtype"]])
        begin, end = entry["data_offsets"]
        need = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= data_size
                and end - begin == need):
            raise ModelFileError(f"its tensor {name} claims {need:,} bytes that the file does not hold; "
                                 f"it is truncated or damaged")
        return shape, dtype

    def read(self, names: list[str]) -> dict[str, np.ndarray]:
        """The named tensors as NumPy arrays (headers already checked)."""
        try:
            with safe_open(str(self.path), framework="np") as f:
                return {name: f.get_tensor(name) for name in names}
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelFileError(f"its tensors cannot be read ({exc})") from None

    def meta_json(self) -> bytes | None:
        """Our metadata's JSON bytes, or None if the file holds no Latent Lab metadata."""
        text = self.meta.get(META_KEY)
        if text is None:
            return None
        raw = text.encode("utf-8")
        if len(raw) > MAX_META_BYTES:
            raise ModelFileError("its metadata is larger than a model file's limit")
        return raw
