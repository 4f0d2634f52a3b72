"""The 2-D latent map: decoded manifold and test-set scatter on the same axes, with markers.

A pure view: it draws what it is given and reports the user's gestures as signals in latent
coordinates (the two plane dimensions). All items are created once and updated with
setData / setImage.

Signals
- clicked(x, y), hovered(x, y), marker_moved(x, y): plane coordinates.
- left_view(): the cursor left the plot.
- image_dropped(index, x, y): a gallery image (test-set index) was dropped on the map.
- view_changed(): pan / zoom changed the visible range.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QPointF, Qt, pyqtSignal
from PyQt5.QtGui import QColor

from .class_scatter import ClassScatter
from .palette import distinct_colours

MIME_TEST_INDEX = "application/x-latentlab-test-index"
DEFAULT_RANGE = 4.0

UNLABELLED_COLOUR = (80, 170, 255)


def class_colours(n: int) -> list[QColor]:
    """One distinguishable colour per class (palette.distinct_colours)."""
    return [QColor(*(int(v) for v in c)) for c in distinct_colours(n)]


class LatentView(pg.PlotWidget):
    """The explorer's graphics view (objectName latentView)."""

    clicked = pyqtSignal(float, float)
    hovered = pyqtSignal(float, float)
    left_view = pyqtSignal()
    marker_moved = pyqtSignal(float, float)
    image_dropped = pyqtSignal(int, float, float)
    view_changed = pyqtSignal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("latentView")
        self.setToolTip("Latent plane: click to decode a point, hover for a preview, drag the marker, "
                        "drop a gallery image to encode it; wheel zooms, drag pans")
        self.setAcceptDrops(True)
        self.plot_item = self.getPlotItem()
        self.vb = self.plot_item.getViewBox()
        self.vb.setAspectLocked(True)
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("bottom", "left"):
            self.plot_item.getAxis(axis).enableAutoSIPrefix(False)
        self.set_axis_labels(0, 1)
        self.plot_item.setMenuEnabled(False)

        self.manifold_item = pg.ImageItem(axisOrder="row-major")
        self.manifold_item.setZValue(-10)
        self.manifold_item.setOpacity(0.9)
        self.plot_item.addItem(self.manifold_item)
        self.scatter_item = ClassScatter(size=4)
        self.plot_item.addItem(self.scatter_item)
        self._scatter_on = True

        self.interp_item = pg.PlotDataItem(pen=pg.mkPen((255, 220, 0), width=2), symbol="o", symbolSize=7,
                                           symbolBrush=(255, 220, 0), symbolPen="k")
        self.interp_item.setZValue(5)
        self.plot_item.addItem(self.interp_item)

        self._posteriors: dict[str, tuple] = {}     # key -> (mean item, 1-sigma curve, 2-sigma curve)
        for key in ("drop", "draw"):
            self._posterior_items(key)

        self.marker = pg.TargetItem(pos=(0, 0), size=16, movable=True, pen=pg.mkPen((255, 255, 255), width=2),
                                    brush=(255, 255, 255, 60))
        self.marker.setZValue(10)
        self.marker.setVisible(False)
        self.plot_item.addItem(self.marker)
        self.marker.sigPositionChanged.connect(self._on_marker_moved)

        self.legend = pg.LegendItem(offset=(-8, 8), labelTextSize="8pt", labelTextColor=(235, 235, 235), brush=(0, 0, 0, 170))
        self.legend.setParentItem(self.vb)
        self._legend_key: tuple | None = None
        self._scatter_points = np.zeros((0, 2), np.float32)

        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.scene().sigMouseMoved.connect(self._on_scene_moved)
        self.vb.sigRangeChanged.connect(lambda *_: self.view_changed.emit())
        self._suppress_marker_signal = False
        self.reset_view()

    # -- drawing -------------------------------------------------------------------------
    def set_axis_labels(self, dx: int, dy: int) -> None:
        self.plot_item.setLabel("bottom", f"z[{dx}]")
        self.plot_item.setLabel("left", f"z[{dy}]")

    def reset_view(self, r: float = DEFAULT_RANGE) -> None:
        self.vb.setRange(xRange=(-r, r), yRange=(-r, r), padding=0)

    def covering_extent(self, aspect: float = 1.0) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) covering the visible range with width / height = `aspect`.

        With aspect = image width / height, the cells of an n x n manifold grid have the images'
        own proportions, so tiles are not stretched.
        """
        (x0, x1), (y0, y1) = self.vb.viewRange()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half_h = max((y1 - y0) / 2, (x1 - x0) / 2 / aspect)
        half_w = half_h * aspect
        return cx - half_w, cx + half_w, cy - half_h, cy + half_h

    def set_manifold(self, mosaic: np.ndarray | None, extent: tuple[float, float, float, float] | None = None) -> None:
        """mosaic: image-convention mosaic (row 0 = highest y) spanning `extent`."""
        if mosaic is None:
            self.manifold_item.clear()
            return
        x0, x1, y0, y1 = extent
        # row-major ImageItem draws row 0 at the lowest y: flip to image convention
        self.manifold_item.setImage(mosaic[::-1], levels=(0.0, 1.0), autoLevels=False)
        self.manifold_item.setRect(x0, y0, x1 - x0, y1 - y0)

    def set_classes(self, class_names: list[str] | None) -> None:
        """Colours and legend: one entry per class, or a single colour when unlabelled."""
        key = tuple(class_names) if class_names else None
        if key == self._legend_key and self.scatter_item.n_colours:
            return
        self._legend_key = key
        self.legend.clear()
        if not class_names:
            self.scatter_item.set_colours([QColor(*UNLABELLED_COLOUR)])
            self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, pen=None, brush=UNLABELLED_COLOUR),
                                "test images (unlabelled)")
            return
        colours = class_colours(len(class_names))
        self.scatter_item.set_colours(colours)
        if len(class_names) <= 20:
            self.legend.setColumnCount(2 if len(class_names) > 10 else 1)
            for name, c in zip(class_names, colours):
                self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, pen=None, brush=c), name)
        else:
            self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=8, pen=None, brush=colours[0]),
                                f"{len(class_names)} classes")

    @property
    def n_colours(self) -> int:
        return self.scatter_item.n_colours

    def set_scatter(self, points: np.ndarray | None, labels: np.ndarray | None = None) -> None:
        """points: (n, 2) plane coordinates of posterior means; labels: (n,) class indices or None."""
        if not self.scatter_item.n_colours:
            self.set_classes(None)
        self._scatter_points = np.zeros((0, 2), np.float32) if points is None else np.asarray(points)
        self.scatter_item.set_points(points, labels)

    def points_per_class(self) -> list[int]:
        """How many scatter points each class's colour shows."""
        return self.scatter_item.counts()

    def scatter_visible(self) -> bool:
        return self._scatter_on

    def scatter_points(self) -> np.ndarray:
        return self._scatter_points

    def fit_to_scatter(self) -> None:
        """Zoom to where the scatter is (1st to 99th percentile, padded)."""
        p = self._scatter_points
        if len(p) < 2:
            self.reset_view()
            return
        lo, hi = np.percentile(p, [0.5, 99.5], axis=0)
        pad = 0.1 * (hi - lo).max() + 1e-3
        self.vb.setRange(xRange=(lo[0] - pad, hi[0] + pad), yRange=(lo[1] - pad, hi[1] + pad), padding=0)

    def set_marker(self, x: float | None, y: float | None = None) -> None:
        """Move the clicked-point marker without re-emitting marker_moved; None hides it."""
        if x is None:
            self.marker.setVisible(False)
            return
        self._suppress_marker_signal = True
        self.marker.setPos(QPointF(x, y))
        self._suppress_marker_signal = False
        self.marker.setVisible(True)

    def _posterior_items(self, key: str) -> tuple:
        if key not in self._posteriors:
            mean = pg.ScatterPlotItem(size=14, symbol="+", pen=pg.mkPen("w", width=1))
            e1, e2 = pg.PlotCurveItem(), pg.PlotCurveItem()
            for it in (e1, e2, mean):
                it.setZValue(6)
                self.plot_item.addItem(it)
            self._posteriors[key] = (mean, e1, e2)
        return self._posteriors[key]

    def set_posterior(self, mean: tuple[float, float] | None, outline1: np.ndarray | None = None,
                      outline2: np.ndarray | None = None, colour: tuple[int, int, int] = (255, 60, 60),
                      key: str = "drop") -> None:
        """Mark a posterior: its mean, and its 1- and 2-sigma ellipses ((n, 2) outlines from the engine).

        key: "drop" (a gallery image) or "draw" (the draw pad); each keeps its own marker.
        """
        mean_item, e1, e2 = self._posterior_items(key)
        if mean is None:
            mean_item.clear()
            e1.setData([], [])
            e2.setData([], [])
            return
        mean_item.setData(pos=[mean], pen=pg.mkPen("w", width=1), brush=colour)
        e1.setPen(pg.mkPen(colour, width=2))
        e2.setPen(pg.mkPen(colour, width=1.5, style=Qt.DashLine))
        e1.setData(outline1[:, 0], outline1[:, 1])
        e2.setData(outline2[:, 0], outline2[:, 1])

    def posterior(self, key: str = "drop") -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(mean (2,), 1-sigma outline xs, ys) as drawn, or None."""
        mean_item, e1, _ = self._posterior_items(key)
        data = mean_item.getData()
        if len(data[0]) == 0:
            return None
        xs, ys = e1.getData()
        return np.array([data[0][0], data[1][0]]), xs, ys

    def set_path(self, points: np.ndarray | None) -> None:
        """Interpolation path: (steps, 2) plane coordinates, or None to clear."""
        if points is None:
            self.interp_item.setData([], [])
        else:
            self.interp_item.setData(points[:, 0], points[:, 1])

    def show_manifold(self, on: bool) -> None:
        self.manifold_item.setVisible(on)

    def show_scatter(self, on: bool) -> None:
        self._scatter_on = on
        self.scatter_item.setVisible(on)
        self.legend.setVisible(on)

    # -- gestures ------------------------------------------------------------------------
    def _in_view(self, scene_pos) -> bool:
        return self.vb.sceneBoundingRect().contains(scene_pos)

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.LeftButton or not self._in_view(ev.scenePos()):
            return
        p = self.vb.mapSceneToView(ev.scenePos())
        self.clicked.emit(p.x(), p.y())

    def _on_scene_moved(self, scene_pos) -> None:
        if not self._in_view(scene_pos):
            self.left_view.emit()
            return
        p = self.vb.mapSceneToView(scene_pos)
        self.hovered.emit(p.x(), p.y())

    def leaveEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        super().leaveEvent(ev)
        self.left_view.emit()

    def _on_marker_moved(self) -> None:
        if self._suppress_marker_signal:
            return
        p = self.marker.pos()
        self.marker_moved.emit(p.x(), p.y())

    # -- drops from the gallery -----------------------------------------------------------
    def dragEnterEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        if ev.mimeData().hasFormat(MIME_TEST_INDEX):
            ev.acceptProposedAction()
        else:
            super().dragEnterEvent(ev)

    def dragMoveEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        if ev.mimeData().hasFormat(MIME_TEST_INDEX):
            ev.acceptProposedAction()
        else:
            super().dragMoveEvent(ev)

    def dropEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        md = ev.mimeData()
        if not md.hasFormat(MIME_TEST_INDEX):
            super().dropEvent(ev)
            return
        index = int(bytes(md.data(MIME_TEST_INDEX)).decode())
        p = self.vb.mapSceneToView(self.mapToScene(ev.pos()))
        ev.acceptProposedAction()
        self.image_dropped.emit(index, p.x(), p.y())
