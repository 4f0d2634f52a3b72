"""One forward and backward pass of the VAE over a (slice of a) minibatch, into a gradient vector.

A `Replica` reads the model's weights and writes its own gradient vector, with preallocated
buffers for the batch sizes it sees; several replicas can run at once in threads (NumPy releases
the GIL in its loops and in BLAS), each on a slice of the batch.
"""
from __future__ import annotations

import numpy as np

from . import activations, losses
from .vae import VAE, Dense


class Replica:
    """Forward/backward of `model` writing gradients into `grads` (a vector shaped like model.params)."""

    def __init__(self, model: VAE, grads: np.ndarray) -> None:
        self.model, self.grads = model, grads
        layers = model.layer_views(grads)
        n_enc = len(model.config.hidden)
        self.encoder, self.encoder_head = layers[:n_enc], layers[n_enc]
        self.decoder, self.decoder_out = layers[n_enc + 1:-1], layers[-1]
        self._work: dict[int, dict] = {}

    def _workspace(self, n: int) -> dict:
        ws = self._work.get(n)
        if ws is None:
            cfg, dt = self.model.config, self.model.dtype
            inplace = cfg.activation in ("relu", "tanh", "sigmoid")   # their backward needs only h

            def hidden(layers: list[Dense]):
                a = [np.empty((n, layer.W.shape[1]), dt) for layer in layers]
                return a, (a if inplace else [np.empty_like(t) for t in a])

            enc_a, enc_h = hidden(self.encoder)
            dec_a, dec_h = hidden(self.decoder)
            L, out_dim = cfg.latent_dim, self.decoder_out.W.shape[1]
            ws = self._work[n] = dict(
                enc_a=enc_a, enc_h=enc_h, dec_a=dec_a, dec_h=dec_h,
                enc_d=[np.empty_like(t) for t in enc_a], dec_d=[np.empty_like(t) for t in dec_a],
                stats=np.empty((n, 2 * L), dt), dstats=np.empty((n, 2 * L), dt),
                std=np.empty((n, L), dt), z=np.empty((n, L), dt), dz=np.empty((n, L), dt),
                out=np.empty((n, out_dim), dt), dout=np.empty((n, out_dim), dt), loss={})
        return ws

    def _forward_hidden(self, layers, a_bufs, h_bufs, h):
        act = self.model.config.activation
        for layer, a, hb in zip(layers, a_bufs, h_bufs):
            layer.forward(h, out=a)
            h = activations.forward(act, a, hb)
        return h

    def _backward_hidden(self, layers, inputs, a_bufs, h_bufs, d_bufs, dx_first):
        """Backprop from d_bufs[-1] (gradient at the last hidden output) down through `layers`."""
        act = self.model.config.activation
        for i in reversed(range(len(layers))):
            activations.backward(act, d_bufs[i], a_bufs[i], h_bufs[i])
            dx = d_bufs[i - 1] if i > 0 else dx_first
            layers[i].backward(inputs[i], d_bufs[i], dx)

    def step(self, x: np.ndarray, eps: np.ndarray, beta: float, scale: float) -> tuple[float, float, float]:
        """Forward and backward on x (n, D) with noise eps (n, L).

        Fills self.grads with scale * d(sum over images of recon + beta * KL).  Returns the
        sums over images of the reconstruction and KL terms, and a sum that is NaN or inf if the
        gradient may not be finite (see below).
        """
        n, L = len(x), self.model.config.latent_dim
        ws = self._workspace(n)
        # ---- forward
        h_enc = self._forward_hidden(self.encoder, ws["enc_a"], ws["enc_h"], x)
        stats = self.encoder_head.forward(h_enc, out=ws["stats"])
        mu, logvar = stats[:, :L], stats[:, L:]
        std, z = ws["std"], ws["z"]
        np.multiply(logvar, 0.5, out=std)
        np.exp(std, out=std)                                   # std = exp(0.5 * logvar)
        np.multiply(std, eps, out=z)
        z += mu                                                # z = mu + std * eps
        h_dec = self._forward_hidden(self.decoder, ws["dec_a"], ws["dec_h"], z)
        out = self.decoder_out.forward(h_dec, out=ws["out"])
        # ---- loss and its gradient at the outputs
        recon = self.model.recon_nll_total(out, x, ws["dout"], scale, ws["loss"])
        dstats = ws["dstats"]
        kl = losses.kl_divergence(mu, logvar, dstats[:, :L], dstats[:, L:], scale * beta)
        # ---- backward: decoder, reparameterisation, encoder
        dz = ws["dz"]
        if self.decoder:
            self.decoder_out.backward(h_dec, ws["dout"], ws["dec_d"][-1])
            self._backward_hidden(self.decoder, [z] + ws["dec_h"][:-1], ws["dec_a"], ws["dec_h"], ws["dec_d"], dz)
        else:
            self.decoder_out.backward(z, ws["dout"], dz)
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
        if self.encoder:
            self.encoder_head.backward(h_enc, dstats, ws["enc_d"][-1])
            self._backward_hidden(self.encoder, [x] + ws["enc_h"][:-1], ws["enc_a"], ws["enc_h"], ws["enc_d"], None)
        else:
            self.encoder_head.backward(x, dstats, None)
        return recon, float(kl.sum()), check
