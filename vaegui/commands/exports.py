"""File > Export: the latent map as shown, the manifold at full resolution, the loss history."""
from __future__ import annotations

import csv
from pathlib import Path

from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import QWidget

from ..widgets.images import to_qimage
from .dialogs import Dialogs

HISTORY_COLUMNS = ("epoch", "batches", "epochs_trained", "train_loss", "test_loss", "recon", "kl",
                   "epoch_seconds", "note")


def settings_path(settings: QSettings, key: str, default: str = "") -> str:
    """A folder path kept in the settings, or `default` when the value is missing or not a
    non-empty string (a damaged settings file must never break a command)."""
    value = settings.value(key, default)
    return value if isinstance(value, str) and value else default


def history_rows(history, restarted, current, changes=()) -> list[list]:
    """CSV rows of the loss history in training order: every complete epoch, every epoch a
    stop (or a save mid-epoch) cut short, whose batches are in the weights (test losses are only
    taken at an epoch's end), and every learning rate or beta changed mid-run (engine
    SettingChange, a row before the epoch it happened in ends). epochs_trained counts the
    training in the weights up to that row."""
    events = [(r.epoch, 1, r) for r in history] + [(p.epoch, 0, p) for p in restarted]
    events += [(c.epoch, 0.5, c) for c in changes]
    if current is not None:
        events.append((current.epoch, 2, current))
    rows, trained = [], 0.0
    for _, kind, r in sorted(events, key=lambda e: (e[0], e[1], getattr(e[2], "batch", 0))):
        if kind == 0.5:
            rows.append([r.epoch, f"{r.batch - 1}/{r.batches}", round(trained + r.at - (r.epoch - 1), 4),
                         "", "", "", "", "", f"{r.setting} {r.old:g} -> {r.new:g} from batch {r.batch}"])
        elif kind == 1:
            trained += 1.0
            rows.append([r.epoch, "all", round(trained, 4), r.train_loss, r.test_loss, r.recon, r.kl,
                         r.epoch_seconds, ""])
        else:
            trained += r.fraction
            note = "cut short; a later run restarted this epoch" if kind == 0 else "in progress or cut short"
            rows.append([r.epoch, f"{r.batches}/{r.of}", round(trained, 4), r.train_loss, "", "", "",
                         r.seconds, note])
    return rows


class ExportCommands:
    """The exports of one window, each saying in the status bar what it wrote."""

    def __init__(self, session, dialogs: Dialogs, settings: QSettings) -> None:
        self.session, self.dialogs, self.settings = session, dialogs, settings

    def _ask_path(self, title: str, name: str, filt: str) -> str | None:
        start = str(Path(settings_path(self.settings, "lastExportDir", str(Path.home()))) / name)
        path, _ = self.dialogs.save_path(title, start, filt)
        if path:
            self.settings.setValue("lastExportDir", str(Path(path).parent))
        return path or None

    def export_view(self, view: QWidget, path: str | None = None) -> bool:
        """The latent map as shown, as a PNG."""
        path = path or self._ask_path("Export view", "latent_view.png", "PNG images (*.png)")
        if not path:
            return False
        ok = view.grab().save(path, "PNG")
        self.session.notify(f"Exported the view to {path}" if ok else f"Could not write {path}")
        return ok

    def export_manifold(self, mosaic, path: str | None = None) -> bool:
        """The decoded manifold mosaic at full resolution, as a PNG."""
        if mosaic is None:
            self.session.notify("No manifold yet: train or open a model first")
            return False
        path = path or self._ask_path("Export manifold", "manifold.png", "PNG images (*.png)")
        if not path:
            return False
        ok = to_qimage(mosaic).save(path, "PNG")
        self.session.notify(f"Exported the manifold to {path}" if ok else f"Could not write {path}")
        return ok

    def export_history(self, path: str | None = None) -> bool:
        """The per-epoch losses as CSV."""
        s = self.session
        rows = history_rows(s.history(), *s.partial_epochs(), s.setting_changes())
        if not rows:
            s.notify("No loss history yet: train at least one batch")
            return False
        path = path or self._ask_path("Export loss history", "loss_history.csv", "CSV files (*.csv)")
        if not path:
            return False
        try:
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(HISTORY_COLUMNS)
                w.writerows(rows)
        except OSError as exc:
            s.notify(f"Could not write {path}: {exc.strerror}")
            return False
        s.notify(f"Exported {len(rows)} rows of loss history to {path}")
        return True
