"""The window's data sets: the chooser, loading folders in a worker, recent folders.

A mixin of MainWindow: it uses the window's panels, explorer, settings and status bar.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import Qt

from engine import folder_name, load_mnist

MAX_RECENT = 8
_MNIST_CACHE: dict[str, object] = {}


def load_default_dataset():
    """The bundled MNIST, loaded once per process."""
    if "mnist" not in _MNIST_CACHE:
        _MNIST_CACHE["mnist"] = load_mnist()
    return _MNIST_CACHE["mnist"]


def describe_dataset(ds) -> str:
    """One line about a data set, e.g. "60,000 train / 10,000 test images, 28×28 px, 10 classes"."""
    h, w = ds.image_shape
    labels = f"{len(ds.class_names)} classes" if ds.labelled and ds.class_names else "unlabelled"
    return f"{len(ds.x_train):,} train / {len(ds.x_test):,} test images, {w}×{h} px, {labels}"


class DataSetsMixin:
    """Data sets of a MainWindow: self._datasets holds (label, Dataset, folder path or None)."""

    def add_dataset(self, label: str, dataset, folder: str | None) -> None:
        """Add a data set to the dataset chooser and switch to it."""
        self._datasets.append((label, dataset, folder))
        self.panel.dataset_combo.addItem(label)
        self.panel.dataset_combo.setItemData(self.panel.dataset_combo.count() - 1,
                                             folder or "the bundled MNIST", Qt.ToolTipRole)
        self.set_dataset(len(self._datasets) - 1)

    def set_dataset(self, index: int) -> None:
        label, ds, _ = self._datasets[index]
        self.dataset = ds
        self.panel.dataset_combo.setCurrentIndex(index)
        self.panel.dataset_info.setText(describe_dataset(ds))
        compatible = self.model is None or self.model.config.image_shape == tuple(ds.image_shape)
        self.explorer.set_dataset(ds if compatible else None)
        self._update_map_info()
        if self.model is not None and compatible:
            self.explorer.compute_scatter()
        elif not compatible:
            h, w = self.model.config.image_shape
            self.show_status(f"Switched to {label}; the current model expects {w}×{h} images, so the "
                             f"gallery and scatter are empty until you train a model on {label}")
        self.dataset_changed.emit()

    def _on_dataset_selected(self, index: int) -> None:
        if 0 <= index < len(self._datasets) and self._datasets[index][1] is not self.dataset:
            self.set_dataset(index)
            self.show_status(f"Data set: {self._datasets[index][0]} — {describe_dataset(self.dataset)}")

    def use_mnist(self) -> None:
        for i, (_, ds, folder) in enumerate(self._datasets):
            if folder is None and ds.name == "mnist":
                self.set_dataset(i)
                self.show_status(f"Data set: MNIST — {describe_dataset(ds)}")
                return
        self.add_dataset("MNIST", load_default_dataset(), None)

    def open_folder(self, path: str | bool | None = None) -> None:
        """Ask for a folder and its options (starting at `path` or the last folder), then load it
        in a worker thread. (QAction.triggered passes a bool here: it is ignored.)"""
        if self.training.running:
            self.show_status("Stop training before loading another data set")
            return
        start = path if isinstance(path, str) and path else (self._recent_folders() or [""])[0]
        self.folders.ask_and_load(self, start)

    def load_folder_now(self, path: str, image_size=None, invert=None, test_fraction: float = 0.1) -> None:
        """Load a folder without the dialog (--data, recent folders, tests)."""
        self.folders.load(self, path, image_size, invert, test_fraction)

    def _on_folder_loaded(self, path: str, result) -> None:
        ds = result.dataset
        self._last_skipped = list(result.skipped)
        label = folder_name(path)
        self._remember_folder(path)
        self.add_dataset(label, ds, path)
        n_ok, n_skip = len(result.loaded) if hasattr(result.loaded, "__len__") else int(result.loaded), len(result.skipped)
        self.show_status(f"{n_ok:,} images loaded, {n_skip:,} skipped — {label}: {describe_dataset(ds)}")
        self.details_button.setVisible(n_skip > 0)
        pending, self._pending_model = self._pending_model, None
        if pending is not None and tuple(ds.image_shape) == tuple(pending[0].model.config.image_shape):
            self._attach_model(*pending)

    def _on_folder_failed(self, path: str, message: str, skipped) -> None:
        self._pending_model = None     # its data did not come: never attach it to a later load
        self._last_skipped = list(skipped or [])
        self.details_button.setVisible(bool(self._last_skipped))
        prev = self._datasets[self.panel.dataset_combo.currentIndex()][0] if self._datasets else "nothing"
        self.show_status(f"Could not load {Path(path).name}: {message} — {prev} stays loaded")
        if message != "cancelled":
            self._warn("Could not load the folder",
                                f"{path}\n\n{message}\n\nThe current data set ({prev}) stays loaded.")

    def _show_skipped(self) -> None:
        from .folder_dialog import SkippedDialog
        SkippedDialog(getattr(self, "_last_skipped", []), self).exec_()

    def _recent_folders(self) -> list[str]:
        v = self.settings.value("recentFolders", [])
        if isinstance(v, str):
            v = [v]
        return [str(p) for p in (v or [])]

    def _remember_folder(self, path: str) -> None:
        rec = [p for p in self._recent_folders() if p != path]
        self.settings.setValue("recentFolders", [path] + rec[: MAX_RECENT - 1])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        rec = self._recent_folders()
        for p in rec:
            a = self.recent_menu.addAction(p, lambda p=p: self.open_folder(p))
            a.setToolTip(f"Open {p} again")
        self.recent_menu.setEnabled(bool(rec))
