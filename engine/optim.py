"""Optimizers over one flat parameter vector: Adam (Kingma & Ba 2015) and plain SGD.

Adam is the hot loop outside the matrix products: about 650k parameters, 469 times an MNIST
epoch.  NumPy cannot fuse element-wise operations, so this version does the fewest passes it can, and
can split the vector across threads (see engine.parallel):

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
from typing import Callable, Sequence

import numpy as np

RangeRunner = Callable[[Callable[[int, int], None]], None]

FLUSH_EVERY = 100      # steps; beta1^100 = 2.7e-5, so nothing crosses from 1e-30 to 1.2e-38 in between
FLUSH_BELOW = 1e-30


class Adam:
    """Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8), no weight decay."""

    name = "adam"

    def __init__(self, params: np.ndarray, grads: np.ndarray, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.params, self.grads = params, grads
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = np.zeros_like(params)
        self.w = np.zeros_like(params)
        self._tmp = np.empty_like(params)
        self.t = 0

    @property
    def grad_scale(self) -> float:
        """The factor the model must apply to its gradients before step()."""
        return 1.0 - self.beta1

    def step(self, extra_grads: Sequence[np.ndarray] = (), run: RangeRunner | None = None) -> None:
        """One update from self.grads plus any extra gradient vectors (other threads' shares).

        run(fn) calls fn(lo, hi) over a partition of the parameter indices, possibly in parallel.
        """
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        k = math.sqrt(1.0 - b2) / ((1.0 - b1) * math.sqrt(1.0 - b2 ** self.t))
        step = self.lr / ((1.0 - b1 ** self.t) * k)
        eps = self.eps / k
        flush = self.t % FLUSH_EVERY == 0

        def update(lo: int, hi: int) -> None:
            # Whole ranges, not cache-sized chunks: measured faster here, as each NumPy call on
            # a big array also costs a GIL hand-off when another thread is updating too.
            p, g, m, w = self.params[lo:hi], self.grads[lo:hi], self.m[lo:hi], self.w[lo:hi]
            t = self._tmp[lo:hi]
            for extra in extra_grads:
                g += extra[lo:hi]
            m *= b1
            m += g                           # m = b1 m + (1 - b1) g
            np.multiply(g, g, out=t)
            w *= b2
            w += t                           # w = b2 w + g'^2
            np.sqrt(w, out=t)
            t += eps
            np.divide(m, t, out=t)
            t *= step
            p -= t
            if flush:
                for a in (m, w):
                    np.copyto(a, 0.0, where=np.abs(a) < FLUSH_BELOW)

        (run or _whole(self.params.size))(update)

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

    def step(self, extra_grads: Sequence[np.ndarray] = (), run: RangeRunner | None = None) -> None:
        self.t += 1

        def update(lo: int, hi: int) -> None:
            g = self.grads[lo:hi]
            for extra in extra_grads:
                g += extra[lo:hi]
            self.params[lo:hi] -= self.lr * g

        (run or _whole(self.params.size))(update)

    def state(self) -> dict[str, np.ndarray]:
        return {"t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.t = int(state["t"])


def make_optimizer(name: str, params: np.ndarray, grads: np.ndarray, lr: float):
    """Adam or SGD by name, over the given flat parameter and gradient vectors."""
    return {"adam": Adam, "sgd": SGD}[name](params, grads, lr=lr)


def _whole(size: int) -> RangeRunner:
    """A RangeRunner that does the whole range in the calling thread."""
    return lambda fn: fn(0, size)
