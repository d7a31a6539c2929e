"""Our SimpleRNN, LSTM and GRU hold Keras's weights and give Keras's outputs.

Keras's own layers are the oracle: same weights via `set_weights`, outputs
within 1e-5 in float32 for every flag Keras has. The golden values are those
of Keras's own tests (`keras/src/layers/rnn/*_test.py`).
"""

import keras
import numpy as np
import pytest

from gatedkeras import layers
from tests.harness import assert_close
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

PAIRS = [
    (layers.SimpleRNN, keras.layers.SimpleRNN),
    (layers.LSTM, keras.layers.LSTM),
    (layers.GRU, keras.layers.GRU),
]
IDS = ["simple_rnn", "lstm", "gru"]


def _twins(ours_cls, keras_cls, x, **kwargs):
    theirs = keras_cls(4, **kwargs)
    ours = ours_cls(4, **kwargs)
    theirs(x)
    ours(x)
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _inputs(batch=3, timesteps=6, features=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"return_sequences": True, "return_state": True},
        {"go_backwards": True, "return_sequences": True},
        {"go_backwards": True, "return_state": True},
        {"use_bias": False, "return_sequences": True},
        {"unroll": True, "return_sequences": True},
        {"activation": "relu", "return_sequences": True},
    ],
)
def test_matches_keras(ours_cls, keras_cls, kwargs):
    x = _inputs()
    ours, theirs = _twins(ours_cls, keras_cls, x, **kwargs)
    assert_close(ours(x), theirs(x))


@pytest.mark.parametrize(
    "kwargs", [{"unit_forget_bias": False}, {"recurrent_activation": "tanh"}]
)
def test_lstm_options_match_keras(kwargs):
    x = _inputs()
    ours, theirs = _twins(layers.LSTM, keras.layers.LSTM, x, **kwargs)
    assert_close(ours(x), theirs(x))
    # unit_forget_bias decides the initial bias the same way as Keras.
    fresh = layers.LSTM(4, **kwargs)
    fresh(x)
    keras_fresh = keras.layers.LSTM(4, **kwargs)
    keras_fresh(x)
    assert_close(fresh.cell.bias, keras_fresh.cell.bias)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reset_forms_match_keras(reset_after):
    x = _inputs()
    ours, theirs = _twins(
        layers.GRU, keras.layers.GRU, x, reset_after=reset_after,
        return_sequences=True,
    )  # fmt: skip
    assert tuple(ours.cell.bias.shape) == ((2, 12) if reset_after else (12,))
    assert_close(ours(x), theirs(x))


def _masked_tokens():
    # Row 0 right-padded, row 1 left-padded, row 2 fully masked, row 3 full.
    return np.array(
        [
            [3, 1, 4, 1, 0, 0],
            [0, 0, 2, 7, 1, 8],
            [0, 0, 0, 0, 0, 0],
            [2, 8, 1, 8, 2, 8],
        ]
    )


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"go_backwards": True, "return_sequences": True},
        {"return_sequences": True, "zero_output_for_mask": True},
    ],
)
def test_embedding_mask_matches_keras(ours_cls, keras_cls, kwargs):
    tokens = _masked_tokens()

    def model(rnn):
        inputs = keras.Input((None,), dtype="int32")
        embedded = keras.layers.Embedding(10, 5, mask_zero=True)(inputs)
        return keras.Model(inputs, rnn(embedded))

    theirs = model(keras_cls(4, **kwargs))
    ours = model(ours_cls(4, **kwargs))
    ours.set_weights(theirs.get_weights())
    assert_close(ours(tokens), theirs(tokens))


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
def test_masking_layer_matches_keras(ours_cls, keras_cls):
    x = _inputs(batch=3, timesteps=5)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    x[2] = 0.0

    def model(rnn):
        inputs = keras.Input((5, 5))
        masked = keras.layers.Masking(0.0)(inputs)
        return keras.Model(inputs, rnn(masked))

    theirs = model(keras_cls(4, return_sequences=True, return_state=True))
    ours = model(ours_cls(4, return_sequences=True, return_state=True))
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))
    # A fully masked row keeps the initial (zero) state throughout.
    assert np.all(to_numpy(ours(x)[0])[2] == 0)


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
def test_initial_state_matches_keras(ours_cls, keras_cls):
    x = _inputs()
    ours, theirs = _twins(ours_cls, keras_cls, x, return_state=True)
    rng = np.random.default_rng(1)
    states = [
        rng.standard_normal((3, 4)).astype("float32") for _ in theirs.state_size
    ]
    assert_close(ours(x, initial_state=states), theirs(x, initial_state=states))


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
def test_stateful_matches_keras(ours_cls, keras_cls):
    x = _inputs(batch=2)

    def model(rnn):
        inputs = keras.Input((6, 5), batch_size=2)
        return keras.Model(inputs, rnn(inputs))

    theirs = model(keras_cls(4, stateful=True))
    ours = model(ours_cls(4, stateful=True))
    ours.set_weights(theirs.get_weights())
    first = to_numpy(ours(x))
    assert_close(first, theirs(x))
    second = to_numpy(ours(x))
    assert_close(second, theirs(x))
    assert not np.allclose(first, second)
    ours.layers[-1].reset_state()
    theirs.layers[-1].reset_state()
    assert_close(ours(x), first)
    assert_close(theirs(x), first)


def _constant_layer(cls, units, **kwargs):
    return cls(
        units,
        kernel_initializer=keras.initializers.Constant(0.01),
        recurrent_initializer=keras.initializers.Constant(0.02),
        bias_initializer=keras.initializers.Constant(0.03),
        **kwargs,
    )


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({}, [0.6288687, 0.86899155, 0.9460773]),
        ({"go_backwards": True}, [0.35622165, 0.74789524, 0.8872726]),
        ({"unroll": True}, [0.6288687, 0.86899155, 0.9460773]),
        ({"unit_forget_bias": False}, [0.57019705, 0.8661914, 0.9459622]),
        ({"use_bias": False}, [0.54986924, 0.86226785, 0.9443936]),
    ],
)
def test_lstm_golden_values(kwargs, expected):
    # keras/src/layers/rnn/lstm_test.py::test_correctness: every unit of a
    # row is equal, so one value per row.
    x = np.arange(72, dtype="float32").reshape(3, 6, 4)
    output = to_numpy(_constant_layer(layers.LSTM, 3, **kwargs)(x))
    np.testing.assert_allclose(
        output, np.repeat(np.array(expected)[:, None], 3, 1), atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({}, [0.5217289, 0.6371659, 0.39384964]),
        ({"go_backwards": True}, [0.24406259, 0.611516, 0.3928808]),
        ({"reset_after": False}, [0.51447755, 0.6426879, 0.40208298]),
        ({"use_bias": False}, [0.49988455, 0.64701194, 0.4103359]),
    ],
)
def test_gru_golden_values(kwargs, expected):
    # keras/src/layers/rnn/gru_test.py::test_correctness: one value per row.
    x = np.arange(72, dtype="float32").reshape(3, 6, 4)
    output = to_numpy(_constant_layer(layers.GRU, 3, **kwargs)(x))
    np.testing.assert_allclose(
        output, np.repeat(np.array(expected)[:, None], 3, 1), atol=1e-5
    )


def test_simple_rnn_golden_values():
    # keras/src/layers/rnn/simple_rnn_test.py::test_correctness.
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    output = to_numpy(_constant_layer(layers.SimpleRNN, 4)(x))
    np.testing.assert_allclose(
        output, [[0.405432] * 4, [0.73605347] * 4], atol=1e-5
    )


def test_lstm_masking_golden_values():
    # keras/src/layers/rnn/lstm_test.py::test_masking.
    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    layer = _constant_layer(layers.LSTM, 2, return_sequences=True)
    output = to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(
        output[0, :, 0],
        [0.0158891, 0.05552048, 0.11755939, 0.11755939],
        atol=1e-5,
    )
    last = to_numpy(_constant_layer(layers.LSTM, 2)(x, mask=mask))
    np.testing.assert_allclose(
        last, [[0.11755939] * 2, [0.28556206] * 2], atol=1e-5
    )


@pytest.mark.parametrize("ours_cls,keras_cls", PAIRS, ids=IDS)
def test_accepts_every_keras_argument(ours_cls, keras_cls):
    import inspect

    theirs = set(inspect.signature(keras_cls.__init__).parameters)
    ours = set(inspect.signature(ours_cls.__init__).parameters)
    assert theirs <= ours, theirs - ours
    # Keras-only keyword arguments passed through **kwargs keep working.
    layer = ours_cls(3, zero_output_for_mask=True, name="rnn", dtype="float32")
    assert layer.zero_output_for_mask and layer.name == "rnn"
    # Every argument of Keras's config round-trips through ours.
    keras_config = keras_cls(3).get_config()
    our_config = ours_cls(3).get_config()
    assert set(keras_config) <= set(our_config), set(keras_config) - set(
        our_config
    )
