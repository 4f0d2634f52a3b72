"""The size an architecture declares, checked against what the file holds before anything is allocated.

A model file's metadata names its architecture, and the architecture implies how many weights
there are.  Laying the file's tensors out (layout.tensor_shapes) builds each layer's PyTorch-shaped
arrays, so a 600 KB file declaring two 100,000-wide layers would ask for tens of gigabytes
there.  Counting the weights is free (layer shapes only), so the count is compared with the
tensors the file's header says it holds, and with the memory this machine has, first.
"""
from __future__ import annotations

import math

import numpy as np

from ..config import VAEConfig
from ..errors import ModelFileError
from ..vae import param_count
from .layout import check_memory


def check_declared_size(config: VAEConfig, headers: dict[str, tuple[tuple[int, ...], np.dtype]],
                        skip_prefix: str) -> int:
    """The architecture's weight count, if the file's weight tensors (headers: name -> (shape,
    dtype), those named with skip_prefix, the optimizer's, left out) hold exactly that many values
    and the model fits in memory; ModelFileError otherwise."""
    declared = param_count(config)
    held = sum(math.prod(shape) for name, (shape, _) in headers.items() if not name.startswith(skip_prefix))
    if declared != held:
        raise ModelFileError(f"its metadata declares an architecture of {declared:,} weights but its tensors "
                             f"hold {held:,} values; the file is damaged or its metadata was edited")
    check_memory(config)
    return declared
