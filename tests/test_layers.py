"""Layer-level contract: config, shapes, weight counts, a `fit` step with
jit_compile="auto" and True, and mixed precision (stateful included)."""

import keras
import numpy as np
import pytest

from gatedkeras import layers
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

# (class, options, trainable weights)
CONFIGS = [
    (layers.SimpleRNN, {}, 3),
    (layers.SimpleRNN, {"layer_norm": True}, 5),
    (layers.LSTM, {}, 3),
    (layers.LSTM, {"peephole": True}, 4),
    (layers.LSTM, {"layer_norm": True}, 7),
    (layers.LSTM, {"proj_units": 2}, 4),
    (layers.LSTM, {"coupled_gates": True, "zoneout": 0.1}, 3),
    (layers.LSTM, {"recurrent_dropout": 0.2, "dropout": 0.1}, 3),
    (layers.GRU, {}, 3),
    (layers.GRU, {"reset_after": False}, 3),
    (layers.GRU, {"layer_norm": True, "zoneout": 0.1}, 5),
    (layers.GRU, {"use_bias": False, "recurrent_dropout": 0.3}, 2),
]


@pytest.mark.parametrize("cls,options,n_weights", CONFIGS)
def test_layer_contract(cls, options, n_weights):
    width = options.get("proj_units", 4)
    run_layer_test(
        cls,
        {"units": 4, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, width),
        expected_num_trainable_weights=n_weights,
    )
    run_layer_test(
        cls,
        {"units": 4, "return_state": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=[(2, width)]
        + [(2, s) for s in cls(4, **options).state_size],
        expected_num_trainable_weights=n_weights,
        run_mixed_precision=False,
    )


def test_regularizer_losses_are_counted():
    run_layer_test(
        layers.LSTM,
        {
            "units": 4,
            "kernel_regularizer": "l2",
            "recurrent_regularizer": "l1",
            "activity_regularizer": "l2",
        },
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 4),
        expected_num_trainable_weights=3,
        expected_num_losses=3,
    )


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("options", [{}, {"layer_norm": True, "zoneout": 0.1}])
def test_fit_with_jit(cls, options):
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = np.random.default_rng(0).standard_normal((8, 6, 3)).astype("float32")
    y = np.zeros((8, 4), "float32")
    model = keras.Sequential(
        [keras.Input((6, 3)), cls(4, recurrent_dropout=0.1, **options)]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("options", [{}, {"layer_norm": True}])
def test_mixed_precision(policy, cls, options):
    keras.config.set_dtype_policy(policy)
    compute = policy.split("_")[1]
    inputs = keras.Input((5, 3), batch_size=2)
    layer = cls(4, stateful=True, return_state=True, zoneout=0.1, **options)
    outputs = layer(inputs)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    results = model(x)
    for tensor in results:
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.trainable_weights)
    # As in Keras, the state variables keep the variable dtype; the states
    # are computed and returned in the compute dtype.
    assert all(s.dtype == "float32" for s in layer.states)
    # The state carried into the next batch is the last one returned.
    np.testing.assert_allclose(
        to_numpy(layer.states[0]).astype("float32"),
        to_numpy(results[1]).astype("float32"),
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, [np.zeros(r.shape, "float32") for r in results], verbose=0)
    assert all(np.isfinite(to_numpy(w)).all() for w in layer.weights)


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_stacked_layers_fit_with_jit(cls):
    """A layer above another gatedkeras layer gets a static sequence length
    (XLA sizes the loop's arrays from it)."""
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = np.random.default_rng(0).standard_normal((4, 6, 3)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            cls(4, return_sequences=True, layer_norm=True),
            cls(4, return_sequences=True, layer_norm=True),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    history = model.fit(x, np.zeros((4, 6, 4), "float32"), verbose=0)
    assert np.isfinite(history.history["loss"][0])
