"""Layers sharing one protocol (base.Layer): a network is a list of them, run by network.py.

Each module below defines one layer kind and registers it (`@register`) in REGISTRY, by its
`kind`: a new kind is a new file and one import line here (docs/architecture.md).
"""
from .activation import Activation
from .base import REGISTRY, Layer, register
from .conv2d import Conv2d
from .conv_transpose2d import ConvTranspose2d
from .dense import Dense
from .split_channels import SplitChannels

__all__ = ["Layer", "REGISTRY", "register", "Dense", "Activation", "Conv2d", "ConvTranspose2d", "SplitChannels"]
