"""Every parameter's gradient of the full VAE loss against central finite differences, in float64."""
import numpy as np
import pytest

from engine import VAE, VAEConfig
from engine.config import ACTIVATIONS

LIKELIHOODS = [("bernoulli", None), ("gaussian", 0.5), ("gaussian", None)]


def numeric_gradient(model: VAE, x, eps, beta, h=1e-4) -> np.ndarray:
    """Five-point central differences: error O(h^4), so float64 rounding, not truncation, limits it."""
    def loss_at(i, value):
        model.params[i] = value
        return model.train_step(x, eps, beta)[0]

    grad = np.empty_like(model.params)
    for i in range(model.params.size):
        p = model.params[i]
        grad[i] = (8 * (loss_at(i, p + h) - loss_at(i, p - h))
                   - (loss_at(i, p + 2 * h) - loss_at(i, p - 2 * h))) / (12 * h)
        model.params[i] = p
    return grad


def check(cfg: VAEConfig, beta=0.7, n=4, seed=0) -> None:
    """Every parameter's analytic gradient matches finite differences.

    Per layer tensor, the relative error ||a - n|| / (||a|| + ||n||) is below 1e-6; per element,
    allclose with rtol 1e-6 and atol 1e-9 (the rounding floor of differencing a loss of ~5 nats).
    """
    model = VAE(cfg, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, (n, cfg.input_dim))
    eps = rng.standard_normal((n, cfg.latent_dim))
    model.train_step(x, eps, beta)
    analytic = model.grads.copy()
    numeric = numeric_gradient(model, x, eps, beta)
    offset = 0
    for layer in model.layers:
        for tensor in layer.params:
            a, n_ = analytic[offset:offset + tensor.size], numeric[offset:offset + tensor.size]
            offset += tensor.size
            assert np.linalg.norm(a - n_) / (np.linalg.norm(a) + np.linalg.norm(n_)) < 1e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("likelihood,variance", LIKELIHOODS)
def test_full_loss_gradient(activation, likelihood, variance):
    cfg = VAEConfig(image_shape=(2, 3), hidden=(5, 4), latent_dim=2, activation=activation,
                    likelihood=likelihood, output_variance=variance)
    check(cfg)


@pytest.mark.parametrize("hidden,decoder_hidden", [((), None), ((5,), (3, 4)), ((6,), ())])
def test_gradient_of_other_shapes(hidden, decoder_hidden):
    cfg = VAEConfig(image_shape=(3, 2), hidden=hidden, decoder_hidden=decoder_hidden, latent_dim=3,
                    activation="tanh")
    check(cfg, beta=1.3)


def test_gradient_scale_multiplies_every_gradient():
    cfg = VAEConfig(image_shape=(2, 2), hidden=(3,), latent_dim=2)
    model = VAE(cfg, dtype=np.float64)
    rng = np.random.default_rng(1)
    x, eps = rng.uniform(size=(3, 4)), rng.standard_normal((3, 2))
    model.train_step(x, eps, 1.0, grad_scale=1.0)
    plain = model.grads.copy()
    model.train_step(x, eps, 1.0, grad_scale=0.1)
    np.testing.assert_allclose(model.grads, 0.1 * plain, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("likelihood,variance", LIKELIHOODS)
def test_conv_vae_gradient(likelihood, variance):
    """The full conv VAE loss: two stride-2 convolutions, dense core, mirrored transposed convolutions."""
    cfg = VAEConfig(image_shape=(8, 4), arch="conv", channels=(2, 3), hidden=(5,), latent_dim=2,
                    activation="tanh", likelihood=likelihood, output_variance=variance)
    check(cfg, n=3)


def test_a_batch_split_across_threads_gives_the_same_gradient():
    cfg = VAEConfig(image_shape=(8, 8), arch="conv", channels=(3, 4), hidden=(6,), latent_dim=2)
    model = VAE(cfg, dtype=np.float64)
    rng = np.random.default_rng(2)
    x, eps = rng.uniform(size=(7, 64)), rng.standard_normal((7, 2))
    whole = model.train_step(x, eps, 0.8, grad_scale=0.1)
    expected = model.grads.copy()
    split = model.train_step(x, eps, 0.8, grad_scale=0.1, parts=2)
    np.testing.assert_allclose(split, whole, rtol=1e-12)
    np.testing.assert_allclose(model.grads, expected, rtol=1e-10, atol=1e-14)
    assert model.unsummed_grads() == []
    model.train_step(x, eps, 0.8, grad_scale=0.1, parts=2, sum_parts=False)     # left for the optimizer
    [other] = model.unsummed_grads()
    assert not np.allclose(model.grads, expected)
    np.testing.assert_allclose(model.grads + other, expected, rtol=1e-10, atol=1e-14)


def test_colour_conv_vae_gradient():
    """RGB images (height, width, channels), channels-last through the convolutions."""
    cfg = VAEConfig(image_shape=(4, 8, 3), arch="conv", channels=(2, 3), hidden=(4,), latent_dim=2,
                    activation="softplus")
    check(cfg, n=2)
