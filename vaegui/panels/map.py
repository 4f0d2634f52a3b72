"""The latent map panel: the map's toolbar and LatentView, wired to the session.

It shows the session's snapshot (scatter of test codes, decoded manifold), the selected
point, the inputs' posteriors and the interpolation path on the plane the session holds, and
turns the user's gestures into session intent (select, hover, drop, pick). The manifold is
decoded here from the latest snapshot, debounced; when a decode costs more than a frame it
runs in the session's worker pool and the newest request wins (a `LatestJob` that lets a
running decode finish and serves the newest request after it). The inputs' posteriors are the
session's one encoding of them (`session.posterior`).
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QCursor
from PyQt5.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QToolTip, QVBoxLayout, QWidget
from superqt.utils import qdebounced

from ..model.datasets import same_shape
from ..model.describe import describe_shape, format_z
from ..model.latest_job import LatestJob
from ..widgets.labels import ElidedLabel
from ..widgets.latent_view import LatentView

DRAW_COLOUR = (60, 200, 255)
DROP_COLOUR = (255, 60, 60)
FRAME_S = 0.016          # a decode slower than a frame leaves the GUI thread
DEBOUNCE_MS = 80
MARK_COLOUR = (255, 220, 0)
HOVER_PX = 6             # a scatter point this close to the cursor names its class


def decode_plane(model, n: int, extent, plane) -> np.ndarray:
    """The manifold mosaic of `model` over `extent` of the map's plane (engine.plane_mosaic)."""
    from engine import plane_mosaic
    return plane_mosaic(model, plane, n, extent)


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
        self.fit_button.setToolTip("Frame where the data is: the aggregate posterior of the test images "
                                   "(mean ± 3 SD on the map's plane)")
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
        self.marks_item = pg.ScatterPlotItem(size=10, symbol="x", pen=pg.mkPen(MARK_COLOUR, width=2),
                                             brush=MARK_COLOUR)
        self.marks_item.setZValue(7)
        self.view.plot_item.addItem(self.marks_item)
        self.replay_text = pg.TextItem("", color=(255, 220, 120), anchor=(0, 0), fill=(0, 0, 0, 160))
        self.replay_text.setParentItem(self.view.vb)
        self.replay_text.setPos(8, 8)
        self._hover_tip = ""

        self.scatter_shown: tuple = (None, None)  # (points (n, 2), labels) the scatter shows
        self.mosaic: np.ndarray | None = None       # the manifold on show and the extent it spans
        self.extent: tuple[float, float, float, float] | None = None
        self.decode_seconds = 0.0                   # the last decode's cost: it picks the thread
        self.decode_job = LatestJob(session.workers, wait=True, parent=self)
        self.decode_job.done.connect(self._on_decoded)
        self._debounced = qdebounced(self.refresh_manifold, timeout=DEBOUNCE_MS, parent=self)

        v = self.view
        v.clicked.connect(self.click_at)
        v.hovered.connect(self._on_hovered)
        v.left_view.connect(lambda: session.set_hover(None))
        v.left_view.connect(lambda: self._show_hover_tip(""))
        v.marker_moved.connect(lambda x, y: session.select(session.plane_to_z(x, y)))
        v.image_dropped.connect(lambda index, x, y: session.drop_test_image(index))
        v.view_changed.connect(lambda *_: self._debounced())
        self.manifold_check.toggled.connect(v.show_manifold)
        self.scatter_check.toggled.connect(v.show_scatter)
        self.grid_spin.valueChanged.connect(lambda _: self.refresh_manifold())
        self.fit_button.clicked.connect(self.fit_to_data)
        self.reset_button.clicked.connect(lambda: v.reset_view())

        session.dataset_changed.connect(self._on_dataset_changed)
        session.model_changed.connect(self._on_model_changed)
        session.snapshot_changed.connect(self._on_snapshot)
        session.plane_changed.connect(self._on_plane_changed)
        session.selection_changed.connect(self._show_selection)
        session.inputs_changed.connect(self._show_inputs)
        session.path_changed.connect(self._show_path)
        session.training_changed.connect(self._on_training_changed)
        session.projection_changed.connect(lambda _: self._update_info())
        session.sample_marks_changed.connect(lambda _: self._show_marks())
        session.replay_changed.connect(self._on_replay)
        session.classes_changed.connect(lambda _: self._show_scatter())
        self._on_dataset_changed(session.dataset)
        self._on_model_changed(session.model)

    # -- gestures -> intent ---------------------------------------------------------------------
    def _on_hovered(self, x: float, y: float) -> None:
        s = self.session
        s.set_hover(s.plane_to_z(x, y) if s.explore_model is not None else None)
        self._show_hover_tip(self.class_near(x, y))

    def class_near(self, x: float, y: float) -> str:
        """The class name of the shown scatter point within HOVER_PX pixels of (x, y), or ""."""
        ds = self.session.dataset
        points, labels = self.scatter_shown
        if points is None or labels is None or ds is None or not ds.class_names or not self.view.scatter_visible():
            return ""
        px, py = self.view.vb.viewPixelSize()
        d2 = ((points[:, 0] - x) / px) ** 2 + ((points[:, 1] - y) / py) ** 2
        i = int(np.argmin(d2)) if len(d2) else -1
        if i < 0 or d2[i] > HOVER_PX ** 2:
            return ""
        return f"{ds.class_names[int(labels[i])]} (class {int(labels[i])})"

    def _show_hover_tip(self, text: str) -> None:
        if text == self._hover_tip:
            return
        self._hover_tip = text
        if text:
            QToolTip.showText(QCursor.pos(), text, self.view)
        else:
            QToolTip.hideText()

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
        s.notify(f"Decoded the point {format_z(z)} — drag the marker to move it")

    # -- the session -> the view ------------------------------------------------------------------
    def _on_dataset_changed(self, ds) -> None:
        self.view.set_classes(ds.class_names if ds is not None and ds.labelled else None)
        self._update_info()

    def _on_training_changed(self, state) -> None:
        self._update_info()
        if state.phase == "idle" and state.outcome in ("completed", "stopped"):
            self.fit_to_data()        # the run is over: frame where the data ended up

    def fit_to_data(self) -> None:
        """Frame the aggregate posterior of the scatter subset on the map's plane (mean ± 3 SD)."""
        from engine import aggregate_extent
        snap = self.session.snapshot
        logvars = None if snap is None else getattr(snap, "logvars", None)
        if snap is None or snap.codes is None or logvars is None or snap.codes.shape[1] != self.session.latent_dim:
            self.view.fit_to_scatter()
            return
        x0, x1, y0, y1 = aggregate_extent(self.session.plane, snap.codes, logvars, sds=3.0)
        self.view.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)

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
        plane = s.plane
        if plane.kind == "projection":
            kind = "projection onto the test codes' 2 principal components"
        elif model.config.latent_dim > 2:
            kind = f"slice through {' × '.join(plane.axis_names)}, other dimensions held"
        else:
            kind = "the whole 2-D latent space" if model.config.latent_dim == 2 else "1-D latent space"
        text = f"{model.config.latent_dim}-D latent · {describe_shape(shape)} images · {kind}"
        if s.training.running:
            text += f" — training on {s.dataset_label}"
        elif s.dataset is not None and not same_shape(s.dataset.image_shape, shape):
            text += f" — the data set has {describe_shape(s.dataset.image_shape)} images: Start trains a model for it"
        self.info.setText(text)

    def _on_snapshot(self, snap) -> None:
        if self.session.replay is not None:
            return                    # replaying the time-lapse: Live brings the snapshot back
        self._show_scatter()
        if snap is None:
            self.mosaic = self.extent = None
            self.view.set_manifold(None)
        else:
            self.refresh_manifold()
        self._show_inputs()
        self._show_path()

    def _on_plane_changed(self) -> None:
        names = self.session.plane.axis_names
        self.view.plot_item.setLabel("bottom", names[0])
        self.view.plot_item.setLabel("left", names[1])
        self._update_info()
        self._show_marks()
        if self.session.replay is not None:
            return
        self._show_scatter()
        self._show_selection(self.session.selected)
        self._show_inputs()
        self._show_path()
        self.refresh_manifold()

    def _show_scatter(self) -> None:
        s = self.session
        snap = s.snapshot
        if s.replay is not None:
            points, labels = s.replay.positions, s.replay_labels
        elif snap is None or snap.codes is None or snap.codes.shape[1] != s.latent_dim:
            self.scatter_shown = (None, None)
            self.view.set_scatter(None)
            return
        else:
            points, labels = s.plane.coords(snap.codes), snap.labels
        if labels is not None and s.hidden_classes:
            keep = ~np.isin(labels, list(s.hidden_classes))
            points, labels = points[keep], labels[keep]
        self.scatter_shown = (points, labels)
        self.view.set_scatter(points, labels)

    def _show_selection(self, z) -> None:
        if z is None or z.size != self.session.latent_dim:
            self.view.set_marker(None)
        else:
            self.view.set_marker(*self.session.project(z))

    def _show_inputs(self) -> None:
        from engine import projected_ellipse
        s = self.session
        for key, item, colour in (("drop", s.dropped, DROP_COLOUR), ("draw", s.drawing, DRAW_COLOUR)):
            post = s.posterior(item)
            if post is None:
                self.view.set_posterior(None, key=key)
                continue
            mu, logvar = post
            plane = s.plane
            self.view.set_posterior(s.project(mu), projected_ellipse(plane, mu, logvar, 1.0),
                                    projected_ellipse(plane, mu, logvar, 2.0), colour, key=key)

    def _show_path(self) -> None:
        from engine import interpolate
        s = self.session
        if s.picking and s.picked:
            self.view.set_path(s.plane.coords(s.picked[0].z))
        elif s.path_ends is not None and s.path_ends[0].z.size == s.latent_dim:
            codes = interpolate(s.path_ends[0].z, s.path_ends[1].z, s.path_steps)
            self.view.set_path(s.plane.coords(codes))
        else:
            self.view.set_path(None)

    def _show_marks(self) -> None:
        """The session's posterior samples as crosses on the plane."""
        z = self.session.sample_marks
        if z is None or z.shape[1] != self.session.latent_dim:
            self.marks_item.clear()
        else:
            self.marks_item.setData(pos=self.session.plane.coords(z))

    def _on_replay(self, frame) -> None:
        """A time-lapse frame replaces the live manifold and scatter (None: live again)."""
        if frame is None:
            self.replay_text.setText("")
            self._on_snapshot(self.session.snapshot)
            return
        self.replay_text.setText(f"Replay: epoch {frame.epoch:.2f} ({'projection' if frame.plane == 'projection' else 'slice'})")
        self.mosaic, self.extent = frame.mosaic / 255.0, frame.extent
        self.view.set_manifold(self.mosaic, self.extent)
        self._show_scatter()

    # -- the manifold -------------------------------------------------------------------------------
    def manifold_params(self) -> tuple | None:
        """(n, extent, plane) of the manifold the map wants now (None without a model)."""
        model = self.session.explore_model
        if model is None:
            return None
        shape = model.config.image_shape
        return (self.grid_spin.value(), self.view.covering_extent(shape[1] / shape[0]), self.session.plane)

    def refresh_manifold(self) -> None:
        """Decode the manifold over the visible plane now (here if that is cheap, else in a
        worker; a request made while one is decoding is served when it returns)."""
        self._debounced.cancel()
        model, params = self.session.explore_model, self.manifold_params()
        if params is None or self.session.replay is not None:
            return
        snap = self.session.snapshot
        if self.decode_job.busy:
            self._submit(model, params, snap)       # served when the running decode returns
            return
        if self.decode_seconds <= FRAME_S:
            t0 = time.perf_counter()
            mosaic = decode_plane(model, *params)
            self.decode_seconds = time.perf_counter() - t0
            self._show_mosaic(mosaic, params, snap)
            return
        self._submit(model, params, snap)

    @property
    def decoding(self) -> bool:
        """True while a manifold decode runs (or waits) in the worker pool."""
        return self.decode_job.busy

    def _submit(self, model, params: tuple, snap) -> None:
        self.decode_job.submit(self._decode_timed, model, params, snap)

    @staticmethod
    def _decode_timed(model, params: tuple, snap) -> tuple:
        t0 = time.perf_counter()
        mosaic = decode_plane(model, *params)
        return mosaic, params, model, snap, time.perf_counter() - t0

    def _on_decoded(self, result: tuple) -> None:
        mosaic, params, model, snap, seconds = result
        self.decode_seconds = seconds
        if model is self.session.explore_model and self.session.replay is None:
            self._show_mosaic(mosaic, params, snap)

    def _show_mosaic(self, mosaic: np.ndarray, params: tuple, snap=None) -> None:
        self.mosaic, self.extent = mosaic, params[1]
        self.view.set_manifold(mosaic, self.extent)
        self.session.set_manifold(mosaic, self.extent, snap)
