"""The metadata of a model file: its JSON schema, checked field by field before anything is built.

Every check here is on small Python values; nothing the metadata claims (layer sizes, history
length) is allocated until the caller has compared the architecture with the arrays' headers.
A failure raises ModelFileError naming the field, e.g. "metadata field epochs_done must be a
non-negative integer, got 'abc'".  The model and training settings are type-checked against
their dataclasses' annotations and then range-checked by VAEConfig and TrainConfig themselves,
so a field added there is validated by its owner.
"""
from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import dataclass, field, fields

import numpy as np

from ..config import OPTIMIZERS, TrainConfig, VAEConfig
from ..directions import DirectionSet
from ..errors import ConfigError, ModelFileError
from ..training import EpochReport, PartialEpoch, SettingChange
from .directions_meta import directions_from_meta

FORMAT = "latent-lab-model"
VERSION = 1
MAX_META_BYTES = 32 << 20     # a 100,000-epoch history is ~15 MB of JSON
MAX_LIST = 100_000            # class names, history entries, layer sizes
MAX_TEXT = 4096               # a name or a path


@dataclass
class ModelMeta:
    """The validated contents of a model file's metadata."""

    model: VAEConfig
    train: TrainConfig
    history: list[EpochReport]
    epochs_done: int
    optimizer: str | None
    rng_state: dict | None
    dataset_name: str | None
    class_names: list[str] | None
    dataset_source: str | None
    load_options: dict
    setting_changes: list[SettingChange]
    partial_epoch: PartialEpoch | None = None
    discarded_epochs: list[PartialEpoch] = field(default_factory=list)
    directions: DirectionSet | None = None      # storage/directions_meta.py


def invalid(field: str, why: str) -> ModelFileError:
    """The error for one bad metadata field."""
    return ModelFileError(f"metadata field {field} {why}")


def shown(value: object) -> str:
    """A value as the error message quotes it: short, one line."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def parse_json(raw: bytes) -> dict:
    """The metadata object from its UTF-8 JSON bytes; ModelFileError if too large, corrupt or too deep."""
    if len(raw) > MAX_META_BYTES:
        raise ModelFileError(f"the metadata is {len(raw) >> 20} MB, more than a model file's "
                             f"{MAX_META_BYTES >> 20} MB limit")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ModelFileError("the metadata is nested too deeply to be a model's") from None
    except ValueError:      # not UTF-8, not JSON, or an integer of thousands of digits
        raise ModelFileError("the model's metadata is corrupt (not UTF-8 JSON)") from None
    if not isinstance(meta, dict):
        raise ModelFileError("the model's metadata is not a JSON object")
    return meta


def validate(meta: dict) -> ModelMeta:
    """Check every field of a Latent Lab metadata object (format, version, settings, history,
    data set, optimizer, RNG) and return it typed; ModelFileError names the first bad field."""
    if meta.get("format") != FORMAT:
        raise ModelFileError("not a Latent Lab model (its metadata has no latent-lab-model format tag)")
    version = meta.get("version")
    if not _is_int(version) or version < 1:
        raise invalid("version", f"must be a positive integer, got {shown(version)}")
    if version > VERSION:
        raise ModelFileError(f"written by a newer Latent Lab (format {version}); please upgrade")
    model = _settings(VAEConfig, meta.get("model"), "model")
    train = _settings(TrainConfig, meta.get("train"), "train")
    epochs_done = meta.get("epochs_done", 0)
    if not _is_int(epochs_done) or epochs_done < 0:
        raise invalid("epochs_done", f"must be a non-negative integer, got {shown(epochs_done)}")
    optimizer = meta.get("optimizer")
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise invalid("optimizer", f"must be one of {', '.join(OPTIMIZERS)} or null, got {shown(optimizer)}")
    ds = _dataset(meta.get("dataset"), model)
    return ModelMeta(model, train, _history(meta.get("history", [])), epochs_done, optimizer,
                     _rng_state(meta.get("rng_state")), *ds, _setting_changes(meta.get("setting_changes", [])),
                     _partial_epoch(meta.get("partial_epoch"), "partial_epoch"),
                     _partial_epochs(meta.get("discarded_epochs", [])),
                     directions_from_meta(meta.get("directions"), model.latent_dim))


# ------------------------------------------------------------------------- settings
def _settings(cls: type, d: object, section: str):
    """A VAEConfig or TrainConfig from its dict: every value's type checked, then the class's own checks."""
    if not isinstance(d, dict):
        raise invalid(section, f"must be an object of settings, got {shown(d)}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for name, value in d.items():
        if name not in known:
            raise invalid(f"{section}.{name}", "is not a known setting")
        if not _matches(value, hints[name]):
            raise invalid(f"{section}.{name}", f"must be {_describe(hints[name])}, got {shown(value)}")
    try:
        return cls.from_dict(d)
    except ConfigError as exc:
        raise invalid(section, f"has an unusable setting: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise invalid(section, f"is inconsistent: {exc}") from None


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return (_is_int(v) and abs(v) < 2 ** 63) or (isinstance(v, float) and math.isfinite(v))


def _matches(value: object, tp: object) -> bool:
    """Whether a JSON value fits a dataclass annotation (int, float, str, bool, None, unions, tuples)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return _is_int(value) and abs(value) < 2 ** 63
    if tp is float:
        return _is_number(value)
    if tp is str:
        return isinstance(value, str) and len(value) <= MAX_TEXT
    if origin is tuple or (isinstance(tp, type) and issubclass(tp, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) > MAX_LIST:
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
        item = args[0] if origin is tuple and args else int     # a NamedTuple of ints (an image shape)
        return all(_matches(v, item) for v in value)
    return True    # any other annotation: its owner's __post_init__ checks it


def _describe(tp: object) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple or (isinstance(tp, type) and issubclass(tp, tuple)):
        return "a list of integers" if not args or args[0] is int else "a list"
    names = {type(None): "null", bool: "true or false", int: "an integer", float: "a finite number",
             str: "a string"}
    return names.get(tp, str(tp))


# ------------------------------------------------------------------------- history, data set, RNG
def _history(history: object) -> list[EpochReport]:
    if not isinstance(history, list) or len(history) > 10 * MAX_LIST:
        raise invalid("history", f"must be a list of epoch records, got {shown(history)}")
    names = [f.name for f in fields(EpochReport)]
    reports = []
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or set(entry) != set(names):
            raise invalid(f"history[{i}]", f"must be an object with exactly {', '.join(names)}")
        for name in names:
            ok = _is_int(entry[name]) and entry[name] >= 1 if name in ("epoch", "epochs") \
                else _is_number(entry[name])
            if not ok:
                raise invalid(f"history[{i}].{name}", f"must be a {'positive integer' if name in ('epoch', 'epochs') else 'finite number'}, "
                              f"got {shown(entry[name])}")
        reports.append(EpochReport(**entry))
    return reports


def _setting_changes(changes: object) -> list[SettingChange]:
    """Learning rates and betas changed mid-run: where (epoch, batch of batches) and from what to what."""
    if not isinstance(changes, list) or len(changes) > 10 * MAX_LIST:
        raise invalid("setting_changes", f"must be a list of changes, got {shown(changes)}")
    names = [f.name for f in fields(SettingChange)]
    result = []
    for i, c in enumerate(changes):
        if not isinstance(c, dict) or set(c) != set(names):
            raise invalid(f"setting_changes[{i}]", f"must be an object with exactly {', '.join(names)}")
        for name in ("epoch", "batch", "batches"):
            if not (_is_int(c[name]) and 1 <= c[name] < 2 ** 63):
                raise invalid(f"setting_changes[{i}].{name}", f"must be a positive integer, got {shown(c[name])}")
        if c["setting"] not in ("lr", "beta"):
            raise invalid(f"setting_changes[{i}].setting", f"must be \"lr\" or \"beta\", got {shown(c['setting'])}")
        for name in ("old", "new"):
            if not (_is_number(c[name]) and c[name] >= 0):
                raise invalid(f"setting_changes[{i}].{name}", f"must be a non-negative number, got {shown(c[name])}")
        result.append(SettingChange(**c))
    return result


def _partial_epoch(p: object, where: str) -> PartialEpoch | None:
    """An epoch cut short: batches trained of how many, its mean loss and time."""
    if p is None:
        return None
    names = [f.name for f in fields(PartialEpoch)]
    if not isinstance(p, dict) or set(p) != set(names):
        raise invalid(where, f"must be an object with exactly {', '.join(names)}")
    for name in ("epoch", "batches", "of"):
        if not (_is_int(p[name]) and 1 <= p[name] < 2 ** 63):
            raise invalid(f"{where}.{name}", f"must be a positive integer, got {shown(p[name])}")
    if p["batches"] > p["of"]:
        raise invalid(f"{where}.batches", f"must be at most of ({p['of']}), got {shown(p['batches'])}")
    for name in ("train_loss", "seconds"):
        if not _is_number(p[name]):
            raise invalid(f"{where}.{name}", f"must be a finite number, got {shown(p[name])}")
    return PartialEpoch(**p)


def _partial_epochs(items: object) -> list[PartialEpoch]:
    if not isinstance(items, list) or len(items) > MAX_LIST:
        raise invalid("discarded_epochs", f"must be a list of partial epochs, got {shown(items)}")
    return [_partial_epoch(p, f"discarded_epochs[{i}]") for i, p in enumerate(items)]


def _text_or_none(value: object, field: str) -> str | None:
    if value is not None and not (isinstance(value, str) and len(value) <= MAX_TEXT):
        raise invalid(field, f"must be a string or null, got {shown(value)}")
    return value


def _dataset(ds: object, model: VAEConfig) -> tuple:
    """(name, class_names, source, load_options) of the data set section."""
    if ds is None:
        return None, None, None, {}
    if not isinstance(ds, dict):
        raise invalid("dataset", f"must be an object, got {shown(ds)}")
    name = _text_or_none(ds.get("name"), "dataset.name")
    source = _text_or_none(ds.get("source"), "dataset.source")
    shape = ds.get("image_shape", list(model.image_shape))
    if not isinstance(shape, list) or not all(_is_int(v) for v in shape) \
            or tuple(shape) != tuple(model.image_shape)[:len(shape)] or len(shape) < 2:
        raise invalid("dataset.image_shape", f"must match the model's image shape "
                      f"{list(model.image_shape)}, got {shown(shape)}")
    names = ds.get("class_names")
    if names is not None and not (isinstance(names, list) and len(names) <= MAX_LIST
                                  and all(isinstance(n, str) and len(n) <= MAX_TEXT for n in names)):
        raise invalid("dataset.class_names", f"must be a list of strings or null, got {shown(names)}")
    options = ds.get("load_options") or {}
    if not isinstance(options, dict):
        raise invalid("dataset.load_options", f"must be an object, got {shown(options)}")
    for key, value in options.items():
        if not _load_option_ok(key, value):
            raise invalid(f"dataset.load_options.{key}", f"has an unusable value {shown(value)}")
    return name, names, source, dict(options)


def _load_option_ok(key: str, value: object) -> bool:
    """Recorded folder options: the known ones range-checked, others only JSON scalars or short lists."""
    if key == "image_size":
        return isinstance(value, list) and len(value) == 2 and all(_is_int(v) and 1 <= v <= 65536 for v in value)
    if key == "test_fraction":
        return _is_number(value) and 0 < value < 1
    if key == "seed":
        return _is_int(value) and 0 <= value < 2 ** 63
    if key == "invert":
        return value is None or isinstance(value, bool)
    scalar = (lambda v: v is None or isinstance(v, (bool, str)) or _is_number(v))
    return scalar(value) or (isinstance(value, list) and len(value) <= 16 and all(map(scalar, value)))


def _rng_state(state: object) -> dict | None:
    """A PCG64 bit-generator state (what Trainer's default_rng uses), checked by NumPy itself."""
    if state is None:
        return None
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise invalid("rng_state", f"must be a PCG64 generator state, got {shown(state)}")
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError, KeyError, OverflowError):
        raise invalid("rng_state", "is not a valid PCG64 generator state") from None
    return state
