"""Depth-Gated LSTM (Yao et al. 2015) against the NumPy equations of
CELLS.md 2.8, against stacked `keras.layers.LSTM` with every depth gate shut
(its external oracle), inside `keras.layers.RNN`, and through the layer
contract: saving, Bidirectional, stateful use, XLA, mixed precision, bad
arguments, training-mode regularisers and the registry.

The layer runs the stack layer by layer where the engine hoists input
projections and step by step elsewhere; the `path` fixture forces each, so
both are checked on every backend.
"""

import re

import keras
import numpy as np
import pytest

from gatedkeras import cells
from gatedkeras import layers
from gatedkeras import registry
from gatedkeras.cells import depth_gated_lstm
from tests import numpy_reference as ref
from tests.harness import assert_close
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

UNITS = 4


@pytest.fixture(params=["by_layer", "by_step"])
def path(request, monkeypatch):
    monkeypatch.setattr(
        depth_gated_lstm,
        "hoist_projection",
        lambda: request.param == "by_layer",
    )
    return request.param


def _x(batch=2, timesteps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


def _data():
    """Four sequences: right-padded, left-padded, fully masked, full."""
    x = _x(4, 7)
    mask = np.ones((4, 7), bool)
    mask[0, 5:] = False
    mask[1, :3] = False
    mask[2] = False
    return x, mask


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [(0.5 * rng.standard_normal(w.shape)).astype("float32")
         for w in layer.weights]
    )  # fmt: skip
    return {w.path.split("/")[-1]: np.array(w.numpy()) for w in layer.weights}


def dg_lstm_step(w, units, num_layers, peephole=False, zoneout=0.0,
                 input_masks=None, recurrent_masks=None,
                 zoneout_keep=None):  # fmt: skip
    """CELLS.md 2.8, the whole stack for one step. Layer 1 is an LSTM on x;
    layer L+1 reads x^{L+1} = h_t^L and has a depth gate
    d = σ(b_d + W_xd x^{L+1} + w_cd ⊙ c_{t-1}^{L+1} + w_ld ⊙ c_t^L) and
    c_t^{L+1} = d ⊙ c_t^L + f ⊙ c_{t-1}^{L+1} + i ⊙ g. Optional peepholes
    (CELLS.md 2.3); input dropout on each layer's input and recurrent
    dropout on h in U h; zoneout on each layer's h and c before the layer
    above reads them: at inference the expectation, in training the masks
    that `zoneout_keep` yields, one list of 2 N per step."""
    input_masks = input_masks or [1.0] * num_layers
    recurrent_masks = recurrent_masks or [1.0] * num_layers
    bias = w.get("bias", np.zeros((num_layers, 4 * units)))
    depth_bias = w.get("depth_bias", np.zeros((num_layers, units)))

    def step(x, states):
        if zoneout_keep is not None:
            keep = next(zoneout_keep)
        new_states, inputs, c_below = [], x, None
        for layer in range(num_layers):
            h, c = states[2 * layer], states[2 * layer + 1]
            inputs = inputs * input_masks[layer]
            if layer == 0:
                wx = inputs @ w["kernel"]
            else:
                wx_all = inputs @ w["upper_kernel"][layer - 1]
                wx, wx_d = wx_all[:, : 4 * units], wx_all[:, 4 * units :]
            uh = (h * recurrent_masks[layer]) @ w["recurrent_kernel"][layer]
            z_i, z_f, z_g, z_o = np.split(wx + uh + bias[layer], 4, -1)
            if peephole:
                p_i, p_f, p_o = np.split(w["peephole_kernel"][layer], 3)
                z_i, z_f = z_i + p_i * c, z_f + p_f * c
            i, f = ref.sigmoid(z_i), ref.sigmoid(z_f)
            c_new = f * c + i * np.tanh(z_g)
            if layer > 0:
                w_cd, w_ld = np.split(w["depth_peephole_kernel"][layer - 1], 2)
                d = ref.sigmoid(
                    depth_bias[layer - 1] + wx_d + w_cd * c + w_ld * c_below
                )
                c_new = c_new + d * c_below
            if peephole:
                z_o = z_o + p_o * c_new
            h_new = ref.sigmoid(z_o) * np.tanh(c_new)
            if zoneout:
                h_new = zoneout * h + (1 - zoneout) * h_new
                c_new = zoneout * c + (1 - zoneout) * c_new
            if zoneout_keep is not None:
                k_h, k_c = keep[2 * layer], keep[2 * layer + 1]
                h_new, c_new = np.where(k_h, h, h_new), np.where(k_c, c, c_new)
            new_states += [h_new, c_new]
            inputs, c_below = h_new, c_new
        return inputs, new_states

    return step


OPTIONS = [
    {"num_layers": 1},
    {"go_backwards": True},
    {"num_layers": 3, "peephole": True, "go_backwards": True},
    {"num_layers": 3, "zoneout": 0.3},
    {"use_bias": False, "peephole": True},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_against_numpy_reference(options, path):
    x, mask = _data()
    layer = layers.DepthGatedLSTM(
        UNITS, return_sequences=True, return_state=True, **options
    )
    layer.build(x.shape)
    weights = _randomise(layer)
    step = dg_lstm_step(
        weights,
        UNITS,
        layer.num_layers,
        peephole=layer.peephole,
        zoneout=layer.zoneout,
    )
    initial = [np.zeros((4, UNITS)) for _ in layer.state_size]
    outputs, states = ref.run(
        step, x.astype("float64"), initial, mask, layer.go_backwards
    )
    result = layer(x, mask=mask)
    assert len(result) == 1 + 2 * layer.num_layers
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


def test_unrolled_equals_loop(path):
    x, mask = _data()
    layer = layers.DepthGatedLSTM(UNITS, return_sequences=True, unroll=True)
    layer.build(x.shape)
    _randomise(layer)
    rolled = layers.DepthGatedLSTM(UNITS, return_sequences=True)
    rolled.build(x.shape)
    rolled.set_weights(layer.get_weights())
    assert_close(layer(x, mask=mask), rolled(x, mask=mask))


def test_shut_depth_gates_give_stacked_keras_lstms(path):
    """External oracle: with every depth gate pinned shut (W_xd, w_cd and
    w_ld zero, b_d = -200, so σ is 0 in float32) the stack is `num_layers`
    stacked `keras.layers.LSTM` with the same weights, mask included."""
    x, mask = _data()
    lstms = [
        keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
        for _ in range(3)
    ]
    inputs, expected_states = x, []
    for lstm in lstms:
        lstm.build(inputs.shape)
        _randomise(lstm, seed=len(expected_states))
        inputs, h, c = lstm(inputs, mask=mask)
        expected_states += [h, c]
    layer = layers.DepthGatedLSTM(
        UNITS, num_layers=3, return_sequences=True, return_state=True
    )
    layer.build(x.shape)
    k = [[to_numpy(v) for v in lstm.get_weights()] for lstm in lstms]
    shut = np.zeros((UNITS, UNITS), "float32")
    layer.set_weights(
        [
            k[0][0],
            np.stack([w[1] for w in k]),
            np.stack([w[2] for w in k]),
            np.stack([np.concatenate([w[0], shut], -1) for w in k[1:]]),
            np.full((2, UNITS), -200.0, "float32"),
            np.zeros((2, 2 * UNITS), "float32"),
        ]
    )
    result = layer(x, mask=mask)
    assert_close(result[0], inputs)
    assert_close(result[1:], expected_states)


def test_cell_inside_keras_rnn_equals_layer(tmp_path):
    """The cell's step-by-step stack in Keras's own loop equals the layer.
    Keras's JAX loop takes the first state as a masked step's output, so
    masked steps output zeros here (the states are compared in full)."""
    x, mask = _data()
    layer = layers.DepthGatedLSTM(
        UNITS,
        num_layers=3,
        peephole=True,
        return_sequences=True,
        return_state=True,
        zero_output_for_mask=True,
    )
    layer.build(x.shape)
    _randomise(layer)
    expected = layer(x, mask=mask)
    cell = cells.DepthGatedLSTMCell(UNITS, num_layers=3, peephole=True)
    rnn = keras.layers.RNN(
        cell, return_sequences=True, return_state=True,
        zero_output_for_mask=True,
    )  # fmt: skip
    rnn.build(x.shape)
    rnn.set_weights(layer.get_weights())
    assert_close(rnn(x, mask=mask), expected)
    model = keras.Sequential([keras.Input((7, 3)), rnn])
    path_ = str(tmp_path / "rnn.keras")
    model.save(path_)
    loaded = keras.saving.load_model(path_)
    assert_close(loaded(x)[0], model(x)[0], atol=0, rtol=0)


def test_step_api_equals_layer():
    """Generation: a prompt through the layer, then the cell's public step
    from the carried states, equals one pass over the whole sequence."""
    x = _x(timesteps=7)
    layer = layers.DepthGatedLSTM(
        UNITS, num_layers=3, return_sequences=True, return_state=True
    )
    layer.build(x.shape)
    _randomise(layer)
    whole = layer(x)
    _, *states = layer(x[:, :4])
    cell = layer.cell
    outputs = []
    for t in range(4, 7):
        output, states = cell.step(cell.project(x[:, t]), states)
        outputs.append(to_numpy(output))
    assert_close(np.stack(outputs, 1), to_numpy(whole[0])[:, 4:])
    assert_close(states, whole[1:])


def test_stateful_continuation_and_reset(path):
    x = _x(timesteps=8)
    layer = layers.DepthGatedLSTM(
        UNITS, stateful=True, return_sequences=True, zoneout=0.2
    )
    layer.build((2, 4, 3))
    _randomise(layer)
    layer.reset_state()
    first, second = layer(x[:, :4]), layer(x[:, 4:])
    whole = layers.DepthGatedLSTM(UNITS, return_sequences=True, zoneout=0.2)
    whole.build(x.shape)
    whole.set_weights(layer.get_weights())
    expected = to_numpy(whole(x))
    assert_close(first, expected[:, :4])
    assert_close(second, expected[:, 4:])
    assert len(layer.states) == 4
    layer.reset_state()
    assert_close(layer(x[:, :4]), expected[:, :4])


def test_initial_state_in_layer_order():
    x = _x()
    layer = layers.DepthGatedLSTM(UNITS, return_state=True, num_layers=2)
    layer.build(x.shape)
    weights = _randomise(layer)
    rng = np.random.default_rng(7)
    initial = [
        rng.standard_normal((2, UNITS)).astype("float32") for _ in range(4)
    ]
    result = layer(x, initial_state=initial)
    step = dg_lstm_step(weights, UNITS, 2)
    outputs, states = ref.run(step, x.astype("float64"), initial)
    assert_close(result[0], outputs[:, -1], atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


# The layer contract.

# (options, trainable weights)
CONFIGS = [
    ({}, 6),
    ({"num_layers": 1, "use_bias": False}, 2),
    (
        {
            "num_layers": 2,
            "peephole": True,
            "dropout": 0.1,
            "recurrent_dropout": 0.2,
            "zoneout": 0.1,
        },
        7,
    ),
]


@pytest.mark.parametrize("options,n_weights", CONFIGS, ids=str)
def test_layer_contract(options, n_weights):
    run_layer_test(
        layers.DepthGatedLSTM,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
    )


def test_layer_contract_with_state():
    run_layer_test(
        layers.DepthGatedLSTM,
        {"units": UNITS, "num_layers": 3, "return_state": True},
        input_shape=(2, 5, 3),
        expected_output_shape=[(2, UNITS)] * 7,
        expected_num_trainable_weights=6,
        run_mixed_precision=False,
    )


def test_regularizers_cover_every_layer():
    layer = layers.DepthGatedLSTM(
        UNITS,
        kernel_regularizer="l2",
        recurrent_regularizer="l1",
        bias_regularizer="l2",
        activity_regularizer="l2",
    )
    layer(_x())
    # kernel, upper_kernel, recurrent_kernel, bias, depth_bias, output.
    assert len(layer.losses) == 6


def test_weights_are_initialised_layer_by_layer():
    cell = cells.DepthGatedLSTMCell(8, num_layers=3)
    cell.build((None, 3))
    for recurrent in to_numpy(cell.recurrent_kernel):
        # Each layer's (8, 32) recurrent kernel is orthogonal on its own.
        assert_close(recurrent @ recurrent.T, np.eye(8), atol=1e-5)
    bias = to_numpy(cell.bias)
    np.testing.assert_array_equal(bias[:, 8:16], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[8:16], 1), 0.0)
    assert tuple(cell.upper_kernel.shape) == (2, 8, 40)


CONFIGS_SAVED = [
    {},
    {"num_layers": 3, "peephole": True, "zoneout": 0.1, "go_backwards": True},
    {"dropout": 0.1, "recurrent_dropout": 0.2, "kernel_regularizer": "l2"},
]


@pytest.mark.parametrize("options", CONFIGS_SAVED, ids=str)
def test_keras_round_trip(options, tmp_path):
    inputs = keras.Input((5, 3))
    outputs = layers.DepthGatedLSTM(UNITS, return_sequences=True, **options)(
        inputs
    )
    model = keras.Model(inputs, outputs)
    x = _x(timesteps=5)
    path_ = str(tmp_path / "model.keras")
    model.save(path_)
    loaded = keras.saving.load_model(path_)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is layers.DepthGatedLSTM
    assert layer.get_config() == model.layers[-1].get_config()


def test_bidirectional_with_mask_and_state(tmp_path):
    tokens = np.array([[3, 1, 4, 0, 0], [0, 2, 7, 1, 8]])
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(10, 3, mask_zero=True)(inputs)
    outputs = keras.layers.Bidirectional(
        layers.DepthGatedLSTM(
            UNITS, num_layers=2, return_sequences=True, return_state=True
        )
    )(embedded)
    model = keras.Model(inputs, outputs)
    result = model(tokens)
    assert len(result) == 1 + 2 * 4
    assert tuple(result[0].shape) == (2, 5, 2 * UNITS)
    # The backward direction's final states are those of the same layer
    # run on the reversed valid part of each sequence.
    bidirectional = model.layers[-1]
    backward = bidirectional.backward_layer
    assert backward.go_backwards
    embedded_tokens = to_numpy(model.layers[1](tokens))
    row = embedded_tokens[:1, :3]
    _, *states = backward(row)
    assert_close([to_numpy(s)[:1] for s in result[5:]], states)
    path_ = str(tmp_path / "model.keras")
    model.save(path_)
    loaded = keras.saving.load_model(path_)
    assert_close(loaded(tokens), result, atol=0, rtol=0)


@pytest.mark.parametrize("hoisted", [False, True])
def test_fit_with_jit(hoisted, monkeypatch):
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    # Both of the layer's paths compile.
    monkeypatch.setattr(depth_gated_lstm, "hoist_projection", lambda: hoisted)
    x = _x(batch=8)
    y = np.zeros((8, 6, UNITS), "float32")
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.DepthGatedLSTM(
                UNITS, return_sequences=True, dropout=0.1,
                recurrent_dropout=0.1, zoneout=0.1,
            ),
        ]
    )  # fmt: skip
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


@pytest.mark.parametrize(
    "policy,hoisted", [("mixed_float16", True), ("mixed_bfloat16", False)]
)
def test_mixed_precision(policy, hoisted, monkeypatch):
    monkeypatch.setattr(depth_gated_lstm, "hoist_projection", lambda: hoisted)
    keras.config.set_dtype_policy(policy)
    compute = policy.split("_")[1]
    inputs = keras.Input((5, 3), batch_size=2)
    layer = layers.DepthGatedLSTM(
        UNITS, stateful=True, return_state=True, zoneout=0.1, peephole=True
    )
    outputs = layer(inputs)
    model = keras.Model(inputs, outputs)
    results = model(_x(timesteps=5))
    for tensor in results:
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.trainable_weights)
    np.testing.assert_allclose(
        to_numpy(layer.states[2]).astype("float32"),
        to_numpy(results[3]).astype("float32"),
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(
        _x(timesteps=5),
        [np.zeros(r.shape, "float32") for r in results],
        verbose=0,
    )
    assert all(np.isfinite(to_numpy(w)).all() for w in layer.weights)


# Training-mode regularisers, with the random masks injected so that the
# reference uses the same ones.


def test_dropout_masks_per_layer_and_sequence(monkeypatch, path):
    """Input dropout on each layer's input (x, then the h of the layer
    below: dropout between layers) and recurrent dropout on each layer's h
    in its recurrent product, one mask per sequence and layer."""
    x = _x(batch=4, timesteps=6, features=5)
    layer = layers.DepthGatedLSTM(
        UNITS, num_layers=3, dropout=0.3, recurrent_dropout=0.4,
        return_sequences=True, return_state=True,
    )  # fmt: skip
    layer.build(x.shape)
    weights = _randomise(layer)
    rng = np.random.default_rng(3)
    drawn = []

    def dropout_mask(step_input, rate):
        shape = tuple(step_input.shape)
        keep = (rng.random(shape) >= rate).astype("float32") / (1 - rate)
        drawn.append(keep)
        return keras.ops.convert_to_tensor(keep)

    monkeypatch.setattr(layer.cell, "_create_dropout_mask", dropout_mask)
    result = layer(x, training=True)
    input_mask, recurrent_mask = drawn
    assert input_mask.shape == (4, 5 + 2 * UNITS)
    assert recurrent_mask.shape == (4, 3 * UNITS)
    step = dg_lstm_step(
        weights,
        UNITS,
        3,
        input_masks=np.split(input_mask, [5, 5 + UNITS], -1),
        recurrent_masks=np.split(recurrent_mask, 3, -1),
    )
    initial = [np.zeros((4, UNITS)) for _ in range(6)]
    outputs, states = ref.run(step, x.astype("float64"), initial)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch, path):
    """Zoneout (Krueger et al. 2016) on every layer's h and c, at every
    training step where the step's mask says so; the layer above reads the
    zoned-out values."""
    x = _x(batch=4, timesteps=6)
    layer = layers.DepthGatedLSTM(
        UNITS, num_layers=2, zoneout=0.5, return_sequences=True
    )
    layer.build(x.shape)
    weights = _randomise(layer)
    keep = np.random.default_rng(5).random((6, 4, 4 * UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    step = dg_lstm_step(
        weights, UNITS, 2, zoneout_keep=(np.split(k, 4, -1) for k in keep)
    )
    expected, _ = ref.run(step, x.astype("float64"), [np.zeros((4, UNITS))] * 4)
    assert_close(layer(x, training=True), expected, atol=2e-5)


# Bad arguments.


@pytest.mark.parametrize("num_layers", [0, -1, 2.5, True, "2"])
def test_bad_num_layers(num_layers):
    with pytest.raises(
        ValueError,
        match=rf"`num_layers`.*positive integer.*"
        rf"Received: num_layers={re.escape(repr(num_layers))}",
    ):
        layers.DepthGatedLSTM(UNITS, num_layers=num_layers)


@pytest.mark.parametrize("units", [0, -3, 2.5])
def test_bad_units(units):
    with pytest.raises(
        ValueError, match=rf"`units`.*positive integer.*Received: units={units}"
    ):
        layers.DepthGatedLSTM(units)


@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
def test_rate_outside_unit_interval(name):
    with pytest.raises(
        ValueError, match=rf"`{name}`.*\[0, 1\).*Received: {name}=1.5"
    ):
        layers.DepthGatedLSTM(UNITS, **{name: 1.5})


def test_initial_state_needs_every_layers_states():
    x = _x()
    with pytest.raises(
        ValueError,
        match=r"4 state\(s\).*Received: len\(initial_state\)=2",
    ):
        layers.DepthGatedLSTM(UNITS)(
            x, initial_state=[np.zeros((2, UNITS))] * 2
        )


def test_input_width_differs_from_build():
    layer = layers.DepthGatedLSTM(UNITS)
    layer(_x())
    with pytest.raises(
        ValueError, match=r"3 features.*Received: inputs\.shape=\(2, 6, 5\)"
    ):
        layer(_x(features=5))


# Registry.


def test_registered_with_tunables():
    assert "depth_gated_lstm" in layers.names()
    assert layers.get("DepthGatedLSTM") is layers.DepthGatedLSTM
    found = layers.spec("depth_gated_lstm")
    names = {tunable.name for tunable in found.tunables}
    assert {"units", "num_layers", "peephole", "dropout"} <= names
    assert all(isinstance(t, registry.Tunable) for t in found.tunables)


def test_tunable_defaults_build_a_working_layer():
    found = layers.spec("depth_gated_lstm")
    arguments = {tunable.name: tunable.default for tunable in found.tunables}
    found.validate(arguments, input_dim=3)
    layer = layers.DepthGatedLSTM(**arguments)
    output = to_numpy(layer(_x()))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
