"""Optimizers over one flat parameter vector: Adam (Kingma & Ba 2015) and plain SGD.

Adam is the hot loop outside the matrix products: about 650k parameters, 469 times an MNIST
epoch.  NumPy cannot fuse element-wise operations, so this version does the fewest passes it
can (ten):

- The model's backward pass multiplies every gradient by `grad_scale` = 1 - beta1 (free: it
  folds into the 1/batch factor it applies anyway), so m <- beta1*m + g' needs no multiply by g.
- The second moment is stored as w = v (1 - beta1)^2 / (1 - beta2), so w <- beta2*w + g'^2.
- Both bias corrections fold into one step size and one epsilon per step, exactly:
  lr * m_hat / (sqrt(v_hat) + eps) = step * m / (sqrt(w) + eps'),
  with k = sqrt(1 - beta2) / ((1 - beta1) sqrt(1 - beta2^t)), step = lr / ((1 - beta1^t) k),
  eps' = eps / k.  The update equals PyTorch's torch.optim.Adam to float32 rounding.
- m and w decay geometrically where a gradient is zero (MNIST's always-blank border pixels) and
  would become float32 denormals, which slow the CPU several-fold; every FLUSH_EVERY steps values
  below FLUSH_BELOW are set to zero, long before they reach the denormal range (1.2e-38).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .parallel import run_parts, split_ranges

FLUSH_EVERY = 100      # steps; beta1^100 = 2.7e-5, so nothing crosses from 1e-30 to 1.2e-38 in between
FLUSH_BELOW = 1e-30
# Adam runs over its slice in chunks of this many values, so a chunk of the gradient it has just
# summed (a split batch's parts) is still in cache for the update; for the conv VAE's 1.68M
# parameters in two threads, summing then updating took 4.96 ms, chunk by chunk 4.37 ms.  The sum
# and the temporaries live in one chunk-sized scratch per thread, which stays in cache, and the
# gradient vectors are only read: 1.61 -> 1.47 ms (AVX-512 EPYC; smaller chunks were slower).
CHUNK = 2 ** 17


class Adam:
    """Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8), no weight decay.

    With threads > 1 the update runs over that many slices of the vector at once (see parallel.py).
    """

    name = "adam"

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, threads: int = 1) -> None:
        self.params, self.grads = params, grads
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = np.zeros_like(params)
        self.w = np.zeros_like(params)
        self.t = 0
        self.threads = threads

    @property
    def threads(self) -> int:
        return len(self._slices)

    @threads.setter
    def threads(self, n: int) -> None:
        self._slices = split_ranges(self.params.size, max(1, n))
        self._scratch = [np.empty(min(CHUNK, s.stop - s.start), self.params.dtype) for s in self._slices]

    @property
    def grad_scale(self) -> float:
        """The factor the model must apply to its gradients before step()."""
        return 1.0 - self.beta1

    def step(self, unsummed: Sequence[np.ndarray] = ()) -> None:
        """One update from self.grads (which the model scaled by grad_scale) plus any `unsummed`
        gradients (VAE.unsummed_grads: the other parts of a split batch), added chunk by chunk;
        the gradient vectors are left as they are."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        k = math.sqrt(1.0 - b2) / ((1.0 - b1) * math.sqrt(1.0 - b2 ** self.t))
        step = self.lr / ((1.0 - b1 ** self.t) * k)
        eps = self.eps / k
        flush = self.t % FLUSH_EVERY == 0

        def update(i: int) -> None:
            s, scratch = self._slices[i], self._scratch[i]
            with np.errstate(over="ignore", invalid="ignore"):   # per thread; an overflow shows in the next loss
                for start in range(s.start, s.stop, CHUNK):
                    stop = min(start + CHUNK, s.stop)
                    _update(slice(start, stop), scratch[:stop - start])

        def _update(s: slice, t: np.ndarray) -> None:
            p, g, m, w = self.params[s], self.grads[s], self.m[s], self.w[s]
            if unsummed:
                np.add(g, unsummed[0][s], out=t)
                for part in unsummed[1:]:
                    t += part[s]
                g = t                            # read by the next three lines, then overwritten
            m *= b1
            m += g                               # m = b1 m + (1 - b1) g
            np.multiply(g, g, out=t)
            w *= b2
            w += t                               # w = b2 w + g'^2
            np.sqrt(w, out=t)
            t += eps
            np.divide(m, t, out=t)
            t *= step
            p -= t
            if flush:
                for a in (m, w):
                    np.copyto(a, 0.0, where=np.abs(a) < FLUSH_BELOW)

        run_parts(update, range(len(self._slices)))

    def state(self) -> dict[str, np.ndarray]:
        """Arrays and counters to save; the moments are stored in the scaled form used here."""
        return {"m": self.m, "w": self.w, "t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.m[...] = state["m"]
        self.w[...] = state["w"]
        self.t = int(state["t"])


class SGD:
    """Plain stochastic gradient descent: p <- p - lr * g."""

    name = "sgd"
    grad_scale = 1.0

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 1e-3) -> None:
        self.params, self.grads, self.lr = params, grads, lr
        self.t = 0

    def step(self, unsummed: Sequence[np.ndarray] = ()) -> None:
        self.t += 1
        for part in unsummed:
            self.grads += part
        self.params -= self.lr * self.grads

    def state(self) -> dict[str, np.ndarray]:
        return {"t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.t = int(state["t"])


def make_optimizer(name: str, params: np.ndarray, grads: np.ndarray, lr: float, threads: int = 1) -> Adam | SGD:
    """Adam or SGD by name, over the given flat parameter and gradient vectors."""
    if name == "adam":
        return Adam(params, grads, lr=lr, threads=threads)
    return SGD(params, grads, lr=lr)

