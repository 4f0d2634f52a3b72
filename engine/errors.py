"""Errors the engine raises on bad input: each message names the problem in one line."""


class EngineError(Exception):
    """Base class: anything the CLI or GUI should show the user as a one-line message."""


class DataError(EngineError):
    """A data set could not be read, or holds nothing usable."""


class ModelFileError(EngineError):
    """A model file is missing, truncated, corrupt, foreign or incompatible."""


class ConfigError(EngineError):
    """A model or training setting is out of range or inconsistent."""


class TrainingDiverged(EngineError):
    """The loss became NaN or infinite; the model keeps its last good weights."""


