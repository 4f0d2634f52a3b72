"""The layers of a VAE from its config: the MLP, or convolutions around the same dense core.

MLP encoder: Dense + activation per hidden size, then Dense to [mu | logvar] (2L).  Decoder:
Dense + activation per decoder size, then Dense to the output.
Conv (channels c1..cm): the encoder starts with Conv2d(C -> c1) + activation, ...,
Conv2d(c_{m-1} -> cm) + activation, each 4x4, stride 2, padding 1 (halving height and width),
then the MLP encoder on the flattened (H/2^m, W/2^m, cm) maps.  The decoder mirrors it: the
MLP decoder, Dense to H/2^m * W/2^m * cm + activation, then ConvTranspose2d(cm -> c_{m-1}) +
activation, ..., ConvTranspose2d(c1 -> C) giving the logits (2C channels, reordered by
SplitChannels, when the Gaussian variance is learned).
"""
from __future__ import annotations

from .config import VAEConfig
from .image_shape import ImageShape
from .layers import Activation, Conv2d, ConvTranspose2d, Dense, Layer, SplitChannels

KERNEL, STRIDE, PADDING = 4, 2, 1


def _dense_stack(sizes: tuple[int, ...], activation: str) -> list[Layer]:
    layers: list[Layer] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Dense(n_in, n_out), Activation(activation, n_out)]
    return layers


def build(config: VAEConfig) -> tuple[list[Layer], list[Layer]]:
    """(encoder, decoder) layer lists, unbound; encoder ends in the 2L statistics, decoder in
    the likelihood's parameters (config.input_dim values per image, twice that if it learns
    the variance)."""
    image = ImageShape.of(tuple(config.image_shape))
    act, L = config.activation, config.latent_dim
    out_factor = 2 if config.learns_variance else 1
    encoder: list[Layer] = []
    shape = (image.height, image.width, image.channels)
    for filters in config.channels:
        conv = Conv2d(shape, filters, KERNEL, STRIDE, PADDING)
        encoder += [conv, Activation(act, conv.out_size)]
        shape = conv.out_shape
    flat = shape[0] * shape[1] * shape[2]
    enc_sizes = (flat,) + config.hidden
    encoder += _dense_stack(enc_sizes, act) + [Dense(enc_sizes[-1], 2 * L)]
    dec_sizes = (L,) + config.decoder_sizes
    decoder = _dense_stack(dec_sizes, act)
    if not config.channels:
        return encoder, decoder + [Dense(dec_sizes[-1], out_factor * flat)]
    decoder += [Dense(dec_sizes[-1], flat), Activation(act, flat)]
    targets = tuple(reversed(config.channels[:-1])) + (out_factor * image.channels,)
    for i, filters in enumerate(targets):
        deconv = ConvTranspose2d(shape, filters, KERNEL, STRIDE, PADDING)
        decoder.append(deconv)
        if i < len(targets) - 1:
            decoder.append(Activation(act, deconv.out_size))
        shape = deconv.out_shape
    if out_factor == 2:
        decoder.append(SplitChannels(image.height * image.width, image.channels))
    return encoder, decoder
