"""The QApplication of Latent Lab: created once, with the names QSettings uses and the process
settings a long session needs (GIL switch interval, heap, pixmap cache)."""
from __future__ import annotations

import sys

from PyQt5.QtGui import QPixmapCache
from PyQt5.QtWidgets import QApplication

from .model.heap import fix_mmap_threshold

APP_NAME = "Latent Lab"
ORG_NAME = "LatentLab"


def ensure_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), with the names QSettings uses."""
    app = QApplication.instance()
    if app is None:
        # The training thread's Python code holds the GIL between its NumPy calls; a waiting
        # GUI thread gets it after the switch interval. 1 ms instead of CPython's 5 ms: with
        # every lab panel on screen, in-app speed 92% of headless instead of 82% and the
        # longest event-loop stall 23-59 ms instead of 40-65 ms (alternating runs).
        sys.setswitchinterval(0.001)
        app = QApplication(argv or [APP_NAME])
    fix_mmap_threshold()              # freed arrays go back to the OS, not into the heaps (model/heap.py)
    # Qt's style caches rendered widget parts up to 10 MB, filled over a long session's hovers and
    # resizes; 1 MB holds what one window's widgets use (README, "A long session": the soak with
    # and without this and loss_plots.MAX_BATCH_ROWS)
    QPixmapCache.setCacheLimit(1024)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    return app
