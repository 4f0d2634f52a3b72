"""Every registered layer kind: each of its examples' parameter and input gradients against
central finite differences in float64, and what it declares for model files and PyTorch."""
import numpy as np
import pytest

from engine.layers import REGISTRY, Layer, register

EXAMPLES = [(kind, i) for kind, cls in sorted(REGISTRY.items()) for i in range(len(cls.examples()))]
N = 3


def bound(layer: Layer, seed: int = 0) -> Layer:
    rng = np.random.default_rng(seed)
    layer.bind(np.empty(layer.n_params), np.zeros(layer.n_params))
    layer.init(rng)
    for tensor in layer.params:                       # biases not all alike, nor zero
        tensor += rng.uniform(-0.5, 0.5, tensor.shape)
    return layer


def numeric(loss, values: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d loss / d values by central differences, one value at a time (values changed in place)."""
    flat, grad = values.reshape(-1), np.empty(values.size)
    for i in range(flat.size):
        v = flat[i]
        flat[i] = v + h
        up = loss()
        flat[i] = v - h
        grad[i] = (up - loss()) / (2 * h)
        flat[i] = v
    return grad


@pytest.mark.parametrize("kind,index", EXAMPLES)
def test_every_gradient_of_every_layer_kind(kind, index):
    """Loss = sum(R * layer(x)): backward's dL/dx and every parameter's gradient, against
    central differences of the inference forward pass."""
    layer = bound(REGISTRY[kind].examples()[index])
    rng = np.random.default_rng(index)
    x = rng.standard_normal((N, layer.in_size))
    x[np.abs(x) < 1e-3] = 0.5                 # no value within h of relu's kink
    R = rng.standard_normal((N, layer.out_size))
    cache = layer.make_cache(N, np.float64)
    y = layer.forward(x.copy(), cache)
    np.testing.assert_allclose(y, layer.forward(x.copy()), rtol=1e-13, atol=1e-13)   # cached = inference
    dx = layer.backward(R.copy(), cache, need_dx=True).copy()

    def loss() -> float:
        return float(np.sum(R * layer.forward(x.copy())))

    for tensor, grad in zip(layer.params, layer.grads):
        assert np.any(grad != 0)
        np.testing.assert_allclose(grad.reshape(-1), numeric(loss, tensor), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dx.reshape(-1), numeric(loss, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_names_its_tensors_and_maps_them_to_its_pytorch_twin(kind):
    for layer in REGISTRY[kind].examples():
        assert REGISTRY[layer.kind] is type(layer)
        assert len(layer.tensor_names) == len(layer.param_shapes)
        layer = bound(layer)
        twin = layer.to_torch(layer.params)
        assert [t.size for t in twin] == [p.size for p in layer.params]
        copies = [np.zeros(p.shape) for p in layer.params]
        layer.from_torch([np.array(t) for t in twin], copies)         # and back, exactly
        for got, want in zip(copies, layer.params):
            np.testing.assert_array_equal(got, want)


def test_the_registry_lists_the_kinds_and_refuses_a_second_of_a_name():
    assert {"dense", "activation", "conv2d", "conv_transpose2d", "split_channels"} <= set(REGISTRY)

    class Twice(Layer):
        kind = "dense"

    with pytest.raises(ValueError):
        register(Twice)
    assert REGISTRY["dense"].__name__ == "Dense"
