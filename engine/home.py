"""Where Latent Lab keeps what outlives a run: the run history, rescued models, the log file.

$LATENT_LAB_HOME wins; otherwise the platform's usual place for an application's data:
%LOCALAPPDATA%\\LatentLab on Windows, ~/Library/Application Support/LatentLab on macOS, and
$XDG_DATA_HOME/latent-lab (default ~/.local/share/latent-lab) elsewhere.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_VARIABLE = "LATENT_LAB_HOME"


def data_dir(create: bool = False) -> Path:
    """The data directory; with `create`, made (with its parents) if missing."""
    if os.environ.get(HOME_VARIABLE):
        path = Path(os.environ[HOME_VARIABLE]).expanduser()
    elif sys.platform == "win32":
        path = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "LatentLab"
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Application Support" / "LatentLab"
    else:
        path = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "latent-lab"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
