"""Showing NumPy images in Qt: grey (H, W) or colour (H, W, 3) arrays -> QImage, and a widget
that paints one.

Every image the GUI shows (decoded points, reconstructions, the draw pad's input, gallery
thumbnails, the manifold, exports) goes through `to_qimage`, so the mapping from values to
pixels is the same everywhere; `as_image` turns one flat image row into its array.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QRectF, QSize, Qt
from PyQt5.QtGui import QColor, QImage, QPainter, QPixmap
from PyQt5.QtWidgets import QSizePolicy, QWidget


def as_image(flat: np.ndarray, image_shape) -> np.ndarray:
    """A flattened image row -> (H, W) for grey images, (H, W, C) for colour ones."""
    shape = tuple(image_shape)
    if len(shape) == 2 or shape[2] == 1:
        return flat.reshape(shape[0], shape[1])
    return flat.reshape(shape)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3) floats in [0, 1] (uint8 as it is) -> uint8, C-contiguous."""
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    return np.ascontiguousarray(np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8))


def to_qimage(img: np.ndarray) -> QImage:
    """(H, W) grey or (H, W, 3) RGB image (floats in [0, 1] or uint8) -> an 8-bit QImage
    (Grayscale8 or RGB888) that owns its pixels."""
    a = to_uint8(img)
    h, w = a.shape[:2]
    if a.ndim == 3:
        return QImage(a.data, w, h, 3 * w, QImage.Format_RGB888).copy()
    return QImage(a.data, w, h, w, QImage.Format_Grayscale8).copy()


def to_pixmap(img: np.ndarray, size: int) -> QPixmap:
    """A square-ish thumbnail: the image scaled so its longer side is `size` pixels."""
    q = to_qimage(img)
    return QPixmap.fromImage(q.scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation))


class ImageWidget(QWidget):
    """Paints one grey or colour image scaled to fit, aspect kept, with a caption under it.

    `image()` returns exactly the array last given to `set_image` (tests compare it with the
    engine's output), or None when the widget is empty; `pixels()` reads back the 8-bit picture
    it paints.
    """

    def __init__(self, caption: str = "", min_size: int = 96, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._caption = caption
        self._placeholder = "—"
        self._min = min_size
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(min_size, min_size + 18)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._min * 2, self._min * 2 + 18)

    def set_image(self, img: np.ndarray | None) -> None:
        """Show `img` ((H, W) grey or (H, W, 3) colour, floats in [0, 1]); None clears the widget."""
        self._array = None if img is None else np.asarray(img)
        self._qimage = None if img is None else to_qimage(self._array)
        self.update()

    def image(self) -> np.ndarray | None:
        return self._array

    def pixels(self) -> np.ndarray | None:
        """The picture being painted, read back from its QImage: (H, W) or (H, W, 3) uint8."""
        q = self._qimage
        if q is None:
            return None
        channels = 3 if q.format() == QImage.Format_RGB888 else 1
        ptr = q.constBits()
        ptr.setsize(q.bytesPerLine() * q.height())
        rows = np.frombuffer(ptr, np.uint8).reshape(q.height(), q.bytesPerLine())[:, :q.width() * channels]
        return rows.reshape((q.height(), q.width(), 3) if channels == 3 else (q.height(), q.width())).copy()

    def caption(self) -> str:
        return self._caption

    def set_caption(self, text: str) -> None:
        self._caption = text
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        r = self.rect()
        text_h = 18 if self._caption else 0
        area = QRectF(r.x() + 2, r.y() + 2, r.width() - 4, r.height() - 4 - text_h)
        p.fillRect(area, QColor(20, 20, 24))
        if self._qimage is not None:
            iw, ih = self._qimage.width(), self._qimage.height()
            scale = min(area.width() / iw, area.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.SmoothPixmapTransform, False)
            p.drawImage(target, self._qimage)
        else:
            p.setPen(QColor(140, 140, 150))
            p.drawText(area, Qt.AlignCenter | Qt.TextWordWrap, self._placeholder)
        if self._caption:
            p.setPen(self.palette().windowText().color())
            caption = p.fontMetrics().elidedText(self._caption, Qt.ElideRight, int(r.width()))   # "…" if too long
            p.drawText(QRectF(r.x(), r.bottom() - text_h, r.width(), text_h), Qt.AlignCenter, caption)
        p.end()
