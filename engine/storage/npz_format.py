"""The .npz model format: `params` (flat float32 weights), `opt_*` (optimizer state) and `meta`
(UTF-8 JSON as a uint8 array), in an uncompressed zip written by np.savez.

Reading looks at every member's .npy header (shape and dtype) before reading any data, so the
caller can compare the shapes with the architecture first; object arrays are refused outright
and nothing is ever unpickled.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ModelFileError
from .schema import MAX_META_BYTES

MAGIC = (b"PK\x03\x04", b"PK\x05\x06")     # a zip's first member, or an empty zip
MAX_MEMBERS = 64


def write(f: BinaryIO, params: np.ndarray, meta_json: bytes, optimizer_state: dict[str, np.ndarray]) -> None:
    """Write the three parts as an uncompressed .npz into the open file f."""
    arrays = {"params": params.astype(np.float32, copy=False),
              "meta": np.frombuffer(meta_json, dtype=np.uint8)}
    arrays.update({f"opt_{k}": np.asarray(v) for k, v in optimizer_state.items()})
    np.savez(f, **arrays)


class NpzReader:
    """An open .npz model file: its members' headers now, their data on request.

    headers: member name (without .npy) -> (shape, dtype).  Use as a context manager.
    """

    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ModelFileError("a zip archive that is truncated or damaged") from None
        try:
            self.headers = self._read_headers()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def _read_headers(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        infos = self._zip.infolist()
        names = [i.filename for i in infos]
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise ModelFileError("a PyTorch checkpoint (torch.save), which Latent Lab never opens because "
                                 "loading one can run code; save the state_dict with "
                                 "safetensors.torch.save_file instead")
        if len(infos) > MAX_MEMBERS or not all(n.endswith(".npy") for n in names) \
                or not {"meta.npy", "params.npy"} <= set(names):
            raise ModelFileError("a zip archive, but not a Latent Lab model (no params and metadata arrays)")
        headers = {}
        for info in infos:
            try:
                with self._zip.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                    elif version == (2, 0):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                    else:
                        raise ValueError(f"unsupported .npy version {version}")
            except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
                raise ModelFileError(f"its array {info.filename} is damaged ({exc})") from None
            if dtype.hasobject or dtype.fields is not None:
                raise ModelFileError(f"its array {info.filename} holds Python objects or records; "
                                     f"a model file holds only numbers")
            need = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
            if need > info.file_size:
                raise ModelFileError(f"its array {info.filename} claims {need:,} bytes but stores "
                                     f"{info.file_size:,}; the file is truncated or damaged")
            headers[info.filename[:-4]] = (tuple(shape), dtype)
        meta_shape, meta_dtype = headers["meta"]
        if len(meta_shape) != 1 or meta_dtype != np.uint8 or meta_shape[0] > MAX_META_BYTES:
            raise ModelFileError("its metadata array is not a UTF-8 byte string of a sane size")
        return headers

    def read(self, name: str) -> np.ndarray:
        """One member's data (its header already checked); ModelFileError if it is damaged."""
        try:
            with self._zip.open(f"{name}.npy") as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise ModelFileError(f"its array {name} is truncated or damaged ({exc})") from None

    def meta_json(self) -> bytes:
        return self.read("meta").tobytes()
