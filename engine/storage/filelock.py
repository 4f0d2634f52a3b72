"""Non-blocking exclusive locks on open files, on every platform, and what the platform allows.

POSIX (Linux, macOS): flock, released when the file is closed or the process dies, and an open
file can be renamed or deleted.  Windows: msvcrt.locking on the file's first byte (the
CRT's byte-range lock, also released when the process dies), and an open file can be neither
renamed nor deleted, so callers close it first (OPEN_FILES_MOVABLE).  Elsewhere no lock is
taken: two saves of one file at the same moment are then not told apart, and nothing else is
lost.
"""
from __future__ import annotations

import os

try:
    import fcntl
except ImportError:          # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:          # POSIX
    msvcrt = None

# Whether a file may be renamed over, or deleted, while this process still holds it open.
OPEN_FILES_MOVABLE = os.name != "nt"
# os.open flags that exist only on some platforms: no following of a planted link (POSIX), no
# inheritance by child processes, and no CRLF translation (Windows' default text mode).
OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0) \
    | getattr(os, "O_BINARY", 0)


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file without waiting; False if another holder has it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
    if msvcrt is not None:
        position = os.lseek(fd, 0, os.SEEK_CUR)
        try:
            os.lseek(fd, 0, os.SEEK_SET)          # msvcrt locks bytes from the file position
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, position, os.SEEK_SET)
        return True
    return True


def unlock(fd: int) -> None:
    """Release try_lock's lock (closing the file releases it too; Windows asks for it first)."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass                                  # not locked: nothing to release


def fsync_folder(folder: os.PathLike | str) -> None:
    """Flush a folder's entries (a rename in it) to disk where folders can be opened (POSIX);
    Windows cannot open a folder as a file and commits renames with the file system's journal."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass              # some file systems (network, FUSE) refuse fsync on a folder
    finally:
        os.close(fd)
