"""The shape of one image: height, width and channels (1 grey, 3 RGB), shared by every layer of the app.

Images travel flattened in row-major (height, width, channels) order, channels last, as Pillow
and Qt lay them out; a grey image's flat row is the same as before channels existed.
"""
from __future__ import annotations

from typing import NamedTuple

from .errors import ConfigError

CHANNELS = (1, 3)


class ImageShape(NamedTuple):
    """(height, width, channels) of one image; channels is 1 (grey) or 3 (RGB)."""

    height: int
    width: int
    channels: int = 1

    @classmethod
    def of(cls, value: ImageShape | tuple[int, ...] | list[int]) -> ImageShape:
        """An ImageShape from (height, width) (grey, as files written before colour record it)
        or (height, width, channels); ConfigError for anything else."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, (tuple, list)) or len(value) not in (2, 3) \
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"an image shape is (height, width) or (height, width, channels), got {value!r}")
        shape = cls(*(int(v) for v in value))
        if shape.height < 1 or shape.width < 1:
            raise ConfigError(f"image sides must be positive, got {shape.height}x{shape.width}")
        if shape.channels not in CHANNELS:
            raise ConfigError(f"images have 1 (grey) or 3 (RGB) channels, got {shape.channels}")
        return shape

    @property
    def size(self) -> int:
        """Values in one flattened image: height * width * channels."""
        return self.height * self.width * self.channels

    @property
    def is_colour(self) -> bool:
        return self.channels == 3

    def __str__(self) -> str:
        return f"{self.height}x{self.width}" + (" RGB" if self.is_colour else "")
