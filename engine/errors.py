"""Errors the engine raises on bad input: each message names the problem in one line."""
from .text import printable


class EngineError(Exception):
    """Base class: anything the CLI or GUI should show the user as a one-line message.

    Text arguments are made printable (engine/text.py): the messages name the user's files,
    whose names may hold newlines or terminal escape sequences."""

    def __init__(self, *args) -> None:
        super().__init__(*(printable(a) if isinstance(a, str) else a for a in args))


class DataError(EngineError):
    """A data set could not be read, or holds nothing usable."""


class ModelFileError(EngineError):
    """A model file is missing, truncated, corrupt, foreign or incompatible."""


class ConfigError(EngineError):
    """A model or training setting is out of range or inconsistent."""


class TrainingDiverged(EngineError):
    """The loss became NaN or infinite; the model keeps its last good weights."""




class WorkCancelled(EngineError):
    """A long engine call was cancelled through its `cancelled` callback; nothing was changed."""
