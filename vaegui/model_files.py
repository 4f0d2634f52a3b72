"""The window's model files: save (atomically, by the engine), open, and the image-size check.

A mixin of MainWindow: it uses the window's model state, panels, explorer and status bar.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtWidgets import QFileDialog, QMessageBox


class ModelFilesMixin:
    """Save / Open model for a MainWindow."""

    def _maybe_discard(self, what: str) -> bool:
        """True if there is no unsaved model, or the user agrees to lose (or saves) it."""
        if not self.dirty or not self.confirm:
            return True
        box = QMessageBox(QMessageBox.Question, "Unsaved model",
                          f"The current model has not been saved. Save it before you {what}?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self)
        box.setDefaultButton(QMessageBox.Save)
        answer = box.exec_()
        if answer == QMessageBox.Save:
            return self.save_model()
        return answer == QMessageBox.Discard

    def save_model(self, ask: bool = False, path: str | None = None) -> bool:
        """Save to the current file (or ask for one); True if saved. Works while training too."""
        if self.model is None:
            self.show_status("Nothing to save: train or open a model first")
            return False
        if path is None:
            path = self.model_path if (self.model_path and not ask) else None
        if path is None:
            # a data set's name may hold parent folders ("frey_faces/images"): not a path here
            ds = self.dataset.name.replace("/", "_") if self.dataset is not None else "model"
            start = str(Path(self.settings.value("lastModelDir", str(Path.home()))) /
                        f"vae_{ds}_z{self.model.config.latent_dim}.npz")
            path, _ = QFileDialog.getSaveFileName(self, "Save model", start, "Latent Lab models (*.npz)")
            if not path:
                return False
            if not path.endswith(".npz"):
                path += ".npz"
        # a running run holds still between two batches while it is written, then goes on
        resume_after = self.training.running and not self.training.is_paused
        try:
            if not self.training.wait_until_paused():
                self.show_status("Training did not pause in time; the model was not saved")
                return False
            return self._write_model(path)
        finally:
            if resume_after:
                self.training.resume()

    def _write_model(self, path: str) -> bool:
        from engine import EngineError, save_model
        try:
            trainer = self.trainer
            if trainer is None and self.model_file is not None and self.dataset is not None \
                    and tuple(self.dataset.image_shape) == tuple(self.model.config.image_shape):
                from engine import Trainer     # keeps history, optimizer and RNG state in the file
                trainer = Trainer.resume(self.model_file, self.dataset)
            if trainer is not None:
                save_model(path, self.model, trainer, trainer.data)
            else:                              # an opened model: keep what its file held
                save_model(path, self.model, source=self.model_file)
        except (EngineError, OSError) as exc:
            self.show_status(f"Could not save: {exc}")
            self._warn("Could not save the model", str(exc))
            return False
        self.model_path = path
        self.settings.setValue("lastModelDir", str(Path(path).parent))
        self.dirty = False
        self._update_model_label()
        self.show_status(f"Saved model to {path}")
        return True

    def open_model(self, path: str | None = None) -> bool:
        """Open a saved model; if its image size differs from the data set's, offer to switch."""
        from engine import EngineError, load_model
        if self.training.running:
            self.show_status("Stop training before opening another model")
            return False
        if not self._maybe_discard("open another model"):
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open model", self.settings.value("lastModelDir", ""),
                                                  "Latent Lab models (*.npz);;All files (*)")
            if not path:
                return False
        try:
            mf = load_model(path)
        except (EngineError, OSError) as exc:
            self.show_status(f"Could not open {Path(path).name}: {exc}")
            self._warn("Could not open the model", f"{path}\n\n{exc}")
            return False
        self.settings.setValue("lastModelDir", str(Path(path).parent))
        shape = tuple(mf.model.config.image_shape)
        if self.dataset is None or tuple(self.dataset.image_shape) != shape:
            if not self._resolve_mismatch(mf, path):
                return False
        self._attach_model(mf, path)
        return True

    def _resolve_mismatch(self, mf, path: str) -> bool:
        """The model's images differ from the data set's: switch data, open without data, or cancel."""
        h, w = mf.model.config.image_shape
        dh, dw = self.dataset.image_shape
        name = mf.dataset_name or "unknown data"
        box = QMessageBox(QMessageBox.Question, "Image size differs",
                          f"{Path(path).name} was trained on {w}×{h} images ({name}), but the current data set "
                          f"has {dw}×{dh} images.", parent=self)
        switch_mnist = switch_folder = None
        folder = self._folder_for(mf)
        if (h, w) == (28, 28) and str(name).lower() in ("mnist", "unknown data"):
            switch_mnist = box.addButton("Switch to MNIST", QMessageBox.AcceptRole)
        elif folder is not None:
            switch_folder = box.addButton(f"Load {Path(folder).name}", QMessageBox.AcceptRole)
        elif (h, w) == (28, 28):
            switch_mnist = box.addButton("Switch to MNIST", QMessageBox.AcceptRole)
        bare = box.addButton("Open without data", QMessageBox.DestructiveRole)
        box.addButton(QMessageBox.Cancel)
        box.setInformativeText("Switch to a matching data set, or open the model without data "
                               "(the map and draw pad work; no gallery or scatter).")
        if not self.confirm:      # scripted use: take the first offer
            chosen = switch_mnist or switch_folder or bare
        else:
            box.exec_()
            chosen = box.clickedButton()
        if chosen is switch_mnist and chosen is not None:
            self.use_mnist()
            return True
        if chosen is switch_folder and chosen is not None:
            loaded = self._loaded_index(folder, (h, w))
            if loaded is not None:                      # already in the list: switch to it
                self.set_dataset(loaded)
                return True
            self._pending_model = (mf, path)
            opts = mf.folder_options() if mf.dataset_source == folder else {}
            self.folders.load(self, folder, (h, w), opts.get("invert"), opts.get("test_fraction", 0.1))
            return False
        if chosen is bare:
            return True
        self.show_status("Opening the model was cancelled")
        return False

    def _folder_for(self, mf) -> str | None:
        """The folder a model was trained on: the path its file records, else one of that name
        opened before (models saved without a source record only the name)."""
        source = mf.dataset_source
        if source and source != "mnist" and Path(source).exists():
            return source
        name = mf.dataset_name
        for p in [d[2] for d in self._datasets if d[2]] + self._recent_folders():
            if p and name and (Path(p).name == name or p == name) and Path(p).exists():
                return p
        return None

    def _loaded_index(self, folder: str, shape: tuple[int, int]) -> int | None:
        """Index of a data set already loaded from `folder` at this image size, if any."""
        for i, (_, ds, path) in enumerate(self._datasets):
            if path and Path(path).resolve() == Path(folder).resolve() and tuple(ds.image_shape) == shape:
                return i
        return None

    def _attach_model(self, mf, path: str) -> None:
        self.model, self.trainer, self.model_file, self.model_path = mf.model, None, mf, path
        self.dirty = False
        self.panel.show_config(mf.model.config, mf.train_config)
        self.panel.continue_check.setEnabled(True)
        self.loss_plots.show_history(mf.history)
        compatible = self.dataset is not None and tuple(self.dataset.image_shape) == tuple(mf.model.config.image_shape)
        self.explorer.set_dataset(self.dataset if compatible else None)
        if not compatible:
            self.draw_pad.set_image_shape(mf.model.config.image_shape)
        self.explorer.set_model(mf.model, reset=True)
        self.explorer.compute_scatter()
        self.map.view.reset_view()
        last = mf.history[-1] if mf.history else None
        loss = f", test loss {last.test_loss:.1f}" if last else ""
        self.show_status(f"Opened {Path(path).name} — {mf.model.config.latent_dim}-D latent, "
                         f"{mf.epochs_done} epochs on {mf.dataset_name or 'unknown data'}{loss}")
        self._update_model_label()
        self.model_changed.emit()
