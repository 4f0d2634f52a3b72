"""Which process owns a 'running' row, and whether it still lives: how a killed run is told apart.

A row records its writer's pid, the pid's start time (so a pid reused by a later process is not
mistaken for the writer) and the host.  On this host a dead pid means the run was interrupted
(kill -9, a crash, a power cut).  A row from another host (a shared home folder) cannot be
checked that way: it counts as interrupted once its heartbeat, refreshed every epoch and by
`RunRecorder.beat`, is older than REMOTE_STALE_SECONDS.
"""
from __future__ import annotations

import os
import socket
import sys

REMOTE_STALE_SECONDS = 6 * 3600.0


def host() -> str:
    return socket.gethostname()


def start_token(pid: int) -> str | None:
    """A value that changes when `pid` is reused: its start time in clock ticks on Linux, else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    return stat[stat.rfind(b")") + 2:].split()[19].decode()


def _linux_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].split()[0].decode()


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (killed but not yet reaped)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)          # signal 0: permission and existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True              # another user's process: it exists
    return _linux_state(pid) != "Z"


def _windows_alive(pid: int) -> bool:
    import ctypes
    from ctypes import wintypes

    kernel = ctypes.windll.kernel32
    handle = kernel.OpenProcess(0x1000, False, pid)          # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = wintypes.DWORD()
        return bool(kernel.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel.CloseHandle(handle)


def owner_gone(pid: int | None, token: str | None, row_host: str | None, heartbeat: float | None,
               now: float) -> bool:
    """Whether the process that wrote a 'running' row has ended without finishing it."""
    if row_host != host():
        return heartbeat is None or now - heartbeat > REMOTE_STALE_SECONDS
    if pid is None or not pid_alive(pid):
        return True
    current = start_token(pid)
    return token is not None and current is not None and current != token
