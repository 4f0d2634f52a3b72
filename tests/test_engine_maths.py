"""The VAE's formulas against closed forms: KL, Bernoulli log-likelihood, reparameterisation, IWAE."""
import math

import numpy as np
import pytest

from engine import VAE, VAEConfig, losses


def test_kl_matches_closed_form_per_dimension():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    sigma2 = np.exp(logvar)
    # KL(N(m, s2) || N(0, 1)) = 0.5 * (s2 + m^2 - 1 - ln s2), summed over dimensions.
    expected = 0.5 * (sigma2 + mu ** 2 - 1.0 - np.log(sigma2)).sum(axis=1)
    np.testing.assert_allclose(losses.kl_divergence(mu, logvar), expected, rtol=1e-12)


def test_kl_matches_monte_carlo():
    mu, logvar = np.array([[0.7, -1.2]]), np.array([[-0.5, 0.8]])
    rng = np.random.default_rng(1)
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((400_000, 2))
    log_q = -0.5 * (((z - mu) ** 2) / np.exp(logvar) + logvar + math.log(2 * math.pi)).sum(axis=1)
    log_p = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(axis=1)
    assert losses.kl_divergence(mu, logvar)[0] == pytest.approx(np.mean(log_q - log_p), abs=0.01)


def test_kl_is_zero_only_at_the_prior():
    assert losses.kl_divergence(np.zeros((1, 4)), np.zeros((1, 4)))[0] == 0.0
    assert losses.kl_divergence(np.full((1, 4), 0.1), np.zeros((1, 4)))[0] > 0.0


def test_bernoulli_matches_cross_entropy():
    rng = np.random.default_rng(2)
    logits, x = rng.normal(scale=3, size=(4, 6)), rng.uniform(size=(4, 6))
    p = 1.0 / (1.0 + np.exp(-logits))
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(losses.bernoulli_nll(logits, x), expected, rtol=1e-12)


def test_bernoulli_is_stable_for_extreme_logits():
    logits = np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0]], dtype=np.float32)
    x = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]], dtype=np.float32)
    grad = np.empty_like(logits)
    total = losses.bernoulli_nll_total(logits, x, grad, 1.0, losses.BernoulliScratch.for_shape(logits.shape, logits.dtype))
    # Confident and right costs nothing; confident and wrong costs |logit| nats; logit 0 costs ln 2.
    assert losses.bernoulli_nll(logits, x)[0] == pytest.approx(2000.0 + math.log(2.0), rel=1e-6)
    assert total == pytest.approx(2000.0 + math.log(2.0), rel=1e-6)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 1.0, -1.0, -0.5]], atol=1e-6)
    assert np.all(np.isfinite(grad))


def test_gaussian_fixed_variance_is_a_true_log_density():
    x = np.array([[0.2, 0.9]])
    out = np.array([[0.0, 1.0]])                     # mean = sigmoid(out)
    mean = 1.0 / (1.0 + np.exp(-out))
    var = 0.3
    expected = (0.5 * (x - mean) ** 2 / var + 0.5 * math.log(2 * math.pi * var)).sum()
    assert losses.gaussian_nll(out, x, var)[0] == pytest.approx(expected, rel=1e-12)


def test_reparameterisation_uses_standard_deviation_exp_half_logvar():
    model = VAE(VAEConfig(image_shape=(2, 2), hidden=(3,), latent_dim=2), dtype=np.float64)
    x = np.array([[0.1, 0.9, 0.5, 0.3]])
    mu, logvar = model.encode(x)
    z = model.sample_posterior(np.repeat(x, 200_000, axis=0), np.random.default_rng(3))
    np.testing.assert_allclose(z.mean(axis=0), mu[0], atol=0.01)
    np.testing.assert_allclose(z.var(axis=0), np.exp(logvar[0]), rtol=0.02)


def test_train_step_loss_is_recon_plus_beta_kl_at_the_reparameterised_code():
    model = VAE(VAEConfig(image_shape=(2, 3), hidden=(4,), latent_dim=2), dtype=np.float64)
    rng = np.random.default_rng(4)
    x, eps = rng.uniform(size=(5, 6)), rng.standard_normal((5, 2))
    loss, recon, kl = model.train_step(x, eps, beta=0.5)
    mu, logvar = model.encode(x)
    z = mu + np.exp(0.5 * logvar) * eps
    p = model.decode(z)
    expected_recon = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1).mean()
    expected_kl = losses.kl_divergence(mu, logvar).mean()
    assert recon == pytest.approx(expected_recon, rel=1e-10)
    assert kl == pytest.approx(expected_kl, rel=1e-10)
    assert loss == pytest.approx(expected_recon + 0.5 * expected_kl, rel=1e-10)


def test_iwae_bound_is_above_the_elbo_and_tightens_with_k():
    model = VAE(VAEConfig(image_shape=(4, 4), hidden=(20,), latent_dim=3), seed=5, dtype=np.float64)
    x = (np.random.default_rng(6).uniform(size=(300, 16)) > 0.5).astype(float)
    recon, kl = model.elbo_terms(x, np.random.default_rng(7))
    elbo = -(recon + kl).mean()
    bounds = [model.iwae_log_likelihood(x, k, np.random.default_rng(8)).mean() for k in (1, 5, 50)]
    assert bounds[0] == pytest.approx(elbo, abs=0.3)       # K = 1 is an ELBO estimate
    assert elbo < bounds[1] < bounds[2]
