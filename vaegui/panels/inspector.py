"""The inspector: the decoded image of the selected point, the hover preview, and an input
beside its reconstruction (a dropped gallery image or the draw pad).

A view of the session: it decodes with the session's explore model whenever the selection,
the hover point, the inputs or the snapshot change; an input's posterior is the session's one
encoding of it (`session.posterior`), shared with the map and the plane.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from ..model.describe import format_z
from ..widgets.images import ImageWidget, as_image


class ImagePanel(QWidget):
    """decodedImage (large), a hover preview, and originalImage | reconstructionImage."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
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
        session.selection_changed.connect(lambda _: self._show_selection())
        session.hover_changed.connect(self._show_hover)
        session.inputs_changed.connect(self._show_input)
        session.snapshot_changed.connect(self._on_snapshot)
        session.plane_changed.connect(self._show_input)
        session.model_changed.connect(lambda _: self.clear())

    # -- the session -> the images -------------------------------------------------------------
    def _decode(self, z: np.ndarray) -> np.ndarray | None:
        model = self.session.explore_model
        if model is None or z is None or z.size != model.config.latent_dim:
            return None
        return as_image(model.decode(z[None, :])[0], model.config.image_shape)

    def _on_snapshot(self, _snap) -> None:
        self._show_selection()
        self._show_input()

    def _show_selection(self) -> None:
        z = self.session.selected
        img = self._decode(z)
        if img is None:
            self.clear_selection()
        else:
            self.show_decoded(img, z)

    def _show_hover(self, z) -> None:
        self.hover.set_image(self._decode(z))

    def _show_input(self) -> None:
        s = self.session
        item, model = s.input, s.explore_model
        post = s.posterior(item)
        if post is None:
            self.clear_input()
            return
        mu, logvar = post
        recon = model.decode(mu[None, :])[0]
        plane = s.plane             # the posterior along the map's own axes (dimensions or PCs)
        centre = plane.coords(mu)[0]
        sd = np.sqrt(plane.axes ** 2 @ np.exp(logvar))        # q(z|x) is diagonal
        names = ("PC1", "PC2") if plane.kind == "projection" else plane.axis_names
        shown = range(1 if names[0] == names[1] else 2)      # a 1-D space shows z[0] on both axes
        text = "  ".join(f"{names[i]}: {centre[i]:+.2f} ± {sd[i]:.2f}" for i in shown)
        shape = model.config.image_shape
        self.show_pair(as_image(item.image, shape), as_image(recon, shape), item.caption, "posterior " + text)

    def show_decoded(self, img: np.ndarray, z: np.ndarray) -> None:
        self.decoded.set_image(img)
        self.z_label.setText(format_z(z))

    def show_pair(self, original: np.ndarray, recon: np.ndarray, caption: str, posterior_text: str) -> None:
        self.original.set_caption(caption)
        self.original.setToolTip(f"{caption}: a gallery image dropped on the map, or your drawing")
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
