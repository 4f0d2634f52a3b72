"""Conv2d and ConvTranspose2d alone: forward against direct loop convolutions, and every
parameter's and the input's gradient against central finite differences in float64."""
import numpy as np
import pytest

from engine.layers import Conv2d, ConvTranspose2d, SplitChannels

# (height, width, channels, filters, kernel, stride, padding): odd and even sides, 1 and 3 channels
# The transposed direction (Conv2d's input gradient, ConvTranspose2d's forward) gathers when the
# stride divides the kernel and the channels it writes number at least 6, else scatters: the
# cases with 8 channels or filters take both forms across the two layer kinds.  Patch matrices of
# one channel (a Conv2d's input, a ConvTranspose2d's output gradient) are filled tap by tap: the
# cases with 1 channel or 1 filter, among them MNIST's first and last layer's 4x4, stride 2, padding 1.
CASES = [(5, 7, 1, 2, 4, 2, 1), (6, 4, 3, 2, 4, 2, 1), (4, 5, 3, 1, 3, 1, 1), (3, 3, 1, 3, 2, 1, 0),
         (5, 6, 3, 2, 3, 2, 1), (4, 6, 8, 3, 4, 2, 1), (3, 4, 2, 8, 4, 2, 1), (7, 5, 8, 2, 6, 3, 2),
         (5, 3, 2, 8, 3, 1, 1), (4, 5, 2, 1, 4, 2, 1)]
N = 3


def bound(layer, seed=0):
    rng = np.random.default_rng(seed)
    params = np.empty(layer.n_params)
    layer.bind(params, np.zeros(layer.n_params))
    layer.init(rng)
    layer.params[1][...] = rng.uniform(-0.5, 0.5, layer.params[1].shape)   # biases not all alike
    return layer


def direct_conv(x, K, b, stride, padding):
    """y[n, i, j, f] = b[f] + sum_{a, c, ch} xp[n, s*i + a, s*j + c, ch] K[a, c, ch, f], as loops."""
    n, h, w, ch = x.shape
    k = K.shape[0]
    xp = np.zeros((n, h + 2 * padding, w + 2 * padding, ch))
    xp[:, padding:padding + h, padding:padding + w] = x
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    y = np.empty((n, oh, ow, K.shape[3]))
    for m in range(n):
        for i in range(oh):
            for j in range(ow):
                for f in range(K.shape[3]):
                    patch = xp[m, stride * i:stride * i + k, stride * j:stride * j + k, :]
                    y[m, i, j, f] = b[f] + np.sum(patch * K[:, :, :, f])
    return y


def direct_conv_transpose(x, K, b, stride, padding):
    """Each input pixel scatters x[n, i, j, :] . K[:, a, c, f] to padded output (s*i + a, s*j + c)."""
    n, h, w, ch = x.shape
    k, f_out = K.shape[1], K.shape[3]
    hp, wp = (h - 1) * stride + k, (w - 1) * stride + k
    yp = np.zeros((n, hp, wp, f_out))
    for m in range(n):
        for i in range(h):
            for j in range(w):
                for a in range(k):
                    for c in range(k):
                        yp[m, stride * i + a, stride * j + c, :] += x[m, i, j, :] @ K[:, a, c, :]
    return yp[:, padding:hp - padding, padding:wp - padding, :] + b


@pytest.mark.parametrize("case", CASES)
def test_conv2d_forward_matches_loops(case):
    h, w, c, f, k, s, p = case
    layer = bound(Conv2d((h, w, c), f, k, s, p))
    x = np.random.default_rng(1).standard_normal((N, h * w * c))
    K = layer.params[0].reshape(k, k, c, f)
    expected = direct_conv(x.reshape(N, h, w, c), K, layer.params[1], s, p)
    assert expected.shape[1:] == layer.out_shape
    np.testing.assert_allclose(layer.forward(x.copy()), expected.reshape(N, -1), rtol=1e-12, atol=1e-12)
    cache = layer.make_cache(N, np.float64)
    np.testing.assert_allclose(layer.forward(x, cache), expected.reshape(N, -1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_conv_transpose2d_forward_matches_loops(case):
    h, w, c, f, k, s, p = case
    layer = bound(ConvTranspose2d((h, w, c), f, k, s, p))
    x = np.random.default_rng(2).standard_normal((N, h * w * c))
    K = layer.params[0].reshape(c, k, k, f)
    expected = direct_conv_transpose(x.reshape(N, h, w, c), K, layer.params[1], s, p)
    assert expected.shape[1:] == layer.out_shape
    np.testing.assert_allclose(layer.forward(x), expected.reshape(N, -1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.forward(x, layer.make_cache(N, np.float64)), expected.reshape(N, -1),
                               rtol=1e-12, atol=1e-12)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x), y> = <x, conv_transpose(y)> with the same kernel and no bias."""
    h, w, c, f = 6, 8, 3, 2
    conv = bound(Conv2d((h, w, c), f))
    deconv = bound(ConvTranspose2d(conv.out_shape, c))
    K = conv.params[0].reshape(4, 4, c, f)
    deconv.params[0][...] = K.transpose(3, 0, 1, 2).reshape(f, -1)     # (F, k, k, C): deconv maps F -> C
    conv.params[1][...] = deconv.params[1][...] = 0.0
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, conv.in_size)), rng.standard_normal((2, conv.out_size))
    assert deconv.out_shape == (h, w, c)
    np.testing.assert_allclose(np.vdot(conv.forward(x), y), np.vdot(x, deconv.forward(y)), rtol=1e-12)


def finite_difference_check(layer, seed=0, h=1e-6):
    """Loss = sum(R * layer(x)): every parameter's and every input's gradient vs central differences."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, layer.in_size))
    R = rng.standard_normal((N, layer.out_size))
    cache = layer.make_cache(N, np.float64)
    layer.forward(x.copy(), cache)
    dx = layer.backward(R.copy(), cache, need_dx=True).copy()

    def loss():
        return float(np.sum(R * layer.forward(x.copy())))

    for tensor, grad in zip(layer.params, layer.grads):
        assert np.any(grad != 0)
        numeric = np.empty(tensor.size)
        flat = tensor.reshape(-1)
        for i in range(flat.size):
            v = flat[i]
            flat[i] = v + h
            up = loss()
            flat[i] = v - h
            numeric[i] = (up - loss()) / (2 * h)
            flat[i] = v
        np.testing.assert_allclose(grad.reshape(-1), numeric, rtol=1e-6, atol=1e-7)
    numeric_dx = np.empty(x.size)
    flat_x = x.reshape(-1)
    for i in range(flat_x.size):
        v = flat_x[i]
        flat_x[i] = v + h
        up = loss()
        flat_x[i] = v - h
        numeric_dx[i] = (up - loss()) / (2 * h)
        flat_x[i] = v
    np.testing.assert_allclose(dx.reshape(-1), numeric_dx, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_gradients(case):
    h, w, c, f, k, s, p = case
    finite_difference_check(bound(Conv2d((h, w, c), f, k, s, p)))


@pytest.mark.parametrize("case", CASES)
def test_conv_transpose2d_gradients(case):
    h, w, c, f, k, s, p = case
    finite_difference_check(bound(ConvTranspose2d((h, w, c), f, k, s, p)))


def test_split_channels_reorders_and_back():
    layer = SplitChannels(pixels=3, channels=2)
    x = np.arange(12.0)[None]                        # pixel-major: (m0 m1 v0 v1) per pixel
    y = layer.forward(x)
    np.testing.assert_array_equal(y, [[0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11]])
    cache = layer.make_cache(1, np.float64)
    layer.forward(x, cache)
    np.testing.assert_array_equal(layer.backward(y.copy(), cache), x)
