"""load_model: recognise a model file by its content, validate everything, and only then build the VAE.

Order of work, so a hostile file costs nothing: (1) the first bytes say which format it is (a
zip is .npz, a length-prefixed JSON header is safetensors, anything else is named and refused);
(2) the metadata is parsed and every field checked; (3) the arrays' shapes and types, read from
their headers, are compared with the shapes the architecture implies and the memory it needs
with what is free; (4) only then are the arrays read and the VAE allocated.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import TrainConfig
from ..directions import DirectionSet
from ..errors import ModelFileError
from ..vae import VAE, param_count
from . import npz_format, safetensors_format, torch_examples
from .atomic import remove_leftovers
from .layout import check_memory, check_shapes, from_tensors, optimizer_shapes, tensor_shapes
from .model_file import ModelFile
from .probe import check_forward
from .schema import ModelMeta, parse_json, validate

OPENS = ("Latent Lab opens its own .npz and .safetensors models and pytorch/examples VAEs "
         "saved with safetensors")
KNOWN_KINDS = [(b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
               (b"\x1f\x8b", "a gzip-compressed file"), (b"\x93NUMPY", "a single NumPy array (.npy)"),
               (b"\x89HDF", "an HDF5 file"), (b"%PDF", "a PDF document"), (b"BM", "a BMP image")]


def load_model(path: str | Path) -> ModelFile:
    """Read a model file (.npz or .safetensors, ours or a pytorch/examples VAE's state_dict).

    Raises ModelFileError with one sentence naming the problem (and, for bad metadata, the
    field); never unpickles anything.  Leftover temporary files of interrupted saves of this
    path are removed.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    remove_leftovers(path)
    try:
        return _load(path)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _load(path: Path) -> ModelFile:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] in npz_format.MAGIC:
        with npz_format.NpzReader(path) as reader:
            return _load_npz(reader)
    if safetensors_format.looks_like(head, size):
        reader = safetensors_format.SafetensorsReader(path)
        raw = reader.meta_json()
        return _load_torch_examples(reader) if raw is None else _load_safetensors(reader, validate(parse_json(raw)))
    raise ModelFileError(f"{describe(path, head, size)}, not a model file; {OPENS}")


def describe(path: Path, head: bytes, size: int) -> str:
    """What a file that is not a model file is, as far as its first bytes tell."""
    if size == 0:
        return "an empty file"
    for magic, kind in KNOWN_KINDS:
        if head.startswith(magic):
            return kind
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle, which could run code when loaded"
    if head.strip(b"\x00") == b"":
        return "a file of only zero bytes (damaged)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    return "a text file" if "".join(text.split()).isprintable() else "a file of an unknown kind"


def _load_npz(reader: npz_format.NpzReader) -> ModelFile:
    meta = validate(parse_json(reader.meta_json()))
    n = param_count(meta.model)
    found = {k: v for k, v in reader.headers.items() if k != "meta"}
    check_shapes(found, {"params": (n,)} | {f"opt_{k}": s for k, s in optimizer_shapes(meta.optimizer, n).items()},
                 "arrays")
    check_memory(meta.model)
    model = VAE(meta.model, seed=None)
    model.params[...] = reader.read("params")
    optimizer = {k[4:]: reader.read(k) for k in found if k.startswith("opt_")}
    return _model_file(model, meta, optimizer)


def _load_safetensors(reader: safetensors_format.SafetensorsReader, meta: ModelMeta) -> ModelFile:
    prefix = safetensors_format.OPTIMIZER_PREFIX
    opt_shapes = {prefix + k: s for k, s in optimizer_shapes(meta.optimizer, param_count(meta.model)).items()}
    expected = tensor_shapes(meta.model) | opt_shapes
    check_shapes(reader.headers, expected, "tensors")
    check_memory(meta.model)
    tensors = reader.read(list(expected))
    model = VAE(meta.model, seed=None)
    from_tensors(meta.model, tensors, model.params)
    return _model_file(model, meta, {k[len(prefix):]: tensors[k] for k in opt_shapes})


def _load_torch_examples(reader: safetensors_format.SafetensorsReader) -> ModelFile:
    names = torch_examples.tensor_names(reader.headers)
    if names is None:
        raise ModelFileError(f"a safetensors file, but neither a Latent Lab model (no {safetensors_format.META_KEY} "
                             f"metadata) nor a pytorch/examples VAE (tensors fc1, fc21, fc22, fc3, fc4)")
    # infer_config checks that the shapes chain into a VAE, so they are those tensor_shapes(config) implies
    config = torch_examples.infer_config({ours: reader.headers[theirs][0] for ours, theirs in names.items()})
    for theirs in names.values():
        dtype = reader.headers[theirs][1]
        if dtype.kind != "f":
            raise ModelFileError(f"its tensor {theirs} holds {dtype} values, not floating-point numbers")
    check_memory(config)
    tensors = reader.read(list(names.values()))
    model = VAE(config, seed=None)
    from_tensors(config, torch_examples.to_our_tensors({k: tensors[v] for k, v in names.items()}), model.params)
    meta = ModelMeta(config, TrainConfig(), [], 0, None, None, None, None, None, {}, [])
    return _model_file(model, meta, {}, origin=torch_examples.DESCRIPTION)


def _model_file(model: VAE, meta: ModelMeta, optimizer: dict[str, np.ndarray], origin: str | None = None) -> ModelFile:
    """The ModelFile, after the weights and optimizer state are checked to be finite and a probe
    batch through the model gives finite codes and images (probe.py)."""
    if not np.all(np.isfinite(model.params)):
        raise ModelFileError("its weights contain NaN or infinite values")
    for key, value in optimizer.items():
        if value.ndim == 0:
            if not 0 <= int(value) < 2 ** 62:
                raise ModelFileError(f"its optimizer step {key} is {int(value)}, out of range")
        elif not np.all(np.isfinite(value)):
            raise ModelFileError(f"its optimizer state {key} contains NaN or infinite values")
    optimizer = {k: (v.astype(np.float32) if v.ndim else np.asarray(int(v))) for k, v in optimizer.items()}
    check_forward(model)
    return ModelFile(model, meta.train, meta.history, meta.dataset_name, meta.model.image_shape, meta.class_names,
                     meta.epochs_done, meta.optimizer, optimizer or None, meta.rng_state, meta.dataset_source,
                     meta.load_options, meta.setting_changes, origin, meta.partial_epoch, meta.discarded_epochs,
                     meta.directions if meta.directions is not None else DirectionSet())
