"""The two terms of the negative ELBO, per image, with their gradients.

reconstruction: -log p(x | z) summed over pixels (nats); Bernoulli from logits, or Gaussian with a
sigmoid mean and a fixed or learned variance.  kl: KL(q(z|x) || N(0, I)) in closed form (Kingma &
Welling 2014, appendix B).  Gradients are written into caller-provided arrays, scaled by `scale`,
so the training step can fold the batch mean and the optimizer's constant into one multiply.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .constants import cached_full

# |logit| is capped here before exp(): exp(-60) is still a normal float32 even after the gradient's
# small scale factors, so no denormals reach the matrix products (they slow a CPU several-fold),
# and softplus(-60) = 9e-27 is far below float32 resolution of any loss we report.
LOGIT_CAP = 60.0
# The learned Gaussian log-variance is softly bounded below by log(VAR_FLOOR): without a floor the
# likelihood of constant pixels (MNIST's border) grows without limit and training diverges.
VAR_FLOOR = 1e-4
LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class BernoulliScratch:
    """Scratch arrays of bernoulli_nll_total for one (n, D) batch shape, reused every step."""

    e: np.ndarray            # (n, D) exp(-|l|)
    u: np.ndarray            # (n, D)
    positive: np.ndarray     # (n, D) bool
    ones: np.ndarray         # (n*D,) for the BLAS sum

    @classmethod
    def for_shape(cls, shape: tuple[int, int], dtype: np.dtype | type) -> BernoulliScratch:
        return cls(np.empty(shape, dtype), np.empty(shape, dtype), np.empty(shape, np.bool_),
                   np.ones(shape[0] * shape[1], dtype))


def _exp_neg_abs(logits: np.ndarray, e: np.ndarray) -> np.ndarray:
    """e = exp(-min(|l|, LOGIT_CAP)), in (0, 1]: the one exp() both the loss and its gradient need."""
    np.abs(logits, out=e)
    np.minimum(e, cached_full(e.shape, LOGIT_CAP, e.dtype), out=e)
    np.negative(e, out=e)
    return np.exp(e, out=e)


def bernoulli_nll(logits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-image binary cross-entropy from logits, summed over pixels.

    sum_j softplus(l_j) - x_j * l_j, with softplus(l) = max(l, 0) + log1p(exp(-|l|)) so no exp()
    overflows.  logits, x: (n, D).  Returns (n,).
    """
    t = np.log1p(_exp_neg_abs(logits, np.empty_like(logits)))
    t += np.maximum(logits, 0.0)
    t -= x * logits
    return t.sum(axis=1)


def bernoulli_nll_total(logits: np.ndarray, x: np.ndarray, grad: np.ndarray, scale: float,
                        work: BernoulliScratch) -> float:
    """The training form of bernoulli_nll: its sum over the batch, and its gradient.

    grad (n, D) receives scale * dLoss/dlogits = scale * (sigmoid(l) - x).  Only the batch total
    is formed (sum(x * l) as one BLAS dot, no per-image sums) and `work` holds the scratch
    arrays, so a training step allocates nothing here.
    """
    e = _exp_neg_abs(logits, work.e)
    t = grad                                            # scratch until the gradient is formed
    np.maximum(logits, cached_full(logits.shape, 0.0, logits.dtype), out=t)
    total = float(np.dot(t.reshape(-1), work.ones)) - float(np.vdot(x, logits))   # BLAS sums: 3x numpy's
    u = work.u
    np.add(e, 1.0, out=u)
    # log(1 + e), not log1p(e): 1 + e serves the gradient too, and float32 log is SIMD where
    # log1p is not (89 against 318 us for 64x784 values); where e < 6e-8 rounds away, the loss
    # is off by less than that per value, far below what it reports.
    np.log(u, out=t)
    total += float(np.dot(t.reshape(-1), work.ones))
    # sigmoid(l) = 1 / (1 + e) for l >= 0 and e / (1 + e) for l < 0, with no cancellation;
    # max(e, [l >= 0]) is that numerator, as e <= 1, and avoids a slow where=.
    positive = work.positive
    np.greater_equal(logits, 0.0, out=positive)
    np.maximum(e, positive, out=grad)
    grad /= u
    grad -= x
    grad *= scale
    return total


def gaussian_nll(out: np.ndarray, x: np.ndarray, variance: float | None,
                 grad: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """Per-image Gaussian negative log-likelihood, summed over pixels.

    The mean is sigmoid(out[:, :D]).  With a fixed variance, out is (n, D); with variance None
    the decoder also outputs raw log-variances r = out[:, D:], mapped to
    logvar = log(VAR_FLOOR) + softplus(r - log(VAR_FLOOR)).  Returns (n,); grad gets
    scale * dLoss/dout, shaped like out.
    """
    d = x.shape[1]
    mean = _sigmoid(out[:, :d])
    diff = mean - x
    if variance is not None:
        per_image = 0.5 * np.einsum("ij,ij->i", diff, diff) / variance + 0.5 * d * (LOG_2PI + math.log(variance))
        if grad is not None:
            np.multiply(diff * (scale / variance), mean * (1.0 - mean), out=grad)
        return per_image
    log_floor = math.log(VAR_FLOOR)
    shifted = out[:, d:] - log_floor
    logvar = log_floor + _softplus(shifted)
    precision = np.exp(-logvar)
    sq = diff * diff * precision
    per_image = 0.5 * (d * LOG_2PI + logvar.sum(axis=1) + sq.sum(axis=1))
    if grad is not None:
        np.multiply(diff * precision * scale, mean * (1.0 - mean), out=grad[:, :d])
        np.multiply((0.5 * scale) * (1.0 - sq), _sigmoid(shifted), out=grad[:, d:])
    return per_image


def kl_divergence(mu: np.ndarray, logvar: np.ndarray, grad_mu: np.ndarray | None = None,
                  grad_logvar: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """Per-image KL(N(mu, exp(logvar)) || N(0, I)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)).

    mu, logvar: (n, L).  Returns (n,).  grad_mu / grad_logvar receive scale * mu and
    scale * 0.5 * (exp(logvar) - 1).
    """
    var = np.exp(logvar)
    per_image = -0.5 * (logvar.shape[1] + (logvar - mu * mu - var).sum(axis=1))
    if grad_mu is not None:
        np.multiply(mu, scale, out=grad_mu)
    if grad_logvar is not None:
        var -= 1.0
        np.multiply(var, 0.5 * scale, out=grad_logvar)
    return per_image


def _sigmoid(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))
