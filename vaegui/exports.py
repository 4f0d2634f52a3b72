"""The window's exports: the current view and the manifold as PNG, the loss history as CSV.

A mixin of MainWindow.
"""
from __future__ import annotations

import csv
from pathlib import Path

from PyQt5.QtWidgets import QFileDialog

from .images import to_qimage


class ExportsMixin:
    """Export actions of a MainWindow; each returns whether it wrote the file."""

    def _ask_path(self, title: str, name: str, filt: str) -> str | None:
        start = str(Path(self.settings.value("lastExportDir", str(Path.home()))) / name)
        path, _ = QFileDialog.getSaveFileName(self, title, start, filt)
        if path:
            self.settings.setValue("lastExportDir", str(Path(path).parent))
        return path or None

    def export_view(self, path: str | None = None) -> bool:
        path = path or self._ask_path("Export view", "latent_view.png", "PNG images (*.png)")
        if not path:
            return False
        ok = self.map.view.grab().save(path, "PNG")
        self.show_status(f"Exported the view to {path}" if ok else f"Could not write {path}")
        return ok

    def export_manifold(self, path: str | None = None) -> bool:
        if self.explorer.mosaic is None:
            self.show_status("No manifold yet: train or open a model first")
            return False
        path = path or self._ask_path("Export manifold", "manifold.png", "PNG images (*.png)")
        if not path:
            return False
        ok = to_qimage(self.explorer.mosaic).save(path, "PNG")
        self.show_status(f"Exported the manifold to {path}" if ok else f"Could not write {path}")
        return ok

    def history(self) -> list:
        if self.trainer is not None:
            return list(self.trainer.history)
        return list(self.model_file.history) if self.model_file is not None else []

    def export_history(self, path: str | None = None) -> bool:
        hist = self.history()
        if not hist:
            self.show_status("No loss history yet: train at least one epoch")
            return False
        path = path or self._ask_path("Export loss history", "loss_history.csv", "CSV files (*.csv)")
        if not path:
            return False
        keys = ("epoch", "train_loss", "test_loss", "recon", "kl", "epoch_seconds")
        try:
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(keys)
                for r in hist:
                    w.writerow([getattr(r, k) for k in keys])
        except OSError as exc:
            self.show_status(f"Could not write {path}: {exc.strerror}")
            return False
        self.show_status(f"Exported {len(hist)} epochs of loss history to {path}")
        return True
