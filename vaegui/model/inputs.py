"""The explorer's inputs: a test image the user dropped, a drawing, and which one is shown; and
their posteriors under the explored model, encoded once per snapshot for every panel.

A training snapshot brings its inputs' posteriors from the worker (`Snapshot.inputs`, encoded
between batches with the scatter subset); an input given between two snapshots is encoded here,
once, and the map, the inspector and the plane all read that one result.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal


@dataclass(frozen=True)
class InputImage:
    """An image the user gave the explorer: a dropped test image or a drawing."""

    kind: str                     # "drop" or "draw"
    caption: str
    image: np.ndarray             # (D,) float32 in [0, 1]
    index: int | None = None      # test-set index of a dropped image


def _dead() -> None:
    """A weak reference that never had a referent."""


class Inputs(QObject):
    """The dropped image and the drawing; `posterior(item)` is their one shared encoding."""

    inputs_changed = pyqtSignal()              # the dropped image, the drawing, or which is shown

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._dropped: InputImage | None = None
        self._drawing: InputImage | None = None
        self._shown = "drop"
        # posteriors under one explore model, held weakly: a cache must not keep an old snapshot's
        # model copy alive (5 MB for the MLP, 13 for the conv model)
        self._cache_for = _dead
        self._cache: dict[int, tuple[InputImage, np.ndarray, np.ndarray]] = {}

    @property
    def dropped(self) -> InputImage | None:
        return self._dropped

    @property
    def drawing(self) -> InputImage | None:
        return self._drawing

    @property
    def input(self) -> InputImage | None:
        """The input the inspector shows: the one given last, else the other."""
        first, second = (self._drawing, self._dropped) if self._shown == "draw" else \
            (self._dropped, self._drawing)
        return first or second

    def images(self) -> tuple[InputImage, ...]:
        """Both inputs (a snapshot taken now encodes them; safe to read from a worker thread)."""
        return tuple(i for i in (self._dropped, self._drawing) if i is not None)

    def posterior(self, item: InputImage | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(mu, logvar) of `item` under the explored model: the snapshot's, or encoded here once."""
        s = self._session
        model = s.explore_model
        if item is None or model is None or item.image.size != model.config.input_dim:
            return None
        if self._cache_for() is not model:
            self._cache_for, self._cache = weakref.ref(model), {}
            for it, mu, logvar in getattr(s.snapshot, "inputs", ()) or ():
                self._cache[id(it)] = (it, mu, logvar)
        hit = self._cache.get(id(item))
        if hit is None or hit[0] is not item:
            mu, logvar = s.encode(item.image)
            hit = self._cache[id(item)] = (item, mu, logvar)
        return hit[1], hit[2]

    # ------------------------------------------------------------------ giving inputs
    def drop_test_image(self, index: int) -> None:
        """The user dropped (or double-clicked) test image `index`."""
        s = self._session
        ds = s.dataset
        if s.model is None or ds is None or not s.compatible:
            s.notify("No model for these images yet: train one (Start) or open one (Ctrl+O)")
            return
        label = ""
        if ds.y_test is not None and ds.class_names:
            label = f" ({ds.class_names[int(ds.y_test[index])]})"
        self._dropped = InputImage("drop", f"Test #{index}{label}", ds.test_float(index), index)
        self._shown = "drop"
        self.changed()
        s.notify(f"Encoded test image #{index}{label}")

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The draw pad's image ((D,) in [0, 1]); blank or None clears the drawing."""
        s = self._session
        if image is None or not np.any(image):
            if self._drawing is None:
                return
            self._drawing = None
            self._shown = "drop"
            self.changed()
            s.notify("Cleared the drawing" + (f"; the Inspector shows {self._dropped.caption} again"
                                              if self._dropped is not None else ""))
            return
        if s.model is None:
            s.notify("No model yet: train one (Start) or open one (Ctrl+O) to encode your drawing")
            return
        image = np.asarray(image, np.float32)
        if image.size != s.model.config.input_dim:
            return
        self._drawing = InputImage("draw", "Your drawing", image)
        self._shown = "draw"
        self.changed()
        s.notify("Encoded your drawing: its reconstruction is in the Inspector, its posterior on the map")

    def changed(self) -> None:
        """Announce the inputs; a plane held at the last input moves to it first."""
        self._session.plane_state.follow_input()
        self.inputs_changed.emit()

    def forget(self) -> None:
        """Drop both inputs silently (a new model: the caller announces)."""
        self._dropped = self._drawing = None

    def clear(self) -> None:
        if self._dropped is None and self._drawing is None:
            return
        self.forget()
        self.inputs_changed.emit()
