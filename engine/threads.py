"""The number of threads the BLAS library (OpenBLAS under NumPy) uses for matrix products."""
from __future__ import annotations

from threadpoolctl import threadpool_limits

_limits = None


def set_threads(n: int) -> None:
    """Use n BLAS threads from now on in this process (element-wise NumPy work is single-threaded)."""
    global _limits
    if n < 1:
        raise ValueError(f"thread count must be at least 1, got {n}")
    _limits = threadpool_limits(limits=n, user_api="blas")
