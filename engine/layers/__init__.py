"""Layers sharing one protocol (base.Layer): a network is a list of them, run by network.py."""
from .activation import Activation
from .base import Layer
from .conv2d import Conv2d
from .conv_transpose2d import ConvTranspose2d
from .dense import Dense
from .split_channels import SplitChannels

__all__ = ["Layer", "Dense", "Activation", "Conv2d", "ConvTranspose2d", "SplitChannels"]
