"""A draw pad: draw with the mouse at the data set's image shape; the drawing is encoded live.

Strokes are painted with a round antialiased pen on a canvas `SUPERSAMPLE` times larger than
the data's images, then averaged down block by block to (H, W), which gives the soft edges of
scanned digits. `drawing_changed` fires at most every `EMIT_MS` while drawing and once when a
stroke ends, with the (H*W*C,) float32 image in [0, 1] (None once cleared).  Grey models draw
white on black, as MNIST's digits are; colour models draw with a pen colour on a background
colour (default: a warm yellow on white, the ground colour folders are composited onto).
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter, QPen
from PyQt5.QtWidgets import QSizePolicy, QWidget

SUPERSAMPLE = 8
EMIT_MS = 30
PEN_COLOUR = (235, 170, 30)
BACKGROUND_COLOUR = (255, 255, 255)


class DrawCanvas(QWidget):
    """The drawing surface (objectName drawPad)."""

    drawing_changed = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawPad")
        self.setToolTip("Draw with the left mouse button (right button erases); the drawing is encoded as "
                        "you draw and its reconstruction and posterior appear live")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(140, 140)
        self.setCursor(Qt.CrossCursor)
        self.pen_width = 2.4          # in data-image pixels
        self.pen_colour, self.background_colour = PEN_COLOUR, BACKGROUND_COLOUR   # colour models only
        self._drawn = False           # anything drawn since the canvas was last blank
        self._last: QPointF | None = None
        self._erasing = False
        self._timer = QTimer(self, singleShot=True, interval=EMIT_MS)
        self._timer.timeout.connect(self._emit)
        self.set_image_shape((28, 28))

    # -- canvas --------------------------------------------------------------------------
    def set_image_shape(self, shape: tuple[int, ...]) -> None:
        """Start a blank canvas for images of shape (H, W) or (H, W, C), C = 1 grey or 3 colour."""
        self.image_shape = (int(shape[0]), int(shape[1])) + ((3,) if tuple(shape)[2:] == (3,) else ())
        h, w = self.image_shape[:2]
        fmt = QImage.Format_RGB888 if self.colour else QImage.Format_Grayscale8
        self._canvas = QImage(w * SUPERSAMPLE, h * SUPERSAMPLE, fmt)
        self._blank()

    @property
    def colour(self) -> bool:
        return len(self.image_shape) == 3

    def _ground(self) -> QColor:
        return QColor(*self.background_colour) if self.colour else QColor(0, 0, 0)

    def _ink(self) -> QColor:
        return QColor(*self.pen_colour) if self.colour else QColor(255, 255, 255)

    def _blank(self) -> None:
        self._canvas.fill(self._ground())
        self._drawn = False
        self.update()

    def set_colours(self, pen: tuple[int, int, int] | None = None,
                    background: tuple[int, int, int] | None = None) -> None:
        """Pen and background colours (r, g, b) for colour models; a new background starts a
        blank canvas of that colour."""
        if pen is not None:
            self.pen_colour = tuple(pen)
        if background is not None and tuple(background) != self.background_colour:
            self.background_colour = tuple(background)
            if self.colour:
                self.clear()

    def clear(self) -> None:
        self._blank()
        self._emit()

    def image(self) -> np.ndarray:
        """The drawing at the data's shape: (H*W*C,) float32 in [0, 1], row-major (H, W, C)."""
        h, w = self.image_shape[:2]
        c = 3 if self.colour else 1
        s = SUPERSAMPLE
        bpl = self._canvas.bytesPerLine()
        ptr = self._canvas.constBits()
        ptr.setsize(bpl * self._canvas.height())
        big = np.frombuffer(ptr, np.uint8).reshape(self._canvas.height(), bpl)[:, : w * s * c]
        small = big.reshape(h, s, w, s, c).mean(axis=(1, 3), dtype=np.float32) / 255.0
        return small.reshape(-1).astype(np.float32)

    def stroke(self, points: list[tuple[float, float]], erase: bool = False) -> None:
        """Draw a polyline given in relative canvas coordinates (0..1, 0..1), then emit."""
        cw, ch = self._canvas.width(), self._canvas.height()
        pts = [QPointF(x * cw, y * ch) for x, y in points]
        self._paint_segment(pts[0], pts[0], erase)
        for a, b in zip(pts, pts[1:]):
            self._paint_segment(a, b, erase)
        self._emit()

    def _paint_segment(self, a: QPointF, b: QPointF, erase: bool) -> None:
        p = QPainter(self._canvas)
        p.setRenderHint(QPainter.Antialiasing, True)
        self._drawn = self._drawn or not erase
        pen = QPen(self._ground() if erase else self._ink(),
                   self.pen_width * SUPERSAMPLE * (2.0 if erase else 1.0), Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        if a == b:                      # a dab: a filled disc the pen's width
            r = pen.widthF() / 2
            p.setPen(Qt.NoPen)
            p.setBrush(pen.color())
            p.drawEllipse(a, r, r)
        else:
            p.setPen(pen)
            p.drawLine(a, b)
        p.end()
        self.update()

    # -- geometry ------------------------------------------------------------------------
    def _target(self) -> QRectF:
        cw, ch = self._canvas.width(), self._canvas.height()
        scale = min(self.width() / cw, self.height() / ch)
        w, h = cw * scale, ch * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_canvas(self, pos) -> QPointF:
        t = self._target()
        return QPointF((pos.x() - t.x()) / t.width() * self._canvas.width(),
                       (pos.y() - t.y()) / t.height() * self._canvas.height())

    # -- Qt events -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        t = self._target()
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        p.drawImage(t, self._canvas)
        p.setPen(QColor(90, 90, 100))
        p.drawRect(t.adjusted(0, 0, -1, -1))
        p.end()

    def mousePressEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        if ev.button() in (Qt.LeftButton, Qt.RightButton):
            self._erasing = ev.button() == Qt.RightButton
            self._last = self._to_canvas(ev.pos())
            self._paint_segment(self._last, self._last, self._erasing)
            self._timer.start()

    def mouseMoveEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        if self._last is None:
            return
        cur = self._to_canvas(ev.pos())
        self._paint_segment(self._last, cur, self._erasing)
        self._last = cur
        if not self._timer.isActive():
            self._timer.start()

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        if self._last is not None:
            self._last = None
            self._timer.stop()
            self._emit()

    def _emit(self) -> None:
        self.drawing_changed.emit(self.image() if self._drawn else None)
