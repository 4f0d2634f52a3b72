"""Settings of a model and of a training run, as plain dataclasses that round-trip through JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from . import architecture
from .activations import NAMES as ACTIVATIONS
from .errors import ConfigError
from .image_shape import ImageShape

LIKELIHOODS = ("bernoulli", "gaussian")
OPTIMIZERS = ("adam", "sgd")
ARCHS = tuple(architecture.FAMILIES)


@dataclass
class VAEConfig:
    """Architecture of a VAE.

    image_shape: the ImageShape (height, width, channels) of its images; (height, width), as
    files written before colour record it, means grey.  Each of the H*W*C values is one output
    of the likelihood, so for colour the Bernoulli or Gaussian applies per channel value.
    hidden: encoder hidden layer sizes, input side first; the decoder mirrors them unless
    decoder_hidden is given.  likelihood "bernoulli" models pixels in [0, 1] with logits;
    "gaussian" models them with a sigmoid mean and either a fixed variance (output_variance)
    or, when output_variance is None, a per-pixel variance the decoder learns.
    arch "conv" puts one stride-2, 4x4, padding-1 convolution per entry of `channels` before
    the hidden layers, and the mirrored transposed convolutions after the decoder's (see
    engine/architecture.py); image sides must then divide by 2 ** len(channels).
    """

    image_shape: ImageShape = ImageShape(28, 28, 1)
    hidden: tuple[int, ...] = (400,)
    latent_dim: int = 2
    decoder_hidden: tuple[int, ...] | None = None
    activation: str = "relu"
    likelihood: str = "bernoulli"
    output_variance: float | None = None
    arch: str = "mlp"
    channels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.image_shape = ImageShape.of(tuple(int(s) for s in self.image_shape))
        self.hidden = tuple(int(h) for h in self.hidden)
        if self.decoder_hidden is not None:
            self.decoder_hidden = tuple(int(h) for h in self.decoder_hidden)
        if any(h < 1 for h in self.hidden + (self.decoder_hidden or ())):
            raise ConfigError(f"hidden layer sizes must be positive, got {self.hidden}")
        if self.latent_dim < 1:
            raise ConfigError(f"latent size must be at least 1, got {self.latent_dim}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}; choose from {', '.join(ACTIVATIONS)}")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"unknown likelihood {self.likelihood!r}; choose from {', '.join(LIKELIHOODS)}")
        if self.output_variance is not None and not self.output_variance > 0:
            raise ConfigError(f"output variance must be positive, got {self.output_variance}")
        self.channels = tuple(int(c) for c in self.channels)
        architecture.family(self.arch).check(self.channels, self.image_shape)

    @property
    def input_dim(self) -> int:
        return self.image_shape.size

    @property
    def decoder_sizes(self) -> tuple[int, ...]:
        """Decoder hidden sizes, latent side first."""
        return self.decoder_hidden if self.decoder_hidden is not None else tuple(reversed(self.hidden))

    @property
    def learns_variance(self) -> bool:
        return self.likelihood == "gaussian" and self.output_variance is None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "image_shape": list(self.image_shape)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VAEConfig:
        return cls(**_known(cls, d))


@dataclass
class TrainConfig:
    """How to train: minibatch Adam (or SGD) on the per-image negative ELBO.

    beta weighs the KL term; with warmup_epochs > 0 it rises linearly from 0 to beta over
    that many epochs, batch by batch.
    """

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    beta: float = 1.0
    warmup_epochs: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if not self.beta >= 0:
            raise ConfigError(f"beta must be non-negative, got {self.beta}")
        if self.warmup_epochs < 0:
            raise ConfigError(f"warm-up epochs must be non-negative, got {self.warmup_epochs}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return cls(**_known(cls, d))


def _known(cls, d: dict) -> dict:
    names = {f.name for f in fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} settings: {', '.join(sorted(unknown))}")
    return dict(d)
