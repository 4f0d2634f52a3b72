"""The MLP variational autoencoder: forward, backward and the inference calls the GUI needs.

All weights live in one flat buffer (`params`), each layer's W and b being views into it, and all
gradients likewise in `grads`; the optimizer then updates a single contiguous vector.  Training
uses preallocated per-batch-size buffers; inference allocates its own arrays, so a copy of the
model can decode in one thread while another trains.

Shapes: x (n, D) pixels in [0, 1]; mu, logvar, eps, z (n, L); D = H*W, L = latent_dim.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import activations, losses
from .config import VAEConfig
from .errors import ConfigError, DataError
from .limits import check_memory


def layer_shapes(config: VAEConfig) -> list[tuple[int, int]]:
    """(n_in, n_out) of every Dense layer in params order, computed without allocating anything.

    Encoder hidden layers, the encoder head (-> 2L: [mu | logvar]), decoder hidden layers, the
    decoder output (-> D logits, or 2D: [mean logits | raw logvar] when the variance is learned).
    """
    L, D = config.latent_dim, config.input_dim
    out_dim = 2 * D if config.learns_variance else D
    enc_sizes = (D,) + config.hidden
    dec_sizes = (L,) + config.decoder_sizes
    shapes = list(zip(enc_sizes[:-1], enc_sizes[1:])) + [(enc_sizes[-1], 2 * L)]
    return shapes + list(zip(dec_sizes[:-1], dec_sizes[1:])) + [(dec_sizes[-1], out_dim)]


def param_count(config: VAEConfig) -> int:
    """Number of weights and biases a model of this config holds, without building it."""
    return sum(i * o + o for i, o in layer_shapes(config))


@dataclass
class Dense:
    """y = x @ W + b.  W (n_in, n_out) and b (n_out,) view the model's params, gW and gb its grads."""

    W: np.ndarray
    b: np.ndarray
    gW: np.ndarray
    gb: np.ndarray

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.matmul(x, self.W, out=out)
        out += self.b
        return out

    def backward(self, x: np.ndarray, d: np.ndarray, dx: np.ndarray | None) -> None:
        """Fill gW, gb from the input x and upstream gradient d (n, n_out); dx (n, n_in) if given."""
        np.matmul(x.T, d, out=self.gW)
        np.sum(d, axis=0, out=self.gb)
        if dx is not None:
            np.matmul(d, self.W.T, out=dx)


class VAE:
    """Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), prior N(0, I), Bernoulli or Gaussian decoder."""

    def __init__(self, config: VAEConfig, seed: int = 0, dtype: type = np.float32) -> None:
        self.config = config
        self.dtype = np.dtype(dtype)
        self._shapes = shapes = layer_shapes(config)
        total = sum(i * o + o for i, o in shapes)
        check_memory(2 * total * self.dtype.itemsize, f"a model of {total:,} weights", ConfigError)
        self.params = np.empty(total, self.dtype)
        self.grads = np.zeros(total, self.dtype)
        self._bind(self.layer_views(self.grads))
        self._init_weights(np.random.default_rng(seed))
        self._trainer_pass = None

    def layer_views(self, grads: np.ndarray) -> list[Dense]:
        """Dense layers whose W, b view this model's params and whose gW, gb view `grads`."""
        layers, offset = [], 0
        for n_in, n_out in self._shapes:
            w_end, b_end = offset + n_in * n_out, offset + n_in * n_out + n_out
            layers.append(Dense(self.params[offset:w_end].reshape(n_in, n_out), self.params[w_end:b_end],
                                grads[offset:w_end].reshape(n_in, n_out), grads[w_end:b_end]))
            offset = b_end
        return layers

    def _bind(self, layers: list[Dense]) -> None:
        n_enc = len(self.config.hidden)
        self.layers = layers
        self.encoder = layers[:n_enc]
        self.encoder_head = layers[n_enc]                 # -> [mu | logvar]
        self.decoder = layers[n_enc + 1:-1]
        self.decoder_out = layers[-1]                     # -> logits (or [mean logits | raw logvar])

    def _init_weights(self, rng: np.random.Generator) -> None:
        # U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for W and b: PyTorch's nn.Linear default, so results
        # compare like for like with the reference implementation.
        for layer in self.layers:
            bound = 1.0 / math.sqrt(layer.W.shape[0])
            layer.W[...] = rng.uniform(-bound, bound, layer.W.shape)
            layer.b[...] = rng.uniform(-bound, bound, layer.b.shape)

    @property
    def n_params(self) -> int:
        return self.params.size

    def copy(self) -> "VAE":
        """An independent model with the same weights (e.g. a snapshot to explore while training)."""
        twin = VAE.__new__(VAE)
        twin.__dict__.update(self.__dict__)
        twin.params, twin.grads, twin._trainer_pass = self.params.copy(), np.zeros_like(self.grads), None
        twin._bind(twin.layer_views(twin.grads))
        return twin

    # ---------------------------------------------------------------- inference
    def _as_images(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        D = self.config.input_dim
        if x.ndim == 1 and x.size == D:
            x = x[None]
        elif x.ndim == 3 and x.shape[1] * x.shape[2] == D:
            x = x.reshape(len(x), D)
        if x.ndim != 2 or x.shape[1] != D:
            raise DataError(f"images must have shape (n, {D}) for this {self.config.image_shape[0]}x"
                            f"{self.config.image_shape[1]} model, got {x.shape}")
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

    def _hidden(self, layers: list[Dense], h: np.ndarray) -> np.ndarray:
        for layer in layers:
            a = layer.forward(h)
            h = activations.forward(self.config.activation, a, a)
        return h

    def _encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stats = self.encoder_head.forward(self._hidden(self.encoder, x))    # (n, 2L)
        L = self.config.latent_dim
        return stats[:, :L].copy(), stats[:, L:].copy()

    def _decoder_output(self, z: np.ndarray) -> np.ndarray:
        return self.decoder_out.forward(self._hidden(self.decoder, z))      # (n, D) or (n, 2D)

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior parameters (mu, logvar), each (n, L), for images x (n, D)."""
        return self._encode(self._as_images(x))

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

    def elbo_terms(self, x: np.ndarray, rng: np.random.Generator, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        """Per-image (reconstruction, KL) in nats, one z sample each; negative ELBO = their sum."""
        x = self._as_images(x)
        recon, kl = np.empty(len(x)), np.empty(len(x))
        for s in range(0, len(x), chunk):
            xs = x[s:s + chunk]
            mu, logvar = self._encode(xs)
            z = mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape, dtype=self.dtype)
            recon[s:s + chunk] = self._recon_nll(self._decoder_output(z), xs)
            kl[s:s + chunk] = losses.kl_divergence(mu, logvar)
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
        chunk = max(1, max_rows // k)
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
                        work: dict) -> float:
        """-log p(x|z) summed over a batch from decoder outputs, and its gradient times scale into grad."""
        cfg = self.config
        if cfg.likelihood == "bernoulli":
            return losses.bernoulli_nll_total(out, x, grad, scale, work)
        return float(losses.gaussian_nll(out, x, cfg.output_variance, grad, scale).sum())

    def train_step(self, x: np.ndarray, eps: np.ndarray, beta: float = 1.0, grad_scale: float = 1.0,
                   check: bool = False) -> tuple[float, ...]:
        """Forward and backward on one minibatch; fills self.grads with grad_scale * d(mean loss).

        x (n, D), eps (n, L) standard normal noise.  The loss is the per-image mean of
        recon + beta * KL.  Returns (loss, recon, kl) as per-image means, and with check=True
        also whether the gradient is finite.  Over- and underflow are left to that check (and
        to the loss being non-finite) rather than warned about.
        """
        from .backprop import Replica

        if self._trainer_pass is None:
            self._trainer_pass = Replica(self, self.grads)
        n = len(x)
        with np.errstate(over="ignore", invalid="ignore"):
            recon, kl, finite_check = self._trainer_pass.step(x, eps, beta, grad_scale / n)
        result = ((recon + beta * kl) / n, recon / n, kl / n)
        return result + (math.isfinite(finite_check),) if check else result
