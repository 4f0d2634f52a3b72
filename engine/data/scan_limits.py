"""How far a folder scan may walk, and how it reports while it walks (used by scan.py).

A scan of a wrong folder (a home directory, or /) can meet millions of files: it says what it
has seen as it goes, and stops at a limit with a sentence that says which one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import DataError

MAX_SCAN_ENTRIES = 1_000_000    # files and folders a scan walks before it refuses the folder
MAX_SCAN_DEPTH = 32             # folder levels below the chosen one that are walked


class ScanLimitReached(DataError):
    """The folder holds more files and folders than ScanLimits.max_entries; `limit` is that number."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class ScanLimits:
    """How far a scan walks: files and folders in all (more is refused with ScanLimitReached),
    and folder levels below the chosen one (deeper folders are listed as skipped)."""

    max_entries: int = MAX_SCAN_ENTRIES
    max_depth: int = MAX_SCAN_DEPTH


# progress(entries seen, image files found): called at most every PROGRESS_SECONDS while a scan walks
ScanProgress = Callable[[int, int], None]
PROGRESS_SECONDS = 0.1
