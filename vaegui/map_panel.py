"""The latent map panel: the map's toolbar and LatentView, wired to the session.

It shows the session's snapshot (scatter of test codes, decoded manifold), the selected
point, the inputs' posteriors and the interpolation path on the plane the session holds, and
turns the user's gestures into session intent (select, hover, drop, pick). The manifold is
decoded here from the latest snapshot, debounced; when a decode costs more than a frame it
runs in the session's worker pool and the newest request wins.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from superqt.utils import FunctionWorker

from .elided_label import ElidedLabel
from .images import describe_shape
from .latent_view import LatentView
from .session import same_shape

DRAW_COLOUR = (60, 200, 255)
DROP_COLOUR = (255, 60, 60)
FRAME_S = 0.016          # a decode slower than a frame leaves the GUI thread
DEBOUNCE_MS = 80


def decode_plane(model, n: int, extent, dims, base) -> np.ndarray:
    """The manifold mosaic of `model` over `extent` (engine.latent_plane)."""
    from engine import latent_plane
    return latent_plane(model, n, extent, dims, base)


class MapPanel(QWidget):
    """Toolbar (manifold / scatter toggles, grid size, fit, reset, a note) over the LatentView."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        self.manifold_check = QCheckBox("Manifold", objectName="manifoldCheck", checked=True)
        self.manifold_check.setToolTip("Show the decoded images tiled over the visible part of the latent plane")
        self.scatter_check = QCheckBox("Scatter", objectName="scatterCheck", checked=True)
        self.scatter_check.setToolTip("Show the posterior means of a few thousand test images, coloured by label")
        self.grid_spin = QSpinBox(objectName="gridSpin", minimum=4, maximum=40, value=20)
        self.grid_spin.setToolTip("Manifold resolution: images per side")
        self.fit_button = QPushButton("Fit to data", objectName="fitButton")
        self.fit_button.setToolTip("Zoom to where the test images' codes lie")
        self.reset_button = QPushButton("Reset view", objectName="resetViewButton")
        self.reset_button.setToolTip("Show the square [-4, 4] x [-4, 4] of the latent plane")
        self.info = ElidedLabel("", objectName="mapInfo", elide=Qt.ElideLeft)
        self.info.set_tip("Which model the map shows, and whether it fits the data set")
        self.info.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        bar.addWidget(self.manifold_check)
        bar.addWidget(self.scatter_check)
        grid_label = QLabel("Grid")
        grid_label.setToolTip("Manifold resolution: images per side")
        bar.addWidget(grid_label)
        bar.addWidget(self.grid_spin)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.reset_button)
        bar.addWidget(self.info, 1)
        lay.addLayout(bar)
        self.view = LatentView()
        lay.addWidget(self.view, 1)
        self.view.set_manifold(None)
        self.empty_text = pg.TextItem("Train a model (Start) or open one (Ctrl+O)", color=(200, 200, 200),
                                      anchor=(0.5, 0.5))
        self.view.plot_item.addItem(self.empty_text, ignoreBounds=True)

        self.mosaic: np.ndarray | None = None       # the manifold on show and the extent it spans
        self.extent: tuple[float, float, float, float] | None = None
        self.decode_seconds = 0.0                   # the last decode's cost: it picks the thread
        self._job: FunctionWorker | None = None
        self._job_params = None
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh_manifold)

        v = self.view
        v.clicked.connect(self.click_at)
        v.hovered.connect(lambda x, y: session.set_hover(session.plane_to_z(x, y)
                                                         if session.explore_model is not None else None))
        v.left_view.connect(lambda: session.set_hover(None))
        v.marker_moved.connect(lambda x, y: session.select(session.plane_to_z(x, y)))
        v.image_dropped.connect(lambda index, x, y: session.drop_test_image(index))
        v.view_changed.connect(self._debounce.start)
        self.manifold_check.toggled.connect(v.show_manifold)
        self.scatter_check.toggled.connect(v.show_scatter)
        self.grid_spin.valueChanged.connect(lambda _: self.refresh_manifold())
        self.fit_button.clicked.connect(v.fit_to_scatter)
        self.reset_button.clicked.connect(lambda: v.reset_view())

        session.dataset_changed.connect(self._on_dataset_changed)
        session.model_changed.connect(self._on_model_changed)
        session.snapshot_changed.connect(self._on_snapshot)
        session.plane_changed.connect(self._on_plane_changed)
        session.selection_changed.connect(self._show_selection)
        session.inputs_changed.connect(self._show_inputs)
        session.path_changed.connect(self._show_path)
        session.training_changed.connect(lambda _: self._update_info())
        self._on_dataset_changed(session.dataset)
        self._on_model_changed(session.model)

    # -- gestures -> intent ---------------------------------------------------------------------
    def click_at(self, x: float, y: float) -> None:
        """A left click at plane point (x, y): select it, or pick a path end in pick mode."""
        s = self.session
        if s.explore_model is None:
            s.notify("No model yet: train one (Start) or open one (Ctrl+O)")
            return
        z = s.plane_to_z(x, y)
        if s.picking:
            s.pick_point(z, f"({x:+.2f}, {y:+.2f})")
            return
        s.select(z)
        from .image_panel import format_z
        s.notify(f"Decoded the point {format_z(z)} — drag the marker to move it")

    # -- the session -> the view ------------------------------------------------------------------
    def _on_dataset_changed(self, ds) -> None:
        self.view.set_classes(ds.class_names if ds is not None and ds.labelled else None)
        self._update_info()

    def _on_model_changed(self, model) -> None:
        self.empty_text.setVisible(model is None)
        self.view.set_marker(None)
        self.view.reset_view()
        self._on_plane_changed()
        self._update_info()

    def _update_info(self) -> None:
        """The corner note: which model the map shows, and whether it fits the data set."""
        s = self.session
        model = s.model
        if model is None:
            self.info.setText("")
            return
        shape = model.config.image_shape
        text = f"{model.config.latent_dim}-D latent · {describe_shape(shape)} images"
        if s.training.running:
            text += f" — training on {s.dataset_label}"
        elif s.dataset is not None and not same_shape(s.dataset.image_shape, shape):
            text += f" — the data set has {describe_shape(s.dataset.image_shape)} images: Start trains a model for it"
        self.info.setText(text)

    def _on_snapshot(self, snap) -> None:
        self._show_scatter()
        if snap is None:
            self.mosaic = self.extent = None
            self.view.set_manifold(None)
        else:
            self.refresh_manifold()
        self._show_inputs()
        self._show_path()

    def _on_plane_changed(self) -> None:
        self.view.set_axis_labels(*self.session.dims)
        self._show_scatter()
        self._show_selection(self.session.selected)
        self._show_inputs()
        self._show_path()
        self.refresh_manifold()

    def _show_scatter(self) -> None:
        snap = self.session.snapshot
        if snap is None or snap.codes is None or snap.codes.shape[1] != self.session.latent_dim:
            self.view.set_scatter(None)
            return
        dx, dy = self.session.dims
        self.view.set_scatter(snap.codes[:, [dx, dy]], snap.labels)

    def _show_selection(self, z) -> None:
        if z is None or z.size != self.session.latent_dim:
            self.view.set_marker(None)
        else:
            self.view.set_marker(*self.session.project(z))

    def _show_inputs(self) -> None:
        from engine import posterior_ellipse
        s = self.session
        for key, item, colour in (("drop", s.dropped, DROP_COLOUR), ("draw", s.drawing, DRAW_COLOUR)):
            if item is None or s.explore_model is None or item.image.size != s.explore_model.config.input_dim:
                self.view.set_posterior(None, key=key)
                continue
            mu, logvar = s.encode(item.image)
            self.view.set_posterior(s.project(mu), posterior_ellipse(mu, logvar, s.dims, 1.0),
                                    posterior_ellipse(mu, logvar, s.dims, 2.0), colour, key=key)

    def _show_path(self) -> None:
        from engine import interpolate
        s = self.session
        dx, dy = s.dims
        if s.picking and s.picked:
            z = s.picked[0].z
            self.view.set_path(np.array([[z[dx], z[dy]]]))
        elif s.path_ends is not None and s.path_ends[0].z.size == s.latent_dim:
            codes = interpolate(s.path_ends[0].z, s.path_ends[1].z, s.path_steps)
            self.view.set_path(codes[:, [dx, dy]])
        else:
            self.view.set_path(None)

    # -- the manifold -------------------------------------------------------------------------------
    def manifold_params(self) -> tuple | None:
        """(n, extent, dims, base) of the manifold the map wants now (None without a model)."""
        model = self.session.explore_model
        if model is None:
            return None
        shape = model.config.image_shape
        return (self.grid_spin.value(), self.view.covering_extent(shape[1] / shape[0]), self.session.dims,
                self.session.base)

    def refresh_manifold(self) -> None:
        """Decode the manifold over the visible plane now (here if that is cheap, else in a
        worker; a request made while one is decoding is served when it returns)."""
        self._debounce.stop()
        model, params = self.session.explore_model, self.manifold_params()
        if params is None:
            return
        if self._job is not None:
            self._job_params = "again"              # served by _on_job_done
            return
        if self.decode_seconds <= FRAME_S:
            t0 = time.perf_counter()
            mosaic = decode_plane(model, *params)
            self.decode_seconds = time.perf_counter() - t0
            self._show_mosaic(mosaic, params)
            return
        job = FunctionWorker(decode_plane, model, *params)
        job.returned.connect(lambda mosaic, p=params, m=model: self._on_job_returned(mosaic, p, m))
        job.finished.connect(self._on_job_done)
        self._job, self._job_params, self._job_t0 = job, None, time.perf_counter()
        if not self.session.workers.start(job):
            self._job = None                        # closing: nothing to draw any more

    def _on_job_returned(self, mosaic, params, model) -> None:
        self.decode_seconds = time.perf_counter() - self._job_t0
        if model is self.session.explore_model:
            self._show_mosaic(mosaic, params)

    def _on_job_done(self) -> None:
        self._job = None
        if self._job_params == "again":
            self._job_params = None
            self.refresh_manifold()

    def _show_mosaic(self, mosaic: np.ndarray, params: tuple) -> None:
        self.mosaic, self.extent = mosaic, params[1]
        self.view.set_manifold(mosaic, self.extent)
