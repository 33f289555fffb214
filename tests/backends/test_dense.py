"""``B.dense``, the kernel of ``Dense``: ``x @ kernel + bias`` for every input rank and kernel width, including
the narrow heads that torch reads through a column-major copy."""
import numpy as np
import pytest

from kerasport.backends import B


@pytest.mark.parametrize("x_shape, units", [((1024, 256), 10), ((3, 5), 4), ((8, 64, 256), 3), ((512, 300), 16),
                                            ((1024, 256), 64)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_values_and_gradients(x_shape, units, use_bias):
    rng = np.random.RandomState(0)
    x, k = rng.randn(*x_shape).astype("float32"), rng.randn(x_shape[-1], units).astype("float32")
    b = rng.randn(units).astype("float32") if use_bias else None
    expected = x @ k + (b if use_bias else 0)
    out = B.dense(B.convert_to_tensor(x), B.convert_to_tensor(k), None if b is None else B.convert_to_tensor(b))
    np.testing.assert_allclose(B.convert_to_numpy(out), expected, rtol=1e-4, atol=1e-3)
    if B.NAME != "torch":
        return
    import torch
    kt = torch.tensor(k, requires_grad=True)
    upstream = rng.randn(*expected.shape).astype("float32")
    (grad,) = torch.autograd.grad(B.dense(torch.tensor(x), kt, None if b is None else torch.tensor(b)), [kt],
                                  torch.tensor(upstream))
    assert grad.shape == kt.shape
    np.testing.assert_allclose(grad.numpy(), x.reshape(-1, x.shape[-1]).T @ upstream.reshape(-1, units),
                               rtol=1e-4, atol=1e-2)
