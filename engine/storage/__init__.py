"""Model files: .npz or .safetensors, never pickle, every field validated before anything is allocated.

    schema.py              the metadata's JSON fields and their checks
    layout.py              the arrays an architecture implies (names, shapes, memory), without allocating
    npz_format.py          .npz: params + opt_* + meta; headers read before data
    safetensors_format.py  .safetensors: named tensors in PyTorch layout, metadata in __metadata__
    torch_examples.py      the pytorch/examples VAE's state_dict (fc1 ... fc4) as one of our models
    model_file.py          ModelFile, and the metadata a save writes
    reader.py, writer.py   load_model (format by content) and save_model (format by extension)
    atomic.py              the atomic save, and removing what interrupted saves left behind
    directions_meta.py     the optional "directions" entry of the metadata (engine/directions.py)
"""
from .model_file import ModelFile
from .reader import load_model
from .writer import FORMATS, save_model

__all__ = ["ModelFile", "load_model", "save_model", "FORMATS"]
