"""ONNX export of a VAE: encoder.onnx (images -> mu, logvar) and decoder.onnx (codes -> images).

Built node by node with onnx.helper from the model's layer lists (no PyTorch), in standard ops
only: Gemm, Conv, ConvTranspose, Relu / LeakyRelu / Tanh / Sigmoid / Softplus, Reshape,
Transpose, Slice.  Opset 17 and IR version 8, which onnxruntime has run since 1.11.

Tensors, batch size N free:
    encoder  images (N, H, W) grey or (N, H, W, C) colour, float32 in [0, 1]
             -> mu (N, L), logvar (N, L)
    decoder  codes (N, L) -> images in the encoder's input shape: the decoder's means, as the
             app shows them and VAE.decode returns them: the sigmoid of the first H*W*C outputs
             (Bernoulli means, or Gaussian means; a learned variance's half is dropped).
The engine keeps images channels-last; convolutions here run channels-first (ONNX's layout),
with a Transpose on the way in and out, and one before every flatten, so the numbers match.

onnx is an optional extra (pip install "latent-lab[onnx]"); it is imported only when used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .activations import LEAKY_SLOPE
from .errors import EngineError
from .layers import Activation, Conv2d, ConvTranspose2d, Dense, SplitChannels
from .vae import VAE

OPSET = 17
IR_VERSION = 8
INSTALL_HINT = ('ONNX export needs the optional onnx package: install it with pip install "latent-lab[onnx]" '
                '(or pip install onnx onnxruntime)')
ACTIVATION_OPS = {"relu": ("Relu", {}), "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_SLOPE}),
                  "tanh": ("Tanh", {}), "sigmoid": ("Sigmoid", {}), "softplus": ("Softplus", {})}
TO_NCHW, TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)


class ExportError(EngineError):
    """The model cannot be exported (a layer kind ONNX export does not know, onnx missing)."""


def require_onnx():
    try:
        import onnx
        from onnx import checker, helper, numpy_helper  # noqa: F401  (submodules used below)
    except ImportError:
        raise ExportError(INSTALL_HINT) from None
    return onnx


class _Graph:
    """Nodes and weights of one graph; values are (name, layout), layout "flat" (N, F) or
    ("nchw", C, H, W)."""

    def __init__(self, onnx, dtype: np.dtype) -> None:
        self.onnx, self.dtype = onnx, dtype
        self.nodes, self.weights, self._count = [], [], 0

    def _name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, array: np.ndarray, stem: str) -> str:
        name = self._name(stem)
        self.weights.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str] | None = None, **attrs) -> str:
        outputs = outputs or [self._name(op.lower())]
        self.nodes.append(self.onnx.helper.make_node(op, inputs, outputs, **attrs))
        return outputs[0]

    def reshape(self, x: str, shape: tuple[int, ...], out: str | None = None) -> str:
        return self.node("Reshape", [x, self.const(np.array(shape, np.int64), "shape")], [out] if out else None)

    def slice(self, x: str, axis: int, stop: int, out: str | None = None, start: int = 0) -> str:
        index = [self.const(np.array([v], np.int64), "index") for v in (start, stop, axis)]
        return self.node("Slice", [x, *index], [out] if out else None)

    def to_flat(self, x: str, layout) -> str:
        if layout == "flat":
            return x
        _, c, h, w = layout
        return self.reshape(self.node("Transpose", [x], perm=TO_NHWC), (-1, h * w * c))

    def to_nchw(self, x: str, layout, shape: tuple[int, int, int]) -> tuple[str, tuple]:
        """x as (N, C, H, W) for a convolution whose channels-last input shape is (H, W, C)."""
        h, w, c = shape
        if layout != "flat":
            return x, layout
        if c == 1:                      # one channel: channels-last and -first are the same bytes
            return self.reshape(x, (-1, 1, h, w)), ("nchw", c, h, w)
        return self.node("Transpose", [self.reshape(x, (-1, h, w, c))], perm=TO_NCHW), ("nchw", c, h, w)

    def layer(self, layer, x: str, layout) -> tuple[str, object]:
        """Apply one engine layer; the output value and its layout."""
        if isinstance(layer, Dense):
            x = self.to_flat(x, layout)
            W, b = (p.astype(self.dtype) for p in layer.params)
            return self.node("Gemm", [x, self.const(W, "W"), self.const(b, "b")]), "flat"
        if isinstance(layer, Activation):
            if layer.name not in ACTIVATION_OPS:
                raise ExportError(f"the {layer.name} activation has no ONNX export")
            op, attrs = ACTIVATION_OPS[layer.name]
            return self.node(op, [x], **attrs), layout
        if isinstance(layer, (Conv2d, ConvTranspose2d)):
            x, layout = self.to_nchw(x, layout, layer.in_shape)
            W, b = (t.astype(self.dtype) for t in layer.to_torch(layer.params))   # (F, C, k, k) / (C, F, k, k)
            op = "Conv" if isinstance(layer, Conv2d) else "ConvTranspose"
            k, s, p = layer.geometry.kernel, layer.geometry.stride, layer.geometry.padding
            y = self.node(op, [x, self.const(W, "W"), self.const(b, "b")], kernel_shape=[k, k],
                          strides=[s, s], pads=[p, p, p, p])
            oh, ow, f = layer.out_shape
            return y, ("nchw", f, oh, ow)
        if isinstance(layer, SplitChannels):
            # channels [0, C) are the means; the variances' half is what VAE.decode drops
            if layout == "flat":
                return self.slice(x, 1, layer.pixels * layer.channels), "flat"
            return self.slice(x, 1, layer.channels), ("nchw", layer.channels) + tuple(layout[2:])
        raise ExportError(f"a {type(layer).__name__} layer has no ONNX export")

    def model(self, inputs: list, outputs: list, name: str, doc: str, meta: dict):
        h = self.onnx.helper
        graph = h.make_graph(self.nodes, name, inputs, outputs, initializer=self.weights)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)], producer_name="latent-lab",
                             doc_string=doc)
        model.ir_version = IR_VERSION
        h.set_model_props(model, {k: str(v) for k, v in meta.items()})
        self.onnx.checker.check_model(model, full_check=True)
        return model


def _image_dims(vae: VAE) -> list:
    h, w, c = vae.config.image_shape
    return ["N", h, w] + ([c] if c > 1 else [])


def _meta(vae: VAE) -> dict:
    cfg = vae.config
    return {"image_shape": "x".join(str(s) for s in cfg.image_shape), "latent_dim": cfg.latent_dim,
            "likelihood": cfg.likelihood, "arch": cfg.arch, "output": "decoder means in [0, 1] (sigmoid)"}


def encoder_model(vae: VAE):
    """The encoder as an onnx.ModelProto: images -> mu, logvar."""
    onnx = require_onnx()
    g, cfg = _Graph(onnx, vae.dtype), vae.config
    elem = onnx.helper.np_dtype_to_tensor_dtype(vae.dtype)
    x, layout = g.reshape("images", (-1, cfg.input_dim)), "flat"
    if isinstance(vae.encoder[0], (Conv2d, ConvTranspose2d)) and cfg.image_shape.channels == 1:
        x, layout = g.reshape("images", (-1, 1) + tuple(cfg.image_shape[:2])), ("nchw", 1) + tuple(cfg.image_shape[:2])
    for layer in vae.encoder:
        x, layout = g.layer(layer, x, layout)
    x, L = g.to_flat(x, layout), cfg.latent_dim
    g.slice(x, 1, L, out="mu")
    g.slice(x, 1, 2 * L, out="logvar", start=L)
    info = onnx.helper.make_tensor_value_info
    return g.model([info("images", elem, _image_dims(vae))],
                   [info("mu", elem, ["N", L]), info("logvar", elem, ["N", L])], "latent_lab_encoder",
                   "Latent Lab VAE encoder: images in [0, 1] -> posterior mean and log-variance", _meta(vae))


def decoder_model(vae: VAE):
    """The decoder as an onnx.ModelProto: codes -> images (the decoder's means, in [0, 1])."""
    onnx = require_onnx()
    g, cfg = _Graph(onnx, vae.dtype), vae.config
    elem = onnx.helper.np_dtype_to_tensor_dtype(vae.dtype)
    x, layout = "codes", "flat"
    for layer in vae.decoder:
        x, layout = g.layer(layer, x, layout)
    h, w, c = cfg.image_shape
    if layout == "flat":
        if cfg.learns_variance and not isinstance(vae.decoder[-1], SplitChannels):
            x = g.slice(x, 1, cfg.input_dim)              # [means | log-variances]: keep the means
        g.reshape(g.node("Sigmoid", [x]), (-1, h, w) + ((c,) if c > 1 else ()), out="images")
    else:
        y = g.node("Transpose", [g.node("Sigmoid", [x])], perm=TO_NHWC)
        g.reshape(y, (-1, h, w) + ((c,) if c > 1 else ()), out="images")
    info = onnx.helper.make_tensor_value_info
    return g.model([info("codes", elem, ["N", cfg.latent_dim])], [info("images", elem, _image_dims(vae))],
                   "latent_lab_decoder", "Latent Lab VAE decoder: latent codes -> decoded images in [0, 1]",
                   _meta(vae))


def export_onnx(vae: VAE, folder: str | Path) -> tuple[Path, Path]:
    """Write folder/encoder.onnx and folder/decoder.onnx (each atomically); their paths.
    Both graphs are built and checked before either file is written."""
    from .storage.atomic import write_atomically

    encoder, decoder = encoder_model(vae), decoder_model(vae)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file; name a folder to write encoder.onnx and decoder.onnx into")
    paths = []
    for name, proto in (("encoder.onnx", encoder), ("decoder.onnx", decoder)):
        data = proto.SerializeToString()
        paths.append(write_atomically(folder / name, lambda f, data=data: f.write(data)))
    return paths[0], paths[1]
