"""What a folder load gives back: the FolderLoad report, and the errors it ends with."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DataError, EngineError
from ..text import printable
from .dataset import Dataset
from .scan import FolderScan


class LoadCancelled(EngineError):
    """The user cancelled loading; nothing was changed."""


class TooFewImages(DataError):
    """Fewer than 2 readable images; `skipped` lists (path, reason) for every file left out."""

    def __init__(self, message: str, skipped: list[tuple[str, str]]):
        super().__init__(message)
        self.skipped = skipped


@dataclass
class FolderLoad:
    """A loaded folder: the Dataset and the report of what went into it.

    skipped: (path relative to the folder, reason) for every file left out, sorted by path.
    """

    dataset: Dataset
    loaded: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    from_cache: bool = False
    inverted: bool = False
    kind: str = "images"
    seconds: float = 0.0
    assumed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a status bar, e.g. "1,203 images loaded, 3 skipped", with what was
        assumed about the values, e.g. "; faces.npy: int32 values up to 40,000 read as 16-bit"."""
        text = f"{self.loaded:,} images loaded"
        text += f", {len(self.skipped):,} skipped" if self.skipped else ""
        return "; ".join(printable(t) for t in [text] + self.assumed)

    def details(self, limit: int | None = None) -> str:
        """One line per skipped file, "path: reason"; at most `limit` lines plus a count."""
        lines = [f"{printable(path)}: {printable(reason)}" for path, reason in self.skipped[:limit]]
        if limit is not None and len(self.skipped) > limit:
            lines.append(f"... and {len(self.skipped) - limit:,} more")
        return "\n".join(lines)


def check_count(scan: FolderScan, n: int, skipped: list[tuple[str, str]]) -> None:
    """TooFewImages unless at least 2 of the folder's images were read."""
    if n >= 2:
        return
    why = ""
    if skipped:
        counts: dict[str, int] = {}
        for _, reason in skipped:
            counts[reason] = counts.get(reason, 0) + 1
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
        why = f" ({len(skipped):,} skipped: " + ", ".join(f"{r} ({c:,})" for r, c in top) + \
              (", ..." if len(counts) > 3 else "") + ")"
    if n == 0:
        raise TooFewImages(f"{scan.path}: no readable image{why}", skipped)
    raise TooFewImages(f"{scan.path}: only one readable image; at least 2 are needed{why}", skipped)
