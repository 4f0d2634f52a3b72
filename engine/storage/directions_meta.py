"""A model file's optional "directions" entry: the named attribute directions saved with the model.

Both formats keep it in the metadata JSON (an .npz file's `meta`, a safetensors file's
`__metadata__`), as a list of {"name", "vector", "spread", "method", "source", "keep"}
objects (engine/directions.py).  Files written before directions existed lack the entry and
read as having none; readers that predate it ignore the unknown key, and since no array is
added, their shape checks still pass.
"""
from __future__ import annotations

import json
import math

from ..directions import MAX_DIRECTIONS, Direction, DirectionSet
from ..errors import ConfigError, ModelFileError

METHODS = ("mean", "logistic", "imported")
MAX_TEXT = 4096       # a name or a description, as schema.py limits its texts


def invalid(field: str, why: str) -> ModelFileError:
    return ModelFileError(f"metadata field {field} {why}")


def shown(value: object) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def directions_to_meta(directions: DirectionSet | None) -> list[dict]:
    return [d.to_dict() for d in directions or ()]


def directions_from_meta(entry: object, latent_dim: int) -> DirectionSet:
    """The validated DirectionSet of a metadata "directions" entry (None: none saved)."""
    if entry is None:
        return DirectionSet()
    if not isinstance(entry, list) or len(entry) > MAX_DIRECTIONS:
        raise invalid("directions", f"must be a list of at most {MAX_DIRECTIONS} directions, got {shown(entry)}")
    result = DirectionSet()
    for i, d in enumerate(entry):
        where = f"directions[{i}]"
        if not isinstance(d, dict) or not {"name", "vector", "spread"} <= set(d):
            raise invalid(where, "must be an object with name, vector and spread")
        vector, spread = d["vector"], d["spread"]
        if not (isinstance(vector, list) and len(vector) == latent_dim
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in vector)):
            raise invalid(f"{where}.vector", f"must be {latent_dim} finite numbers, got {shown(vector)}")
        texts = {k: d.get(k, "") for k in ("name", "source")}
        for key, text in texts.items():
            if not (isinstance(text, str) and len(text) <= MAX_TEXT):
                raise invalid(f"{where}.{key}", f"must be a string, got {shown(text)}")
        method = d.get("method", "imported")
        if method not in METHODS:
            raise invalid(f"{where}.method", f"must be one of {', '.join(METHODS)}, got {shown(method)}")
        keep = d.get("keep", [])
        if not (isinstance(keep, list) and len(keep) <= 2 and all(isinstance(k, str) and len(k) <= MAX_TEXT
                                                                  for k in keep)):
            raise invalid(f"{where}.keep", f"must be a list of up to 2 names, got {shown(keep)}")
        try:
            result.add(Direction(texts["name"], vector, spread, method, texts["source"], tuple(keep)))
        except (ConfigError, TypeError) as exc:
            raise invalid(where, f"is unusable: {exc}") from None
    return result
