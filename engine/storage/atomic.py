"""Atomic file replacement that leaves no debris: one fixed temporary name per target, locked while in use.

A save writes `.NAME.partial` beside the target, flushes it to disk and renames it over the
target, so an interrupted save never destroys the previous file.  The temporary name is the same
every time, so a save killed mid-write (kill -9, power loss) leaves at most one such file, and
the next save of that target overwrites it.  The next save or open also removes what earlier
interrupted saves left (including the random `.NAME.XXXXXXXX.tmp` names older versions used),
skipping a temporary file another process is writing right now (it holds a lock on it).
Locks, open flags and what may happen to an open file differ by platform: see filelock.py.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..errors import ModelFileError
from . import filelock


def temp_path(target: Path) -> Path:
    """The one temporary file a save of `target` writes."""
    return target.with_name(f".{target.name}.partial")


def _leftover(target: Path, name: str) -> bool:
    legacy = re.fullmatch(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp", name)
    return name == temp_path(target).name or legacy is not None


def remove_leftovers(target: Path) -> list[Path]:
    """Delete temporary files that interrupted saves of `target` left beside it; the removed paths."""
    removed = []
    try:
        candidates = [p for p in target.parent.iterdir() if _leftover(target, p.name)]
    except OSError:
        return removed
    for path in candidates:
        try:
            fd = os.open(path, os.O_RDONLY | filelock.OPEN_FLAGS)
        except OSError:
            continue
        if not filelock.try_lock(fd):       # held by a save in progress: leave it
            os.close(fd)
            continue
        if not filelock.OPEN_FILES_MOVABLE:     # Windows deletes no open file
            filelock.unlock(fd)
            os.close(fd)
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
        finally:
            if filelock.OPEN_FILES_MOVABLE:
                os.close(fd)
    return removed


def write_atomically(target: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call write(file) on the temporary file, then rename it over target; returns target.

    Raises ModelFileError if another save of the same target is in progress.  On any failure
    (an exception or KeyboardInterrupt) the temporary file is removed and target is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    tmp = temp_path(target)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | filelock.OPEN_FLAGS, 0o666)  # the umask applies
    if not filelock.try_lock(fd):
        os.close(fd)
        raise ModelFileError(f"{target}: another save of this file is in progress")
    is_open = True

    def close() -> None:
        nonlocal is_open
        if is_open:
            is_open = False
            filelock.unlock(fd)
            os.close(fd)

    try:
        os.ftruncate(fd, 0)
        # Written through the locking descriptor itself: Windows' locks bar every other handle.
        with os.fdopen(fd, "wb", closefd=False) as f:
            write(f)
            f.flush()
            os.fsync(fd)
        if not filelock.OPEN_FILES_MOVABLE:
            close()                         # Windows renames no open file
        os.replace(tmp, target)
    except BaseException:
        if not filelock.OPEN_FILES_MOVABLE:
            close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        close()
    filelock.fsync_folder(target.parent)
    return target
