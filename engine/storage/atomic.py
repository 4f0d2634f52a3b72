"""Atomic file replacement that leaves no debris: one fixed temporary name per target, locked while in use.

A save writes `.NAME.partial` beside the target, flushes it to disk and renames it over the
target, so an interrupted save never destroys the previous file.  The temporary name is the same
every time, so a save killed mid-write (kill -9, power loss) leaves at most one such file, and
the next save of that target overwrites it.  The next save or open also removes what earlier
interrupted saves left (including the random `.NAME.XXXXXXXX.tmp` names older versions used),
skipping a temporary file another process is writing right now (it holds a lock on it).
"""
from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import Callable, BinaryIO

from ..errors import ModelFileError


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
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)    # held by a save in progress: leave it
        except OSError:
            os.close(fd)
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
        finally:
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
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)  # the umask applies
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ModelFileError(f"{target}: another save of this file is in progress") from None
    try:
        os.ftruncate(fd, 0)
        with os.fdopen(os.dup(fd), "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return target
