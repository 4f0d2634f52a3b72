"""Sampling: decoded draws from the prior, and from the posterior of the current input.

"Sample from the prior" decodes z ~ N(0, I). "Sample from the posterior" takes the input the
Inspector shows (a dropped test image or a drawing) and decodes z = mu + sigma * eps for
several eps ~ N(0, I): the session marks those codes on the map, so the VAE's noise is visible
as a cloud around the posterior mean. The draws are the engine's (`prior_samples`,
`posterior_samples`).
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ..widgets.images import ImageWidget


class SamplingPanel(QWidget):
    """Two buttons, a count, and the grid of decodes (samplesView)."""

    def __init__(self, session, parent: QWidget | None = None, seed: int | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rng = np.random.default_rng(seed)
        self.samples = None                     # the engine's Samples / PosteriorSamples on show
        self.kind = ""                          # "prior" or "posterior"
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        buttons, bar = QVBoxLayout(), QHBoxLayout()
        self.prior_button = QPushButton("Sample from the prior", objectName="samplePriorButton")
        self.prior_button.setToolTip("Decode codes drawn from the prior N(0, I): what the model generates "
                                     "from nothing")
        self.posterior_button = QPushButton("Sample from the posterior", objectName="samplePosteriorButton")
        self.posterior_button.setToolTip("Decode z = mu + sigma * eps for the dropped or drawn image, several eps "
                                         "~ N(0, I); the draws are marked on the map")
        self.count_spin = QSpinBox(objectName="sampleCountSpin", minimum=2, maximum=10, value=4)
        self.count_spin.setToolTip("Samples per side of the grid")
        buttons.addWidget(self.prior_button)
        buttons.addWidget(self.posterior_button)
        lay.addLayout(buttons)
        side = QLabel("Grid side")
        side.setToolTip(self.count_spin.toolTip())
        bar.addWidget(side)
        bar.addWidget(self.count_spin)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.view = ImageWidget("", min_size=60)
        self.view.setObjectName("samplesView")
        self.view.set_placeholder("Train or open a model, then sample")
        self.view.setToolTip("Decoded samples, row by row")
        lay.addWidget(self.view, 1)
        self.prior_button.clicked.connect(self.sample_prior)
        self.posterior_button.clicked.connect(self.sample_posterior)
        session.model_changed.connect(lambda _: self._clear())
        session.inputs_changed.connect(self._on_inputs_changed)
        session.snapshot_changed.connect(self._on_snapshot)
        self._sampled_with = None                 # the model the samples on show were decoded with

    def _clear(self) -> None:
        self.samples, self.kind, self._sampled_with = None, "", None    # nor the model copy they were for
        self.view.set_image(None)
        self.view.set_caption("")
        self.session.set_sample_marks(None)

    def _on_snapshot(self, _snap) -> None:
        if self.samples is not None and self.session.explore_model is not self._sampled_with:
            self._clear()                       # the weights changed (training went on): stale draws

    def _on_inputs_changed(self) -> None:
        if self.kind == "posterior":            # the marks belong to an input that is gone
            self._clear()

    def _show(self, images: np.ndarray, caption: str) -> None:
        from engine import tile_images
        n = self.count_spin.value()
        model = self.session.explore_model
        self._sampled_with = model
        self.view.set_image(tile_images(images, model.config.image_shape, n, n))
        self.view.set_caption(caption)

    def sample_prior(self) -> None:
        from engine import prior_samples
        s = self.session
        if s.explore_model is None:
            s.notify("No model yet: train one (Start) or open one (Ctrl+O)")
            return
        n = self.count_spin.value()
        self.samples, self.kind = prior_samples(s.explore_model, n * n, self.rng), "prior"
        s.set_sample_marks(None)
        self._show(self.samples.images, f"{n * n} draws z ~ N(0, I)")
        s.notify(f"Decoded {n * n} codes drawn from the prior")

    def sample_posterior(self) -> None:
        from engine import posterior_samples
        s = self.session
        item = s.input
        if s.explore_model is None or item is None or item.image.size != s.explore_model.config.input_dim:
            s.notify("Drop a test image on the map or draw one first: the posterior is that image's")
            return
        n = self.count_spin.value()
        self.samples, self.kind = posterior_samples(s.explore_model, item.image, n * n, self.rng), "posterior"
        s.set_sample_marks(self.samples.z)
        self._show(self.samples.images, f"{n * n} draws z = mu + sigma·eps for {item.caption}")
        s.notify(f"Decoded {n * n} posterior samples of {item.caption}; the draws are marked on the map")
