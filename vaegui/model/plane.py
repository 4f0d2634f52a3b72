"""The plane the map shows: two latent dimensions through a base code (a slice), or the PCA plane
of the snapshot's codes; and where the dimensions off the map are held (at zero, or at the
posterior mean of the last input).

The plane follows a new snapshot *before* the snapshot is announced (`follow_snapshot`), so a
panel that redraws on `snapshot_changed` draws the new plane once; nobody answers a snapshot
with `set_plane` (that was a second redraw of the map).
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal

HOLDS = ("zero", "input")


class PlaneState(QObject):
    """dims, base, projection and hold of the map's plane; setters emit only on change."""

    plane_changed = pyqtSignal()               # dims or base code of the map's plane
    projection_changed = pyqtSignal(str)       # "slice" or "pca": the kind of plane the map shows
    hold_changed = pyqtSignal(str)             # "zero" or "input": where the other dimensions are held

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._dims = (0, 1)
        self._base = np.zeros(2)
        self._projection = "slice"
        self._pca = None              # the PCA plane of the snapshot's codes (projection "pca")
        self._hold = "zero"

    def reset(self, latent_dim: int) -> None:
        """A new model: the first two dimensions through 0 (announced by the caller)."""
        self._dims = (0, min(1, latent_dim - 1))
        self._base = np.zeros(latent_dim)
        self._pca = None
        if latent_dim < 2 and self._projection != "slice":
            self._projection = "slice"
            self.projection_changed.emit("slice")

    @property
    def dims(self) -> tuple[int, int]:
        """The latent dimensions on the map's horizontal and vertical axes."""
        return self._dims

    @property
    def base(self) -> np.ndarray:
        """(latent,) code whose other dimensions the plane holds (a copy)."""
        return self._base.copy()

    def set_plane(self, dims: tuple[int, int] | None = None, base: np.ndarray | None = None) -> None:
        """Show the plane of `dims` through `base`. Two different dimensions are required
        (a 1-D model shows its one dimension against itself)."""
        dims = self._dims if dims is None else (int(dims[0]), int(dims[1]))
        base = self._base if base is None else np.asarray(base, float)
        L = self._session.latent_dim
        if not all(0 <= d < L for d in dims) or (dims[0] == dims[1] and L > 1):
            raise ValueError(f"the plane needs two different dimensions out of {L}, got {dims}")
        if base.shape != (L,):
            raise ValueError(f"the base code has {base.size} values, the model {L} dimensions")
        if dims == self._dims and np.array_equal(base, self._base):
            return
        self._dims, self._base = dims, base.copy()
        self.plane_changed.emit()

    # ------------------------------------------------------------------ where the others are held
    @property
    def hold(self) -> str:
        """"zero" (the prior's mean) or "input" (the posterior mean of the last input)."""
        return self._hold

    def set_hold(self, hold: str) -> None:
        if hold not in HOLDS:
            raise ValueError(f"hold is one of {HOLDS}, got {hold!r}")
        if hold != self._hold:
            self._hold = hold
            self.hold_changed.emit(hold)
        if hold == "zero":
            self.set_plane(base=np.zeros(self._session.latent_dim))
        else:
            self.follow_input()

    def _held_input_mean(self) -> np.ndarray | None:
        s = self._session
        if self._hold != "input":
            return None
        post = s.inputs.posterior(s.input)
        return None if post is None else np.asarray(post[0], float)

    def follow_input(self) -> None:
        """Holding at the last input: the plane passes through its posterior mean."""
        mu = self._held_input_mean()
        if mu is not None and mu.shape == self._base.shape:
            self.set_plane(base=mu)

    # ------------------------------------------------------------------ slice or PCA
    @property
    def projection(self) -> str:
        """"slice" (two latent dimensions, the others held) or "pca" (the principal plane)."""
        return self._projection

    @property
    def plane(self):
        """The engine plane the map shows: a SlicePlane of dims through base, or the PCA plane of
        the snapshot's codes (projection "pca")."""
        from engine import SlicePlane
        if self._projection == "pca" and self._pca is not None:
            return self._pca
        return SlicePlane(self._dims, self._base)

    def set_projection(self, kind: str) -> None:
        """Show an axis-aligned slice ("slice") or the PCA projection of the scatter's codes ("pca")."""
        if kind not in ("slice", "pca") or kind == self._projection:
            return
        if kind == "pca" and self._session.latent_dim < 2:
            self._session.notify("A PCA projection needs at least two latent dimensions")
            self.projection_changed.emit(self._projection)    # the chooser goes back
            return
        self._projection = kind
        self._pca = None
        if kind == "pca":
            self._update_pca(self._session.snapshot)
        self.projection_changed.emit(kind)
        self.plane_changed.emit()

    def follow_snapshot(self, snap) -> None:
        """A new snapshot is about to be announced: the PCA plane follows its codes and a held
        input its new posterior mean, silently (the snapshot's listeners redraw once)."""
        if self._projection == "pca":
            self._update_pca(snap)
        mu = self._held_input_mean() if snap is not None else None
        if mu is not None and mu.shape == self._base.shape:
            self._base = mu

    def _update_pca(self, snap) -> None:
        from engine import EngineError, pca_plane
        if snap is None or snap.codes is None or snap.codes.shape[1] != self._session.latent_dim:
            return
        try:
            self._pca = pca_plane(snap.codes, reference=self._pca)
        except EngineError:
            self._pca = None              # too few codes: the slice stands in

    # ------------------------------------------------------------------ coordinates
    def plane_to_z(self, x: float, y: float) -> np.ndarray:
        """The full code of point (x, y) of the map's plane."""
        return self.plane.codes(np.array([[x, y]]))[0]

    def project(self, z: np.ndarray) -> tuple[float, float]:
        """A full code's coordinates on the map's plane (its projection onto a PCA plane)."""
        a, b = self.plane.coords(np.asarray(z, float))[0]
        return float(a), float(b)
