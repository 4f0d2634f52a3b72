"""Latent Lab's desktop GUI (PyQt5 + pyqtgraph) on top of the NumPy engine.

`from vaegui import MainWindow; MainWindow()` builds the full window (a QApplication must
exist; `ensure_app()` makes one).
"""
import engine  # noqa: F401  first: it sets OpenBLAS's thread behaviour before NumPy loads

from .main_window import MainWindow, ensure_app

__all__ = ["MainWindow", "ensure_app"]
