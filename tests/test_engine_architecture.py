"""The architecture families: what each name implies, the layer names they give, and that only
architecture.py compares an arch by name."""
import re
from pathlib import Path

import pytest

from engine import ARCHITECTURES, VAE, ConfigError, VAEConfig
from engine.architecture import build, family, param_count
from engine.layers import Conv2d, ConvTranspose2d, Dense, SplitChannels
from engine.storage.layout import named_layers

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def test_the_families_say_what_their_names_imply():
    assert set(ARCHITECTURES) == {"mlp", "conv"}
    mlp, conv = family("mlp"), family("conv")
    assert (mlp.uses_channels, mlp.default_channels, mlp.splits_batches) == (False, (), False)
    assert (conv.uses_channels, conv.default_channels, conv.splits_batches) == (True, (32, 64), True)
    assert VAE(VAEConfig(image_shape=(8, 8), hidden=(4,), arch="conv", channels=(2,))).family is conv
    with pytest.raises(ConfigError, match="unknown architecture 'rnn'; choose from mlp, conv"):
        family("rnn")


def test_channels_mean_nothing_to_the_mlp_and_everything_to_conv():
    with pytest.raises(ConfigError, match="apply only to the conv architecture"):
        VAEConfig(channels=(8,))
    with pytest.raises(ConfigError, match="needs positive channel counts"):
        VAEConfig(arch="conv")


def test_conv_layers_are_named_and_ordered_as_their_tensors_are_stored():
    cfg = VAEConfig(image_shape=(8, 8), hidden=(5,), latent_dim=2, arch="conv", channels=(2, 3),
                    likelihood="gaussian")
    encoder, decoder = build(cfg)
    kinds = [(name, type(layer)) for name, layer in encoder + decoder if layer.n_params or name.endswith("split")]
    assert kinds == [("encoder_conv.0", Conv2d), ("encoder_conv.1", Conv2d), ("encoder.0", Dense),
                     ("encoder_head", Dense), ("decoder.0", Dense), ("decoder_map", Dense),
                     ("decoder_deconv.0", ConvTranspose2d), ("decoder_out", ConvTranspose2d),
                     ("decoder_out.split", SplitChannels)]
    assert [name for name, _ in named_layers(cfg)] == [name for name, _ in kinds[:-1]]
    assert len({name for name, _ in encoder + decoder}) == len(encoder) + len(decoder)      # no name twice
    assert param_count(cfg) == VAE(cfg).n_params


def test_no_engine_module_but_architecture_compares_an_arch_by_name():
    """A family's behaviour is asked of the family, so a new family is one class."""
    pattern = re.compile(r"""arch\s*[!=]=|[!=]=\s*["'](mlp|conv)["']|["'](mlp|conv)["']\s*[!=]=""")
    offenders = [f"{path.relative_to(ENGINE)}:{i}" for path in sorted(ENGINE.rglob("*.py")) if path.name != "architecture.py"
                 for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
