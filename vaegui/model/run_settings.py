"""The next run's settings as a model: architecture, optimiser and length, with evented setters.

The Training panel binds its controls to this object (and follows it back), `main.py` and
scripts set it directly, and Start builds the engine's configs from it, so no setting lives in
a spin box. Every setter emits `changed(name, value)` only when the value changed. Text fields
(hidden sizes, conv channels) are kept as typed and parsed at Start, where a bad value gets
one clear sentence.
"""
from __future__ import annotations

from PyQt5.QtCore import QObject, pyqtSignal

DEFAULT_EPOCHS = 20       # a full MNIST run of the default model takes about a minute here (~2.5-3 s an epoch)
DEFAULT_HIDDEN = "400"
DEFAULT_CHANNELS = "32,64"
ARCHITECTURES = (("MLP", "mlp"), ("Convolutional", "conv"))
LIKELIHOODS = ("bernoulli", "gaussian")
DEFAULTS = dict(arch="mlp", channels=DEFAULT_CHANNELS, hidden=DEFAULT_HIDDEN, latent_dim=2,
                likelihood="bernoulli", epochs=DEFAULT_EPOCHS, batch_size=128, lr=0.001, beta=1.0,
                seed=0, continue_run=False)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'512, 256' -> (512, 256); raises ValueError with a readable message."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("give at least one hidden layer size, e.g. 400 or 512,256")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden layer sizes must be whole numbers, got {text!r}") from None
    if any(s < 1 or s > 8192 for s in sizes):
        raise ValueError("hidden layer sizes must lie between 1 and 8192")
    return sizes


class RunSettings(QObject):
    """The settings Start uses; `values()` is a dict of them, `set(**values)` changes several."""

    changed = pyqtSignal(str, object)          # (name, new value)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._values = dict(DEFAULTS)

    def __getattr__(self, name: str):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    def values(self) -> dict:
        return dict(self._values)

    def set(self, **values) -> None:
        """Change settings by name (unknown names are an error); each change emits once."""
        for name, value in values.items():
            if name not in self._values:
                raise KeyError(f"no run setting {name!r}")
            if value != self._values[name]:
                self._values[name] = value
                self.changed.emit(name, value)

    def hidden_sizes(self) -> tuple[int, ...]:
        return parse_hidden(self.hidden)

    def channel_sizes(self) -> tuple[int, ...]:
        """The conv channels, () for the MLP; raises ValueError on bad input."""
        if self.arch != "conv":
            return ()
        try:
            return parse_hidden(self.channels)
        except ValueError:
            raise ValueError("conv channels must be whole numbers between 1 and 8192, e.g. 32,64") from None

    def vae_config(self, image_shape: tuple):
        """The VAEConfig for these settings; raises ValueError / ConfigError on bad input."""
        from engine import VAEConfig
        return VAEConfig(image_shape=tuple(image_shape), hidden=self.hidden_sizes(), latent_dim=int(self.latent_dim),
                         likelihood=self.likelihood, arch=self.arch, channels=self.channel_sizes())

    def train_config(self):
        from engine import TrainConfig
        return TrainConfig(epochs=int(self.epochs), batch_size=int(self.batch_size), lr=float(self.lr),
                           beta=float(self.beta), seed=int(self.seed))

    def load(self, vae_config, train_config=None) -> None:
        """Take a loaded model's settings (the next run continues or repeats it)."""
        self.set(hidden=",".join(str(h) for h in vae_config.hidden), arch=vae_config.arch,
                 latent_dim=vae_config.latent_dim, likelihood=vae_config.likelihood)
        if vae_config.channels:
            self.set(channels=",".join(str(c) for c in vae_config.channels))
        if train_config is not None:
            self.set(batch_size=train_config.batch_size, lr=train_config.lr, beta=train_config.beta,
                     seed=train_config.seed)
