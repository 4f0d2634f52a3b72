"""The explorer: the latent map with its toolbar, and the controller that connects the map,
the inspector, the gallery, the interpolation strip, the draw pad and the dimension sliders
to a model.

The controller decodes and encodes in the GUI thread, always on `self.model`: the trained
model when training is over, a snapshot the worker copied between batches while training
runs (so the weights never change under it), or a loaded model.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                             QWidget)

from .image_panel import format_z
from .latent_view import LatentView

SCATTER_SIZE = 3000
DRAW_COLOUR = (60, 200, 255)
DROP_COLOUR = (255, 60, 60)


def scatter_subset(dataset, n: int = SCATTER_SIZE) -> tuple[np.ndarray, np.ndarray | None]:
    """A fixed, seeded subset of the test set for the scatter: (x (n, D), labels (n,) or None)."""
    count = len(dataset.x_test)
    idx = np.sort(np.random.default_rng(0).permutation(count)[: min(n, count)])
    x = np.ascontiguousarray(dataset.x_test[idx])
    y = None if dataset.y_test is None else dataset.y_test[idx]
    return x, y


class MapWidget(QWidget):
    """The latent view with a toolbar: manifold / scatter toggles, grid size, fit and reset."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.info = QLabel("", objectName="mapInfo")
        self.info.setToolTip("Which model the map shows")
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
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


class Explorer(QObject):
    """Connects a model and a data set to the map and the side panels."""

    status = pyqtSignal(str)
    manifold_params_changed = pyqtSignal(object)    # (n, extent, dims, base): for the worker

    def __init__(self, map_widget: MapWidget, image_panel, gallery_panel, interp_panel, draw_panel,
                 dims_panel) -> None:
        super().__init__(map_widget)
        self.map, self.view = map_widget, map_widget.view
        self.images, self.gallery, self.interp = image_panel, gallery_panel, interp_panel
        self.draw, self.dims = draw_panel, dims_panel
        self.model = None
        self.dataset = None
        self._scatter_mu: np.ndarray | None = None      # (n, latent) full codes
        self._scatter_labels: np.ndarray | None = None
        self._selected: np.ndarray | None = None        # full z of the clicked point
        self._input: tuple[str, np.ndarray] | None = None  # (caption, image (D,)) last dropped / drawn
        self._drawing: np.ndarray | None = None           # the draw pad's image, if any
        self._shown_key = "drop"                          # which input the inspector shows
        self._ends: list[tuple[np.ndarray, str]] = []    # interpolation end points
        self._picking = False
        self._picked: list[tuple[np.ndarray, str]] = []  # points clicked so far in pick mode
        self._gallery_ends: list[tuple[np.ndarray, str] | None] = [None, None]
        self.path_codes: np.ndarray | None = None
        self.last_mu: np.ndarray | None = None
        self.last_logvar: np.ndarray | None = None
        self.mosaic: np.ndarray | None = None
        self.extent: tuple[float, float, float, float] | None = None
        self._manifold_timer = QTimer(self, singleShot=True, interval=80)
        self._manifold_timer.timeout.connect(self.refresh_manifold)

        v = self.view
        v.clicked.connect(self.on_clicked)
        v.hovered.connect(self.on_hovered)
        v.left_view.connect(lambda: self.images.hover.set_image(None))
        v.marker_moved.connect(self.on_marker_moved)
        v.image_dropped.connect(self.on_image_dropped)
        v.view_changed.connect(lambda: self._manifold_timer.start())
        m = self.map
        m.manifold_check.toggled.connect(v.show_manifold)
        m.scatter_check.toggled.connect(v.show_scatter)
        m.grid_spin.valueChanged.connect(lambda _: self.refresh_manifold())
        m.fit_button.clicked.connect(v.fit_to_scatter)
        m.reset_button.clicked.connect(lambda: v.reset_view())
        g = self.gallery
        g.list.show_requested.connect(lambda i: self.show_test_image(i))
        g.list.interpolate_from.connect(lambda i: self._set_end(0, i))
        g.list.interpolate_to.connect(lambda i: self._set_end(1, i))
        g.interpolate_selected.connect(self.interpolate_images)
        self.interp.pick_toggled.connect(self._on_pick_toggled)
        self.interp.steps_changed.connect(lambda _: self._update_path())
        self.interp.cleared.connect(self.clear_path)
        self.draw.canvas.drawing_changed.connect(self.on_drawing)
        self.dims.changed.connect(self._on_dims_changed)

    # -- model and data -------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim if self.model is not None else 2

    def set_dataset(self, dataset) -> None:
        """The data behind the gallery, the scatter colours and the draw pad's shape (None: no data)."""
        self.dataset = dataset
        self._scatter_mu = None
        self.view.set_scatter(None)
        self.view.set_classes(dataset.class_names if dataset is not None and dataset.labelled else None)
        if dataset is None:
            self.gallery.set_images(None, (28, 28))
        else:
            self.gallery.set_images(dataset.x_test, dataset.image_shape)
            self.draw.canvas.set_image_shape(dataset.image_shape)
        self._input = None
        self._drawing = None
        self.view.set_posterior(None, key="drop")
        self.view.set_posterior(None, key="draw")
        self.images.clear_input()

    def set_model(self, model, reset: bool = False, refresh_manifold: bool = True,
                  mosaic: np.ndarray | None = None, mosaic_params: tuple | None = None) -> None:
        """Explore `model` (must not be trained concurrently). reset=True: a different model;
        refresh_manifold=False keeps the old mosaic (cheap mid-epoch updates while training);
        `mosaic` is a manifold the training worker already decoded for `mosaic_params` (used if
        they are still the current ones, which spares the GUI thread the decoding)."""
        new_dims = self.model is None or model is None or model.config.latent_dim != self.latent_dim
        self.model = model
        self.map.empty_text.setVisible(model is None)
        if model is None:
            self.view.set_manifold(None)
            self.view.set_scatter(None)
            self.view.set_marker(None)
            self.view.set_posterior(None, key="drop")
            self.view.set_posterior(None, key="draw")
            self.view.set_path(None)
            self.images.clear()
            self.interp.show_strip(None, "")
            return
        if new_dims or reset:
            self.dims.set_latent_dim(model.config.latent_dim)
            self._selected = None
            self._ends, self._picked = [], []
            self.images.clear_selection()
            self.view.set_marker(None)
            self.view.set_path(None)
            self.interp.show_strip(None, "Pick two map points or two gallery images")
            self.view.set_axis_labels(*self.dims.dims())
        if mosaic is not None and not (reset or new_dims) and self._same_params(mosaic_params):
            self.mosaic, self.extent = mosaic, mosaic_params[1]
            self.view.set_manifold(mosaic, self.extent)
        elif refresh_manifold or reset or new_dims or self.mosaic is None:
            self.refresh_manifold()
        self._redecode()

    def compute_scatter(self) -> None:
        """Encode the scatter subset with the current model (a loaded or finished model)."""
        if self.model is None or self.dataset is None:
            return
        x, y = scatter_subset(self.dataset)
        mu, _ = self.model.encode(x)
        self.set_scatter(mu, y)

    def set_scatter(self, mu: np.ndarray, labels: np.ndarray | None) -> None:
        """Posterior means (n, latent) of the scatter subset, projected onto the shown plane."""
        self._scatter_mu, self._scatter_labels = mu, labels
        dx, dy = self.dims.dims()
        if mu.shape[1] != self.latent_dim:
            return
        self.view.set_scatter(mu[:, [dx, dy]], labels)

    # -- decoding helpers -------------------------------------------------------------------
    def plane_to_z(self, x: float, y: float) -> np.ndarray:
        """Full latent code for a point on the shown plane: the held values elsewhere."""
        z = self.dims.base()
        dx, dy = self.dims.dims()
        z[dy] = y
        z[dx] = x
        return z

    def _project(self, z: np.ndarray) -> tuple[float, float]:
        dx, dy = self.dims.dims()
        return float(z[dx]), float(z[dy])

    def decode_one(self, z: np.ndarray) -> np.ndarray:
        """(latent,) -> (H, W) image."""
        h, w = self.model.config.image_shape
        return self.model.decode(z[None, :])[0].reshape(h, w)

    # -- the map's gestures --------------------------------------------------------------------
    def on_clicked(self, x: float, y: float) -> None:
        if self.model is None:
            self.status.emit("No model yet: train one (Start) or open one (Ctrl+O)")
            return
        z = self.plane_to_z(x, y)
        if self._picking:
            self._picked.append((z, f"({x:+.2f}, {y:+.2f})"))
            if len(self._picked) == 2:
                self._ends, self._picked = self._picked, []
                self._picking = False
                self.interp.set_picking(False)
                self._update_path()
            else:
                self.view.set_path(np.array([[x, y]]))
                self.status.emit("Interpolation: now click the end point")
            return
        self.select(z)
        self.status.emit(f"Decoded the point {format_z(z)} — drag the marker to move it")

    def select(self, z: np.ndarray) -> None:
        """Decode z, show it large, and put the marker there."""
        self._selected = np.asarray(z, float)
        x, y = self._project(self._selected)
        self.images.show_decoded(self.decode_one(self._selected), self._selected)
        self.view.set_marker(x, y)

    def on_marker_moved(self, x: float, y: float) -> None:
        if self.model is None:
            return
        self._selected = self.plane_to_z(x, y)
        self.images.show_decoded(self.decode_one(self._selected), self._selected)

    def on_hovered(self, x: float, y: float) -> None:
        if self.model is not None:
            self.images.hover.set_image(self.decode_one(self.plane_to_z(x, y)))

    # -- encoding: dropped images and drawings ----------------------------------------------------
    def on_image_dropped(self, index: int, x: float = 0.0, y: float = 0.0) -> None:
        self.show_test_image(index)

    def show_test_image(self, index: int) -> None:
        """Encode test image `index`: original | reconstruction, posterior mean and ellipses."""
        if self.model is None or self.dataset is None:
            self.status.emit("No model yet: train one (Start) or open one (Ctrl+O)")
            return
        label = ""
        if self.dataset.y_test is not None and self.dataset.class_names:
            label = f" ({self.dataset.class_names[int(self.dataset.y_test[index])]})"
        self._encode_input(f"Test #{index}{label}", self.dataset.x_test[index], key="drop")
        self.status.emit(f"Encoded test image #{index}{label}")

    def on_drawing(self, img: np.ndarray) -> None:
        if self.model is None:
            if img.any():
                self.status.emit("No model yet: train one (Start) or open one (Ctrl+O) to encode your drawing")
            return
        if not img.any():
            self._drawing = None
            self.view.set_posterior(None, key="draw")
            if self._input is not None:       # the dropped image (still marked on the map) again
                self._encode_input(*self._input, key="drop")
            else:
                self.images.clear_input()
            return
        if img.size != self.model.config.input_dim:
            return
        self._drawing = np.asarray(img, np.float32)
        self._encode_input("Your drawing", img, key="draw")
        self.status.emit("Encoded your drawing: its reconstruction is in the Inspector, its posterior on the map")

    def _encode_input(self, caption: str, x: np.ndarray, key: str = "drop") -> None:
        """Encode one image: show it beside its reconstruction, mark its posterior on the map."""
        from engine import posterior_ellipse
        if key == "drop":
            self._input = (caption, np.asarray(x, np.float32))
        self._shown_key = key
        x = np.asarray(x, np.float32)
        h, w = self.model.config.image_shape
        mu, logvar = self.model.encode(x[None, :])
        mu, logvar = mu[0], logvar[0]
        recon = self.model.decode(mu[None, :])[0]
        self.last_mu, self.last_logvar = mu, logvar
        dims = self.dims.dims()
        sigma = np.exp(0.5 * logvar)
        text = "  ".join(f"z[{d}]: {mu[d]:+.2f} ± {sigma[d]:.2f}" for d in dict.fromkeys(dims))
        self.images.show_pair(x.reshape(h, w), recon.reshape(h, w), caption, "posterior " + text)
        self.view.set_posterior(self._project(mu), posterior_ellipse(mu, logvar, dims, 1.0),
                                posterior_ellipse(mu, logvar, dims, 2.0),
                                DRAW_COLOUR if key == "draw" else DROP_COLOUR, key=key)
        self.dims.set_last_code(mu)

    # -- interpolation ----------------------------------------------------------------------------
    def _on_pick_toggled(self, on: bool) -> None:
        self._picking = on
        self._picked = []
        if on:
            self.status.emit("Interpolation: click the start point on the map")
        elif len(self._ends) == 2:              # given up half-way: the previous path again
            self._update_path()
        else:
            self.view.set_path(None)

    def _code_of_test_image(self, index: int) -> np.ndarray:
        mu, _ = self.model.encode(self.dataset.x_test[index][None, :])
        return mu[0].astype(float)

    def _set_end(self, which: int, index: int) -> None:
        """Gallery context menu: use test image `index` as the start (0) or end (1) of the path."""
        if self.model is None or self.dataset is None:
            return
        self._gallery_ends[which] = (self._code_of_test_image(index), f"test #{index}")
        if all(e is not None for e in self._gallery_ends):
            self._ends = list(self._gallery_ends)
            self._gallery_ends = [None, None]
            self._update_path()
        else:
            self.status.emit(f"Interpolation {'start' if which == 0 else 'end'}: test #{index}; "
                             f"now choose the {'end' if which == 0 else 'start'}")

    def interpolate_images(self, i: int, j: int) -> None:
        """The path between the posterior means of test images i and j."""
        if self.model is None or self.dataset is None:
            return
        self._ends = [(self._code_of_test_image(i), f"test #{i}"), (self._code_of_test_image(j), f"test #{j}")]
        self._update_path()

    def interpolate_codes(self, z0: np.ndarray, z1: np.ndarray) -> None:
        self._ends = [(np.asarray(z0, float), "start"), (np.asarray(z1, float), "end")]
        self._update_path()

    def clear_path(self) -> None:
        self._ends = []
        self.view.set_path(None)
        self.interp.show_strip(None, "Pick two map points or two gallery images")

    def _update_path(self) -> None:
        from engine import interpolate, tile_images
        if self.model is None or len(self._ends) != 2:
            return
        steps = self.interp.steps_spin.value()
        codes = interpolate(self._ends[0][0], self._ends[1][0], steps)   # (steps, latent)
        images = self.model.decode(codes)
        self.path_codes = codes
        self.interp.show_strip(tile_images(images, self.model.config.image_shape, 1, steps),
                               f"{self._ends[0][1]} → {self._ends[1][1]}, {steps} steps")
        dx, dy = self.dims.dims()
        self.view.set_path(codes[:, [dx, dy]])
        self.status.emit(f"Interpolated {self._ends[0][1]} → {self._ends[1][1]} in {steps} steps")

    # -- manifold and dims ------------------------------------------------------------------------
    def manifold_params(self) -> tuple | None:
        """(n, extent, dims, base) of the manifold the map wants now (None without a model)."""
        if self.model is None:
            return None
        h, w = self.model.config.image_shape
        return (self.map.grid_spin.value(), self.view.covering_extent(w / h), self.dims.dims(),
                self.dims.base())

    def _same_params(self, params: tuple | None) -> bool:
        cur = self.manifold_params()
        if params is None or cur is None:
            return False
        return (params[0] == cur[0] and np.allclose(params[1], cur[1]) and tuple(params[2]) == tuple(cur[2])
                and np.array_equal(params[3], cur[3]))

    def refresh_manifold(self) -> None:
        """Decode an n x n grid over the visible range of the plane (cells shaped like the images)."""
        from engine import latent_plane
        params = self.manifold_params()
        if params is None:
            return
        n, extent, dims, base = params
        self.mosaic = latent_plane(self.model, n, extent, dims, base)
        self.extent = extent
        self.view.set_manifold(self.mosaic, extent)
        self.manifold_params_changed.emit(params)

    def _on_dims_changed(self) -> None:
        self.view.set_axis_labels(*self.dims.dims())
        if self._scatter_mu is not None:
            self.set_scatter(self._scatter_mu, self._scatter_labels)
        self.refresh_manifold()
        self._redecode()

    def _redecode(self) -> None:
        """After a model or plane change: redraw the selected point, the input and the path."""
        if self.model is None:
            return
        if self._selected is not None and self._selected.size == self.latent_dim:
            # keep the marker's plane position, take the other dims from the sliders
            x, y = self._project(self._selected)
            self.select(self.plane_to_z(x, y))
        inputs = []
        if self._drawing is not None and self._drawing.size == self.model.config.input_dim:
            inputs.append(("Your drawing", self._drawing, "draw"))
        if self._input is not None and self._input[1].size == self.model.config.input_dim:
            inputs.append((*self._input, "drop"))
        inputs.sort(key=lambda t: t[2] == self._shown_key)    # the one on show last: it stays on show
        for caption, x, key in inputs:
            self._encode_input(caption, x, key=key)
        if len(self._ends) == 2 and self._ends[0][0].size == self.latent_dim:
            self._update_path()
