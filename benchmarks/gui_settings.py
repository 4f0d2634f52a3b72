"""Benchmarks that open the window keep its settings (layout, last folders) in a temporary
folder, so a benchmark never changes the layout the user's own app opens with (bench_gui.py
floats every panel; the window saves its layout when it closes)."""
from __future__ import annotations

import tempfile


def use_temporary_settings() -> str:
    """Point QSettings' user scope at a new temporary folder; returns the folder."""
    from PyQt5.QtCore import QSettings
    path = tempfile.mkdtemp(prefix="latent-lab-bench-settings-")
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, path)
    return path
