"""The architecture families (MLP, conv): the layers of a VAE from its config, with their names.

MLP encoder: Dense + activation per hidden size, then Dense to [mu | logvar] (2L).  Decoder:
Dense + activation per decoder size, then Dense to the output.
Conv (channels c1..cm): the encoder starts with Conv2d(C -> c1) + activation, ...,
Conv2d(c_{m-1} -> cm) + activation, each 4x4, stride 2, padding 1 (halving height and width),
then the MLP encoder on the flattened (H/2^m, W/2^m, cm) maps.  The decoder mirrors it: the
MLP decoder, Dense to H/2^m * W/2^m * cm + activation, then ConvTranspose2d(cm -> c_{m-1}) +
activation, ..., ConvTranspose2d(c1 -> C) giving the logits (2C channels, reordered by
SplitChannels, when the Gaussian variance is learned).

Every layer gets a name; those of the layers with weights name their tensors in model files
(storage/layout.py) and are the attribute names of the PyTorch twin (scale/torch_model.py):
encoder_conv.{i}, encoder.{i} (0 = the input side), encoder_head, decoder.{i} (0 = the latent
side), decoder_map, decoder_deconv.{i}, decoder_out.  A family is the only place that knows what
its name implies: everything else asks `family(config.arch)` (or the VAE's `family`).
"""
from __future__ import annotations

from typing import Protocol

from .errors import ConfigError
from .image_shape import ImageShape
from .layers import Activation, Conv2d, ConvTranspose2d, Dense, Layer, SplitChannels
from .layers.geometry import ConvGeometry

Named = list[tuple[str, Layer]]
HALVING = ConvGeometry(kernel=4, stride=2, padding=1)     # each convolution halves the sides


class VAEConfig(Protocol):
    """What building the layers reads of a config.VAEConfig (which validates its settings with
    this module's families, so this module does not import it)."""

    image_shape: tuple[int, ...]
    hidden: tuple[int, ...]
    latent_dim: int
    activation: str
    arch: str
    channels: tuple[int, ...]

    @property
    def input_dim(self) -> int: ...

    @property
    def decoder_sizes(self) -> tuple[int, ...]: ...

    @property
    def learns_variance(self) -> bool: ...


class Family:
    """What an architecture family's name implies: its defaults, its checks, its layers."""

    name: str = ""
    uses_channels: bool = False                  # whether config.channels means anything to it
    default_channels: tuple[int, ...] = ()
    # Whether a training step splits each batch across the threads (each on one BLAS thread), and
    # a test pass its rows, so element-wise work (im2col copies) runs on every core too.  The
    # MLP's ~60 small calls per pass would hand the GIL back and forth: it uses all BLAS threads.
    splits_batches: bool = False
    # Whether inference runs a few hundred rows at a time (vae.INFER_ROWS): a conv model's im2col
    # buffers grow with the rows and past a few hundred fall out of cache.
    infers_in_chunks: bool = False

    def check(self, channels: tuple[int, ...], image_shape: tuple[int, ...]) -> None:
        """ConfigError, in one sentence, if these settings do not make a model of this family."""
        if channels and not self.uses_channels:
            raise ConfigError("conv channels apply only to the conv architecture (--arch conv)")

    def build(self, config: VAEConfig) -> tuple[Named, Named]:
        """(encoder, decoder) as (name, layer) pairs, unbound."""
        raise NotImplementedError


def _dense_stack(prefix: str, sizes: tuple[int, ...], activation: str) -> Named:
    layers: Named = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [(f"{prefix}.{i}", Dense(n_in, n_out)), (f"{prefix}.{i}.act", Activation(activation, n_out))]
    return layers


def _dense_core(config: VAEConfig, flat: int) -> tuple[Named, Named]:
    """The MLP's layers from `flat` inputs: the encoder to [mu | logvar], the decoder's hidden layers."""
    enc_sizes = (flat,) + config.hidden
    encoder = _dense_stack("encoder", enc_sizes, config.activation)
    encoder.append(("encoder_head", Dense(enc_sizes[-1], 2 * config.latent_dim)))
    return encoder, _dense_stack("decoder", (config.latent_dim,) + config.decoder_sizes, config.activation)


class MLP(Family):
    name = "mlp"

    def build(self, config: VAEConfig) -> tuple[Named, Named]:
        out_factor = 2 if config.learns_variance else 1
        encoder, decoder = _dense_core(config, config.input_dim)
        last = (config.latent_dim,) + config.decoder_sizes
        return encoder, decoder + [("decoder_out", Dense(last[-1], out_factor * config.input_dim))]


class Conv(Family):
    name = "conv"
    default_channels = (32, 64)
    uses_channels = splits_batches = infers_in_chunks = True

    def check(self, channels: tuple[int, ...], image_shape: tuple[int, ...]) -> None:
        if not channels or any(c < 1 for c in channels):
            raise ConfigError(f"the conv architecture needs positive channel counts like 32,64, got {channels}")
        step = HALVING.stride ** len(channels)
        h, w = image_shape[0], image_shape[1]
        if h % step or w % step:
            def near(side: int) -> str:
                lower, upper = side // step * step, (side // step + 1) * step
                return f"{lower} or {upper}" if lower else str(upper)
            raise ConfigError(f"{len(channels)} stride-2 convolutions need image sides divisible by {step}, "
                              f"but the images are {h}x{w}: sides that work are multiples of {step} "
                              f"(height {near(h)}, width {near(w)}), or use fewer channel entries")

    def build(self, config: VAEConfig) -> tuple[Named, Named]:
        image = ImageShape.of(tuple(config.image_shape))
        act, g = config.activation, HALVING
        out_factor = 2 if config.learns_variance else 1
        encoder: Named = []
        shape = (image.height, image.width, image.channels)
        for i, filters in enumerate(config.channels):
            conv = Conv2d(shape, filters, g.kernel, g.stride, g.padding)
            encoder += [(f"encoder_conv.{i}", conv), (f"encoder_conv.{i}.act", Activation(act, conv.out_size))]
            shape = conv.out_shape
        flat = shape[0] * shape[1] * shape[2]
        dense_encoder, decoder = _dense_core(config, flat)
        encoder += dense_encoder
        last = ((config.latent_dim,) + config.decoder_sizes)[-1]
        decoder += [("decoder_map", Dense(last, flat)), ("decoder_map.act", Activation(act, flat))]
        targets = tuple(reversed(config.channels[:-1])) + (out_factor * image.channels,)
        for i, filters in enumerate(targets):
            deconv = ConvTranspose2d(shape, filters, g.kernel, g.stride, g.padding)
            if i < len(targets) - 1:
                decoder += [(f"decoder_deconv.{i}", deconv),
                            (f"decoder_deconv.{i}.act", Activation(act, deconv.out_size))]
            else:
                decoder.append(("decoder_out", deconv))
            shape = deconv.out_shape
        if out_factor == 2:
            decoder.append(("decoder_out.split", SplitChannels(image.height * image.width, image.channels)))
        return encoder, decoder


FAMILIES: dict[str, Family] = {family.name: family for family in (MLP(), Conv())}


def family(name: str) -> Family:
    """The family of this name; ConfigError naming the known ones otherwise."""
    found = FAMILIES.get(name)
    if found is None:
        raise ConfigError(f"unknown architecture {name!r}; choose from {', '.join(FAMILIES)}")
    return found


def build(config: VAEConfig) -> tuple[Named, Named]:
    """(encoder, decoder) as (name, layer) pairs, unbound; the encoder ends in the 2L statistics,
    the decoder in the likelihood's parameters (config.input_dim values per image, twice that if
    it learns the variance)."""
    return family(config.arch).build(config)


def param_count(config: VAEConfig) -> int:
    """Number of weights and biases a model of this config holds, without allocating them."""
    encoder, decoder = build(config)
    return sum(layer.n_params for _, layer in encoder + decoder)
