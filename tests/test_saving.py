"""`.keras` round trips of every layer and option, Bidirectional, and our
cells inside Keras's own RNN wrappers."""

import keras
import numpy as np
import pytest

from gatedkeras import cells
from gatedkeras import layers
from tests.harness import assert_close
from tests.harness import round_trip

pytestmark = pytest.mark.backend_math

CONFIGS = [
    (layers.SimpleRNN, {}),
    (layers.SimpleRNN, {"layer_norm": True, "zoneout": 0.1}),
    (layers.LSTM, {}),
    (layers.LSTM, {"peephole": True, "coupled_gates": True}),
    (layers.LSTM, {"layer_norm": True, "proj_units": 3, "zoneout": 0.1}),
    (
        layers.LSTM,
        {
            "dropout": 0.1,
            "recurrent_dropout": 0.2,
            "kernel_regularizer": "l2",
            "activation": "relu",
            "go_backwards": True,
        },
    ),
    (layers.GRU, {}),
    (layers.GRU, {"reset_after": False, "use_bias": False}),
    (layers.GRU, {"layer_norm": True, "zoneout": 0.2, "use_cudnn": False}),
]


def _x():
    return np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")


@pytest.mark.parametrize("cls,options", CONFIGS)
def test_keras_round_trip(cls, options, tmp_path):
    inputs = keras.Input((5, 3))
    outputs = cls(4, return_sequences=True, **options)(inputs)
    model = keras.Model(inputs, outputs)
    x = _x()
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is cls
    assert layer.get_config() == model.layers[-1].get_config()


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_bidirectional_round_trip_with_state(cls, tmp_path):
    inputs = keras.Input((5, 3))
    outputs = keras.layers.Bidirectional(
        cls(4, return_sequences=True, return_state=True)
    )(inputs)
    model = keras.Model(inputs, outputs)
    x = _x()
    result = model(x)
    n_states = len(cls(4).cell.get_initial_state(1))
    assert len(result) == 1 + 2 * n_states
    assert tuple(result[0].shape) == (2, 5, 8)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    assert type(loaded.layers[-1].backward_layer) is cls
    assert loaded.layers[-1].backward_layer.go_backwards


def test_bidirectional_with_mask_matches_keras():
    tokens = np.array([[3, 1, 4, 0, 0], [0, 2, 7, 1, 8]])

    def model(rnn):
        inputs = keras.Input((None,), dtype="int32")
        x = keras.layers.Embedding(10, 3, mask_zero=True)(inputs)
        return keras.Model(inputs, keras.layers.Bidirectional(rnn)(x))

    theirs = model(keras.layers.LSTM(4, return_sequences=True))
    ours = model(layers.LSTM(4, return_sequences=True))
    ours.set_weights(theirs.get_weights())
    assert_close(ours(tokens), theirs(tokens))


@pytest.mark.parametrize(
    "cell",
    [
        lambda: cells.SimpleRNNCell(4),
        lambda: cells.LSTMCell(4, peephole=True),
        lambda: cells.GRUCell(4, layer_norm=True),
    ],
)
def test_cells_inside_keras_rnn(cell, tmp_path):
    x = _x()
    # Keras's generic loop over our cell equals our own layer's loop.
    keras_rnn = keras.layers.RNN(cell(), return_sequences=True)
    expected = keras_rnn(x)
    ours = {
        cells.SimpleRNNCell: layers.SimpleRNN,
        cells.LSTMCell: layers.LSTM,
        cells.GRUCell: layers.GRU,
    }[type(keras_rnn.cell)]
    config = {
        k: v
        for k, v in keras_rnn.cell.get_config().items()
        if k not in ("name", "dtype", "trainable")
    }
    layer = ours(return_sequences=True, **config)
    layer(x)
    layer.set_weights(keras_rnn.get_weights())
    assert_close(layer(x), expected)
    model = keras.Sequential([keras.Input((5, 3)), keras_rnn])
    assert_close(round_trip(model, tmp_path)(x), expected, atol=0, rtol=0)


def test_stacked_cells(tmp_path):
    x = _x()
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells(
            [cells.LSTMCell(4), cells.GRUCell(3), cells.SimpleRNNCell(2)]
        ),
        return_sequences=True,
    )
    model = keras.Sequential([keras.Input((5, 3)), stacked])
    result = model(x)
    assert tuple(result.shape) == (2, 5, 2)
    assert_close(round_trip(model, tmp_path)(x), result, atol=0, rtol=0)
