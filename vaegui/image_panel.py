"""The inspector: the decoded image of the selected point, the hover preview, and an input
beside its reconstruction (a dropped gallery image or the draw pad)."""
from __future__ import annotations

import numpy as np
from PyQt5.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from .images import ImageWidget


def format_z(z: np.ndarray, limit: int = 6) -> str:
    parts = [f"{v:+.2f}" for v in np.ravel(z)[:limit]]
    if np.size(z) > limit:
        parts.append("…")
    return "z = (" + ", ".join(parts) + ")"


class ImagePanel(QWidget):
    """decodedImage (large), a hover preview, and originalImage | reconstructionImage."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagePanel")
        self.setMinimumWidth(230)     # narrower, "Reconstruction" and the input's caption get cut
        g = QGridLayout(self)
        g.setContentsMargins(4, 4, 4, 4)
        self.decoded = ImageWidget("Selected point", min_size=140)
        self.decoded.setObjectName("decodedImage")
        self.decoded.setToolTip("The decoder's image at the marked point of the latent map")
        self.decoded.set_placeholder("Click the latent map to decode a point")
        self.hover = ImageWidget("Under the cursor", min_size=70)
        self.hover.setObjectName("hoverImage")
        self.hover.setToolTip("Live preview: the decoder's image at the mouse position")
        self.hover.set_placeholder("Hover over the map")
        self.z_label = QLabel("", objectName="zLabel")
        self.z_label.setToolTip("Latent code of the selected point (all dimensions)")
        self.z_label.setWordWrap(True)
        self.z_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.original = ImageWidget("Input", min_size=70)
        self.original.setObjectName("originalImage")
        self.original.setToolTip("A gallery image dropped on the map, or your drawing")
        self.original.set_placeholder("Drop a gallery image on the map")
        self.reconstruction = ImageWidget("Reconstruction", min_size=70)
        self.reconstruction.setObjectName("reconstructionImage")
        self.reconstruction.setToolTip("decode(mean of the posterior q(z|x)) for the input on the left")
        self.reconstruction.set_placeholder("—")
        self.post_label = QLabel("", objectName="posteriorLabel")
        self.post_label.setToolTip("Posterior mean and standard deviation of the input (shown dimensions)")
        self.post_label.setWordWrap(True)
        self.post_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        g.addWidget(self.decoded, 0, 0, 1, 2)
        g.addWidget(self.hover, 1, 0, 1, 2)
        g.addWidget(self.z_label, 2, 0, 1, 2)
        g.addWidget(self.original, 3, 0)
        g.addWidget(self.reconstruction, 3, 1)
        g.addWidget(self.post_label, 4, 0, 1, 2)
        g.setRowStretch(0, 3)
        g.setRowStretch(1, 1)
        g.setRowStretch(3, 2)

    def show_decoded(self, img: np.ndarray, z: np.ndarray) -> None:
        self.decoded.set_image(img)
        self.z_label.setText(format_z(z))

    def show_pair(self, original: np.ndarray, recon: np.ndarray, caption: str, posterior_text: str) -> None:
        self.original.set_caption(caption)
        self.original.set_image(original)
        self.reconstruction.set_image(recon)
        self.post_label.setText(posterior_text)

    def clear_selection(self) -> None:
        """Forget the selected point (a different model: its decode would be stale)."""
        self.decoded.set_image(None)
        self.z_label.setText("")

    def clear_input(self) -> None:
        """Forget the input and its reconstruction, caption and posterior text included."""
        self.original.set_caption("Input")
        self.original.set_image(None)
        self.reconstruction.set_image(None)
        self.post_label.setText("")

    def clear(self) -> None:
        self.clear_selection()
        self.clear_input()
        self.hover.set_image(None)
