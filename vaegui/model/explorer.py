"""What the explorer points at and overlays: the selected point, the hover point, the
interpolation path (and its pick mode), posterior samples to mark, the time-lapse frame the map
replays, the classes the map hides, and the manifold the map drew (the time-lapse records it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal


@dataclass(frozen=True)
class PathEnd:
    """One end of the interpolation path: a full latent code and what it is."""

    z: np.ndarray
    label: str


class Explorer(QObject):
    """Selection, hover, path and overlays; setters emit only on change."""

    selection_changed = pyqtSignal(object)     # the selected full code z, or None
    hover_changed = pyqtSignal(object)         # the code under the cursor, or None
    path_changed = pyqtSignal()                # interpolation ends, steps or pick mode
    sample_marks_changed = pyqtSignal(object)  # (n, latent) codes of posterior samples to mark, or None
    manifold_shown = pyqtSignal(object, object, object)   # (mosaic, extent, Snapshot) the map drew
    replay_changed = pyqtSignal(object)        # a time-lapse MapFrame the map replays, or None (live)
    classes_changed = pyqtSignal(object)       # frozenset of class indices hidden on the map

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._selected: np.ndarray | None = None
        self._hover: np.ndarray | None = None
        self._ends: tuple[PathEnd, PathEnd] | None = None
        self._steps = 10
        self._picking = False
        self._picked: list[PathEnd] = []
        self._marks: np.ndarray | None = None
        self._replay = None
        self._replay_labels = None
        self._hidden: frozenset = frozenset()

    def reset(self) -> None:
        """A new model: no marks, no replay; selection and path forgotten (the caller announces)."""
        self.set_sample_marks(None)
        self.set_replay(None)
        self._selected = None
        self._ends, self._picked, self._picking = None, [], False

    # ------------------------------------------------------------------ selection and hover
    @property
    def selected(self) -> np.ndarray | None:
        return None if self._selected is None else self._selected.copy()

    def select(self, z: np.ndarray | None) -> None:
        z = None if z is None else np.asarray(z, float)
        if (z is None and self._selected is None) or (z is not None and self._selected is not None
                                                      and np.array_equal(z, self._selected)):
            return
        self._selected = z
        self.selection_changed.emit(None if z is None else z.copy())

    @property
    def hover(self) -> np.ndarray | None:
        return self._hover

    def set_hover(self, z: np.ndarray | None) -> None:
        if z is None and self._hover is None:
            return
        self._hover = None if z is None else np.asarray(z, float)
        self.hover_changed.emit(self._hover)

    # ------------------------------------------------------------------ interpolation
    @property
    def path_ends(self) -> tuple[PathEnd, PathEnd] | None:
        return self._ends

    @property
    def path_steps(self) -> int:
        return self._steps

    @property
    def picking(self) -> bool:
        return self._picking

    @property
    def picked(self) -> tuple[PathEnd, ...]:
        """Points clicked so far in pick mode (0 or 1)."""
        return tuple(self._picked)

    def set_picking(self, on: bool) -> None:
        if on == self._picking:
            return
        self._picking, self._picked = on, []
        self.path_changed.emit()
        if on:
            self._session.notify("Interpolation: click the start point on the map")

    def pick_point(self, z: np.ndarray, label: str) -> None:
        """A click in pick mode: the first sets the start, the second ends the pick."""
        self._picked.append(PathEnd(np.asarray(z, float), label))
        if len(self._picked) == 2:
            self._picking, ends, self._picked = False, tuple(self._picked), []
            self.set_path(*ends)
            return
        self.path_changed.emit()
        self._session.notify("Interpolation: now click the end point")

    def set_path(self, start: PathEnd | None, end: PathEnd | None = None) -> None:
        """The path between two codes (None clears it); says so in the status bar once."""
        ends = None if start is None or end is None else (start, end)
        self._ends = ends
        self.path_changed.emit()
        if ends is not None:
            self._session.notify(f"Interpolated {start.label} → {end.label} in {self._steps} steps")

    def path_between_test_images(self, i: int, j: int) -> None:
        s = self._session
        if s.explore_model is None or s.dataset is None or not s.compatible:
            return
        ds = s.dataset
        self.set_path(PathEnd(s.encode(ds.test_float(i))[0].astype(float), f"test #{i}"),
                      PathEnd(s.encode(ds.test_float(j))[0].astype(float), f"test #{j}"))

    def set_path_steps(self, steps: int) -> None:
        if steps == self._steps:
            return
        self._steps = int(steps)
        self.path_changed.emit()

    # ------------------------------------------------------------------ overlays
    @property
    def sample_marks(self) -> np.ndarray | None:
        """(n, latent) codes of posterior samples the map marks, or None."""
        return self._marks

    def set_sample_marks(self, z: np.ndarray | None) -> None:
        if z is None and self._marks is None:
            return
        self._marks = None if z is None else np.array(z, float)
        self.sample_marks_changed.emit(self._marks)

    def set_manifold(self, mosaic: np.ndarray, extent: tuple, snapshot) -> None:
        """The map drew `mosaic` over `extent` for `snapshot` (the time-lapse records from it)."""
        self.manifold_shown.emit(mosaic, extent, snapshot)

    @property
    def replay(self):
        """The time-lapse frame (engine MapFrame) the map replays instead of the live model, or None."""
        return self._replay

    @property
    def replay_labels(self) -> np.ndarray | None:
        return self._replay_labels

    def set_replay(self, frame, labels: np.ndarray | None = None) -> None:
        if frame is None and self._replay is None:
            return
        self._replay, self._replay_labels = frame, labels
        self.replay_changed.emit(frame)

    @property
    def hidden_classes(self) -> frozenset:
        """Class indices whose test images the map hides."""
        return self._hidden

    def set_hidden_classes(self, hidden) -> None:
        hidden = frozenset(int(c) for c in hidden)
        if hidden == self._hidden:
            return
        self._hidden = hidden
        self.classes_changed.emit(hidden)
