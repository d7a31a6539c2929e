"""The recurrent cells' layer norm and its written-out gradient, against
`keras.ops.layer_normalization` and the backend's autodiff of it."""

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras import layers
from gatedkeras.diagnostics import _gradients
from gatedkeras.engine import layer_norm as module
from tests.harness import assert_close
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

WEIGHTS = [(True, True), (True, False), (False, False)]


def _data(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = (3 * rng.standard_normal(shape) + 1).astype("float32")
    gamma = (1 + 0.5 * rng.standard_normal(shape[-1])).astype("float32")
    beta = (0.5 * rng.standard_normal(shape[-1])).astype("float32")
    upstream = rng.standard_normal(shape).astype("float32")
    return x, gamma, beta, upstream


def _reference(x, gamma, beta):
    return ops.layer_normalization(x, gamma, beta, epsilon=module.EPSILON)


@pytest.mark.parametrize("shape", [(5, 12), (3, 4, 12)], ids=["2d", "3d"])
@pytest.mark.parametrize("weights", WEIGHTS, ids=["gamma-beta", "gamma", "-"])
def test_values_and_gradients_match_autodiff(shape, weights):
    """Forward values, and the gradients of a weighted sum of the outputs
    with respect to the input and each weight, on this backend."""
    has_gamma, has_beta = weights
    x, gamma, beta, upstream = _data(shape)
    gamma, beta = (gamma if has_gamma else None), (beta if has_beta else None)
    present = [w for w in (gamma, beta) if w is not None]
    normalise = module._NORMALISERS[weights]
    upstream = ops.convert_to_tensor(upstream)

    def weights_of(sources):
        rest = iter(sources[1:])
        return [next(rest) if w is not None else None for w in (gamma, beta)]

    def ours(sources):
        return ops.sum(normalise(*sources) * upstream)

    def reference(sources):
        return ops.sum(_reference(sources[0], *weights_of(sources)) * upstream)

    sources = [ops.convert_to_tensor(v) for v in (x, *present)]
    assert_close(normalise(*sources), _reference(x, gamma, beta), atol=1e-5)
    for got, expected in zip(
        _gradients(ours, sources), _gradients(reference, sources), strict=True
    ):
        assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_public_function_matches_keras_and_keeps_the_dtype():
    x, gamma, beta, _ = _data((4, 8))
    assert_close(module.layer_norm(x, gamma, beta), _reference(x, gamma, beta))
    low = module.layer_norm(ops.cast(x, "bfloat16"), gamma, beta)
    assert keras.backend.standardize_dtype(low.dtype) == "bfloat16"
    assert_close(
        to_numpy(ops.cast(low, "float32")),
        _reference(x, gamma, beta),
        atol=0.05,
        rtol=0.02,
    )


def test_layer_norm_lstm_trains_under_jit():
    """The written-out gradient inside the engine's compiled loop: one
    fitted step changes every weight, and the loss falls over a few."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 6, 3)).astype("float32")
    y = rng.standard_normal((8, 4)).astype("float32")
    model = keras.Sequential(
        [keras.Input((6, 3)), layers.LSTM(4, layer_norm=True)]
    )
    model.compile("adam", "mse", jit_compile="auto")
    before = [to_numpy(w) for w in model.weights]
    losses = [model.train_on_batch(x, y) for _ in range(20)]
    assert all(
        not np.allclose(b, to_numpy(w))
        for b, w in zip(before, model.weights, strict=True)
    )
    assert losses[-1] < losses[0]
