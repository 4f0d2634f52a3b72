"""One training step of the VAE, forward and backward, into preallocated buffers.

Read top-down: encoder -> reparameterisation -> decoder -> loss, then the same way back.  A
`TrainingPass` reads the model's weights and writes one gradient vector; its `Workspace` holds
every buffer of a batch size, so the hot loop allocates nothing.  It knows the model only as a
`Model` (below): the VAE (engine/vae.py) is one, and this module does not import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from . import losses, network
from .config import VAEConfig
from .layers import Layer
from .parallel import run_parts, split_ranges


class Model(Protocol):
    """What a training pass needs of a model: its settings, its layers, its loss."""

    config: VAEConfig
    dtype: np.dtype
    grads: np.ndarray         # the model's own gradient vector (the first part of a split writes it)

    def build_layers(self, grads: np.ndarray) -> tuple[list[Layer], list[Layer]]:
        """New (encoder, decoder) layers viewing the model's weights, writing gradients into grads."""
        ...

    def recon_nll_total(self, out: np.ndarray, x: np.ndarray, grad: np.ndarray, scale: float,
                        work: losses.BernoulliScratch | None) -> float:
        """-log p(x|z) summed over a batch, its gradient at `out` times scale written into grad."""
        ...


@dataclass
class Workspace:
    """Buffers of one batch size: the layers' caches and the latent and loss arrays."""

    encoder: list[Any]            # one cache per encoder layer
    decoder: list[Any]            # one cache per decoder layer
    std: np.ndarray               # (n, L) exp(0.5 logvar)
    z: np.ndarray                 # (n, L)
    dstats: np.ndarray            # (n, 2L) gradient at [mu | logvar]
    dout: np.ndarray              # (n, out) gradient at the decoder's output
    bernoulli: losses.BernoulliScratch | None


class TrainingPass:
    """Forward/backward of `model` writing scale * gradients into `grads` (shaped like model.params)."""

    def __init__(self, model: Model, grads: np.ndarray) -> None:
        self.model, self.grads = model, grads
        self.encoder, self.decoder = model.build_layers(grads)
        self._workspaces: dict[int, Workspace] = {}

    def workspace(self, n: int) -> Workspace:
        ws = self._workspaces.get(n)
        if ws is None:
            cfg, dt = self.model.config, self.model.dtype
            L, out = cfg.latent_dim, self.decoder[-1].out_size
            ws = self._workspaces[n] = Workspace(
                network.make_caches(self.encoder, n, dt), network.make_caches(self.decoder, n, dt),
                np.empty((n, L), dt), np.empty((n, L), dt), np.empty((n, 2 * L), dt), np.empty((n, out), dt),
                losses.BernoulliScratch.for_shape((n, out), dt) if cfg.likelihood == "bernoulli" else None)
        return ws

    def step(self, x: np.ndarray, eps: np.ndarray, beta: float, scale: float) -> tuple[float, float, float]:
        """Forward and backward on x (n, D) with noise eps (n, L).

        Fills self.grads with scale * d(sum over images of recon + beta * KL).  Returns the
        sums over images of the reconstruction and KL terms, and a sum that is NaN or inf if the
        gradient may not be finite (see below).
        """
        n, L = len(x), self.model.config.latent_dim
        ws = self.workspace(n)
        # ---- forward: q(z|x), z = mu + std * eps, the decoder's output
        stats = network.forward(self.encoder, x, ws.encoder)          # (n, 2L) = [mu | logvar]
        mu, logvar = stats[:, :L], stats[:, L:]
        std, z = ws.std, ws.z
        np.multiply(logvar, 0.5, out=std)
        np.exp(std, out=std)
        np.multiply(std, eps, out=z)
        z += mu
        out = network.forward(self.decoder, z, ws.decoder)
        # ---- the loss and its gradient at the decoder's output and at [mu | logvar]
        recon = self.model.recon_nll_total(out, x, ws.dout, scale, ws.bernoulli)
        dstats = ws.dstats
        kl = losses.kl_divergence(mu, logvar, dstats[:, :L], dstats[:, L:], scale * beta)
        # ---- backward: decoder, reparameterisation, encoder
        dz = network.backward(self.decoder, ws.dout, ws.decoder, need_dx=True)
        dstats[:, :L] += dz                                    # dz/dmu = 1
        dz *= eps
        dz *= std
        dz *= 0.5
        dstats[:, L:] += dz                                    # dz/dlogvar = 0.5 * std * eps
        # A NaN or inf anywhere in the decoder's backward pass reaches every row of dstats it
        # touches (products and sums keep NaN; inf - inf and 0 * inf make one), and every
        # encoder gradient is a product with dstats: so this small sum stands for the whole
        # gradient vector, at 1/300 of the cost of summing that.
        check = float(dstats.sum())
        network.backward(self.encoder, dstats, ws.encoder, need_dx=False)
        return recon, float(kl.sum()), check


class SplitPass:
    """A batch split across `parts` threads, one TrainingPass each, their gradients summed.

    Each part runs its matrix products on one BLAS thread (the caller sets that) and its
    element-wise work (im2col copies, activations) on its own core, which NumPy allows by
    releasing the GIL in its loops.
    """

    def __init__(self, model: Model, parts: int) -> None:
        self.model = model
        self.passes = [TrainingPass(model, model.grads)] + [
            TrainingPass(model, np.zeros_like(model.grads)) for _ in range(parts - 1)]
        self._slices = split_ranges(model.grads.size, parts)
        self.unsummed: list[np.ndarray] = []      # the other parts' gradients, while not yet summed

    def step(self, x: np.ndarray, eps: np.ndarray, beta: float, scale: float,
             sum_parts: bool = True) -> tuple[float, float, float]:
        """As TrainingPass.step, over the whole batch.  With sum_parts False the other parts'
        gradients are left in `unsummed` for the optimizer to add as it goes (optim.Adam.step)."""
        rows = split_ranges(len(x), len(self.passes), align=1)
        results: list[Any] = [None] * len(rows)

        def part(i: int) -> None:
            with np.errstate(over="ignore", invalid="ignore"):      # thread-local: as train_step's
                results[i] = self.passes[i].step(x[rows[i]], eps[rows[i]], beta, scale)

        run_parts(part, list(range(len(rows))))
        self.unsummed = [p.grads for p in self.passes[1:len(rows)]]
        if sum_parts:
            run_parts(self._add_unsummed, self._slices)
            self.unsummed = []
        return tuple(sum(r[k] for r in results) for k in range(3))

    def _add_unsummed(self, s: slice) -> None:
        for grads in self.unsummed:
            self.model.grads[s] += grads[s]
