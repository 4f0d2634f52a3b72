"""The variational autoencoder (MLP or convolutional): the inference calls the GUI needs, and
the training step (engine/backprop.py).

All weights live in one flat buffer (`params`), each layer's tensors being views into it, and all
gradients likewise in `grads`; the optimizer then updates a single contiguous vector.  Training
uses preallocated per-batch-size buffers; inference allocates its own arrays, so a copy of the
model can decode in one thread while another trains.

Shapes: x (n, D) pixel values in [0, 1] (or uint8 0..255, scaled on the way in); mu, logvar,
eps, z (n, L); D = H*W*C (row-major, channels last), L = latent_dim.
"""
from __future__ import annotations

import math

import numpy as np

from . import activations, architecture, losses, network
from .architecture import param_count  # noqa: F401  (its home before architecture.py had it)
from .backprop import SplitPass, TrainingPass
from .config import VAEConfig
from .data.dataset import to_float
from .errors import ConfigError, DataError
from .layers import Layer
from .limits import check_memory
from .parallel import run_parts, split_ranges

INFERENCE_FLOATS = 2 ** 24     # 64 MB of float32 per array while encoding or decoding in chunks
INFER_ROWS = 256               # a conv model encodes and decodes this many rows at a time (_forward)


class VAE:
    """Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), prior N(0, I), Bernoulli or Gaussian decoder.

    The encoder and decoder are lists of layers (engine/architecture.py), MLP or convolutional;
    `family` is the architecture family, which says how the model runs (e.g. on threads).
    """

    def __init__(self, config: VAEConfig, seed: int | None = 0, dtype: type = np.float32) -> None:
        self.config = config
        self.dtype = np.dtype(dtype)
        self.family = architecture.family(config.arch)
        self.encoder, self.decoder = self._unnamed(architecture.build(config))
        total = sum(layer.n_params for layer in self.layers)
        check_memory(2 * total * self.dtype.itemsize, f"a model of {total:,} weights", ConfigError)
        self.params = np.empty(total, self.dtype)
        self.grads = np.zeros(total, self.dtype)
        self._bind(self.layers, self.grads)
        if seed is not None:    # None: the caller fills params (a model file's weights; 0.5 s saved at 80 MB)
            rng = np.random.default_rng(seed)
            for layer in self.layers:
                layer.init(rng)
        self._passes: dict[int, TrainingPass | SplitPass] = {}      # training passes by batch split
        self._unsummed: list[np.ndarray] = []

    @property
    def layers(self) -> list[Layer]:
        """Every layer, encoder first (the order of their tensors in params)."""
        return self.encoder + self.decoder

    def _bind(self, layers: list[Layer], grads: np.ndarray) -> None:
        offset = 0
        for layer in layers:
            layer.bind(self.params[offset:offset + layer.n_params], grads[offset:offset + layer.n_params])
            offset += layer.n_params

    @staticmethod
    def _unnamed(built: tuple[architecture.Named, architecture.Named]) -> tuple[list[Layer], list[Layer]]:
        return [layer for _, layer in built[0]], [layer for _, layer in built[1]]

    def build_layers(self, grads: np.ndarray) -> tuple[list[Layer], list[Layer]]:
        """New (encoder, decoder) layers viewing this model's params and writing into `grads`."""
        encoder, decoder = self._unnamed(architecture.build(self.config))
        self._bind(encoder + decoder, grads)
        return encoder, decoder

    @property
    def n_params(self) -> int:
        return self.params.size

    def copy(self) -> VAE:
        """An independent model with the same weights (e.g. a snapshot to explore while training)."""
        twin = VAE.__new__(VAE)
        twin.__dict__.update(self.__dict__)
        twin.params, twin.grads, twin._passes, twin._unsummed = self.params.copy(), np.zeros_like(self.grads), {}, []
        twin.encoder, twin.decoder = twin.build_layers(twin.grads)
        return twin

    # ---------------------------------------------------------------- inference
    def _as_images(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        D = self.config.input_dim
        if x.ndim == 1 and x.size == D:
            x = x[None]
        elif x.ndim >= 3 and math.prod(x.shape[1:]) == D:
            x = x.reshape(len(x), D)
        if x.ndim != 2 or x.shape[1] != D:
            raise DataError(f"images must have shape (n, {D}) for this {self.config.image_shape} model, "
                            f"got {x.shape}")
        x = to_float(x) if x.dtype == np.uint8 else x
        x = x.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(x)):
            raise DataError("images contain NaN or infinite values")
        return x

    def _as_codes(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=self.dtype)
        L = self.config.latent_dim
        if z.ndim == 1 and z.size == L:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != L:
            raise DataError(f"latent codes must have shape (n, {L}), got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise DataError("latent codes contain NaN or infinite values")
        return z

    def _forward(self, layers: list[Layer], x: np.ndarray) -> np.ndarray:
        """network.forward, a conv model's rows INFER_ROWS at a time (family.infers_in_chunks): its im2col buffers grow
        with the rows, and past a few hundred they fall out of cache (2,048 MNIST images
        encoded in one call: 130 ms; in chunks of 128-256: 76 ms)."""
        if not self.family.infers_in_chunks or len(x) <= INFER_ROWS:
            return network.forward(layers, x)
        first = network.forward(layers, x[:INFER_ROWS])
        out = np.empty((len(x), first.shape[1]), first.dtype)
        out[:INFER_ROWS] = first
        for s in range(INFER_ROWS, len(x), INFER_ROWS):
            out[s:s + INFER_ROWS] = network.forward(layers, x[s:s + INFER_ROWS])
        return out

    def _encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stats = self._forward(self.encoder, x)                              # (n, 2L)
        L = self.config.latent_dim
        return stats[:, :L].copy(), stats[:, L:].copy()

    def _decoder_output(self, z: np.ndarray) -> np.ndarray:
        return self._forward(self.decoder, z)                               # (n, D) or (n, 2D)

    def encode(self, x: np.ndarray, parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Posterior parameters (mu, logvar), each (n, L), for images x (n, D).

        parts > 1 spreads the rows over that many threads (give BLAS one thread each)."""
        x = self._as_images(x)
        if parts <= 1 or len(x) < 2 * parts:
            return self._encode(x)
        L = self.config.latent_dim
        mu, logvar = np.empty((len(x), L), self.dtype), np.empty((len(x), L), self.dtype)

        def rows(part: slice) -> None:
            mu[part], logvar[part] = self._encode(x[part])

        run_parts(rows, split_ranges(len(x), parts, align=1))
        return mu, logvar

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Decoder mean images (n, D) in [0, 1] for latent codes z (n, L)."""
        out = self._decoder_output(self._as_codes(z))
        return activations.sigmoid(out[:, :self.config.input_dim].copy())

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """decode(mu(x)): the deterministic reconstruction, (n, D)."""
        return self.decode(self.encode(x)[0])

    def sample_posterior(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One z per image from q(z|x) by reparameterisation: z = mu + exp(0.5 * logvar) * eps."""
        mu, logvar = self.encode(x)
        return mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape, dtype=self.dtype)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n images decoded from z ~ N(0, I)."""
        return self.decode(rng.standard_normal((n, self.config.latent_dim)))

    def _recon_nll(self, out: np.ndarray, x: np.ndarray) -> np.ndarray:
        cfg = self.config
        if cfg.likelihood == "bernoulli":
            return losses.bernoulli_nll(out, x)
        return losses.gaussian_nll(out, x, cfg.output_variance)

    def _rows_within_budget(self, rows: int) -> int:
        """At most `rows`, and few enough that no layer's array exceeds INFERENCE_FLOATS
        (a convolution's patch matrix is ~20x its output)."""
        return max(1, min(rows, INFERENCE_FLOATS // max(layer.floats_per_image for layer in self.layers)))

    def elbo_terms(self, x: np.ndarray, rng: np.random.Generator, chunk: int = 2000,
                   parts: int = 1, posterior: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Per-image (reconstruction, KL) in nats, one z sample each; negative ELBO = their sum.

        parts > 1 spreads the chunks over that many threads (give BLAS one thread each); the
        noise is drawn first, so the result does not depend on it.  posterior: two (n, L)
        arrays to fill with each image's (mu, logvar) on the way, as `encode` gives them.
        """
        x = self._as_images(x)
        chunk = self._rows_within_budget(chunk)
        eps = rng.standard_normal((len(x), self.config.latent_dim), dtype=self.dtype)  # = chunk by chunk
        recon, kl = np.empty(len(x)), np.empty(len(x))
        starts = list(range(0, len(x), chunk))

        def chunks(part: int) -> None:
            for s in starts[part::parts]:
                xs = x[s:s + chunk]
                mu, logvar = self._encode(xs)
                if posterior is not None:
                    posterior[0][s:s + chunk], posterior[1][s:s + chunk] = mu, logvar
                z = mu + np.exp(0.5 * logvar) * eps[s:s + chunk]
                recon[s:s + chunk] = self._recon_nll(self._decoder_output(z), xs)
                kl[s:s + chunk] = losses.kl_divergence(mu, logvar)

        run_parts(chunks, list(range(max(1, min(parts, len(starts))))))
        return recon, kl

    def iwae_log_likelihood(self, x: np.ndarray, k: int, rng: np.random.Generator,
                            max_rows: int = 20000) -> np.ndarray:
        """Importance-weighted estimate of log p(x) with k samples (Burda et al. 2016), (n,) nats.

        log p(x) >= log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x); k = 1 is the ELBO.
        """
        if k < 1:
            raise ConfigError(f"the number of importance samples must be at least 1, got {k}")
        x = self._as_images(x)
        L = self.config.latent_dim
        result = np.empty(len(x))
        chunk = max(1, self._rows_within_budget(max_rows) // k)
        for s in range(0, len(x), chunk):
            xs = x[s:s + chunk]
            n = len(xs)
            mu, logvar = self._encode(xs)
            eps = rng.standard_normal((k, n, L), dtype=self.dtype)
            z = mu + np.exp(0.5 * logvar) * eps                                 # (k, n, L)
            log_px_z = -self._recon_nll(self._decoder_output(z.reshape(k * n, L)),
                                        np.broadcast_to(xs, (k, n, xs.shape[1])).reshape(k * n, -1))
            log_pz = -0.5 * (z.astype(np.float64) ** 2 + math.log(2 * math.pi)).sum(axis=2)
            log_qz = -0.5 * (eps.astype(np.float64) ** 2 + math.log(2 * math.pi) + logvar).sum(axis=2)
            log_w = log_px_z.reshape(k, n) + log_pz - log_qz                    # (k, n)
            top = log_w.max(axis=0)
            result[s:s + chunk] = top + np.log(np.exp(log_w - top).mean(axis=0))
        return result

    # ---------------------------------------------------------------- training
    def recon_nll_total(self, out: np.ndarray, x: np.ndarray, grad: np.ndarray, scale: float,
                        work: losses.BernoulliScratch | None) -> float:
        """-log p(x|z) summed over a batch from decoder outputs, and its gradient times scale into grad."""
        cfg = self.config
        if cfg.likelihood == "bernoulli":
            return losses.bernoulli_nll_total(out, x, grad, scale, work)
        return float(losses.gaussian_nll(out, x, cfg.output_variance, grad, scale).sum())

    def train_step(self, x: np.ndarray, eps: np.ndarray, beta: float = 1.0, grad_scale: float = 1.0,
                   check: bool = False, parts: int = 1, sum_parts: bool = True) -> tuple[float, ...]:
        """Forward and backward on one minibatch; fills self.grads with grad_scale * d(mean loss).

        x (n, D), eps (n, L) standard normal noise.  The loss is the per-image mean of
        recon + beta * KL.  Returns (loss, recon, kl) as per-image means, and with check=True
        also whether the gradient is finite.  Over- and underflow are left to that check (and
        to the loss being non-finite) rather than warned about.  parts > 1 splits the batch
        across that many threads (backprop.SplitPass); with sum_parts False, self.grads then
        holds the first part's gradient and `unsummed_grads()` the others', for the optimizer to
        add as it updates (one pass over them fewer).
        """
        step = self._passes.get(parts)
        if step is None:
            step = self._passes[parts] = TrainingPass(self, self.grads) if parts == 1 else SplitPass(self, parts)
        n = len(x)
        with np.errstate(over="ignore", invalid="ignore"):
            if parts == 1:
                recon, kl, finite_check = step.step(x, eps, beta, grad_scale / n)
            else:
                recon, kl, finite_check = step.step(x, eps, beta, grad_scale / n, sum_parts)
        self._unsummed = [] if parts == 1 else step.unsummed
        result = ((recon + beta * kl) / n, recon / n, kl / n)
        return result + (math.isfinite(finite_check),) if check else result

    def unsummed_grads(self) -> list[np.ndarray]:
        """The other parts' gradients the last train_step left unsummed (sum_parts=False), until
        the next step: the full gradient is self.grads plus these."""
        return self._unsummed
