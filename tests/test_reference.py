"""Every layer and option against the NumPy equations of CELLS.md.

Random weights (set through `set_weights`, so the initialisers play no
part), a masked batch (right-padded, left-padded, fully masked rows) and
both directions. Training-mode regularisers are checked with their random
masks injected, so the reference applies exactly the same masks.
"""

import keras
import numpy as np
import pytest

from gatedkeras import layers
from tests import numpy_reference as ref
from tests.harness import assert_close

pytestmark = pytest.mark.backend_math

UNITS = 4


def _data(seed=0, batch=4, timesteps=7, features=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, timesteps, features)).astype("float32")
    mask = np.ones((batch, timesteps), bool)
    mask[0, 5:] = False
    mask[1, :3] = False
    mask[2] = False
    return x, mask


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [
            (0.5 * rng.standard_normal(w.shape) + (1.0 if "gamma" in w.path
                                                    else 0.0))
            .astype("float32")
            for w in layer.weights
        ]
    )  # fmt: skip
    return {w.path.split("/")[-1]: np.array(w.numpy()) for w in layer.weights}


def _reference(step, x, mask, layer, initial=None):
    states = initial or [
        np.zeros((x.shape[0], size), "float32") for size in layer.state_size
    ]
    outputs, states = ref.run(
        step, x.astype("float64"), states, mask, layer.go_backwards
    )
    return outputs, states


def _check(layer, step_factory, x, mask):
    layer(x)
    weights = _randomise(layer)
    outputs, states = _reference(step_factory(weights), x, mask, layer)
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


def _lstm_reference(options):
    return lambda w: ref.lstm_step(
        w,
        UNITS,
        peephole=options.get("peephole", False),
        coupled=options.get("coupled_gates", False),
        layer_norm_=options.get("layer_norm", False),
        proj=bool(options.get("proj_units")),
        zoneout=options.get("zoneout", 0.0),
    )


def _gru_reference(options):
    return lambda w: ref.gru_step(
        w,
        UNITS,
        reset_after=options.get("reset_after", True),
        layer_norm_=options.get("layer_norm", False),
        zoneout=options.get("zoneout", 0.0),
    )


def _simple_rnn_reference(options):
    return lambda w: ref.simple_rnn_step(
        w,
        UNITS,
        layer_norm_=options.get("layer_norm", False),
        zoneout=options.get("zoneout", 0.0),
    )


# (layer, options, reference step factory)
CASES = (
    [
        (layers.LSTM, options, _lstm_reference)
        for options in [
            {"peephole": True},
            {"coupled_gates": True},
            {"layer_norm": True},
            {"proj_units": 3},
            {"zoneout": 0.3},
            {"peephole": True, "coupled_gates": True},
            {"layer_norm": True, "peephole": True, "proj_units": 2},
            {
                "layer_norm": True,
                "peephole": True,
                "coupled_gates": True,
                "proj_units": 2,
                "zoneout": 0.2,
            },
            {"use_bias": False, "layer_norm": True},
        ]
    ]
    + [
        (layers.GRU, options, _gru_reference)
        for options in [
            {"layer_norm": True},
            {"zoneout": 0.3},
            {"reset_after": False},
            {"reset_after": False, "zoneout": 0.1},
            {"layer_norm": True, "zoneout": 0.2, "use_bias": False},
        ]
    ]
    + [
        (layers.SimpleRNN, options, _simple_rnn_reference)
        for options in [{}, {"layer_norm": True}, {"zoneout": 0.3}]
    ]
)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    "cls,options,reference",
    CASES,
    ids=[f"{c.__name__}-{sorted(o)}" for c, o, _ in CASES],
)
def test_options_against_reference(cls, options, reference, go_backwards):
    x, mask = _data()
    layer = cls(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    _check(layer, reference(options), x, mask)


def test_lstm_projection_state_sizes():
    layer = layers.LSTM(8, proj_units=3, return_state=True)
    output, h, c = layer(np.zeros((2, 4, 5), "float32"))
    assert tuple(output.shape) == (2, 3)
    assert tuple(h.shape) == (2, 3)
    assert tuple(c.shape) == (2, 8)
    assert tuple(layer.cell.recurrent_kernel.shape) == (3, 32)


def test_coupled_gates_have_three_gates_and_open_forget_gate():
    layer = layers.LSTM(4, coupled_gates=True)
    layer(np.zeros((1, 2, 3), "float32"))
    assert tuple(layer.cell.kernel.shape) == (3, 12)
    bias = np.array(layer.cell.bias.numpy())
    # The input gate starts at -1, so the coupled forget gate 1 - i is open.
    np.testing.assert_allclose(bias[:4], -1.0)
    np.testing.assert_allclose(bias[4:], 0.0)


# Training-mode regularisers: the random masks are injected so that the
# reference uses the same ones.


def _fixed_masks(monkeypatch, cell, rng):
    drawn = {}

    def dropout_mask(step_input, rate):
        shape = tuple(step_input.shape)
        keep = (rng.random(shape) >= rate).astype("float32") / (1 - rate)
        drawn.setdefault("masks", []).append(keep)
        return keras.ops.convert_to_tensor(keep)

    monkeypatch.setattr(cell, "_create_dropout_mask", dropout_mask)
    return drawn


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_v3"])
def test_dropout_masks_fixed_per_sequence(monkeypatch, kind):
    """Input and recurrent dropout (Gal and Ghahramani 2016): one mask per
    sequence, applied to x before the input kernel and to h before the
    recurrent kernel (never to the carried state)."""
    x, _ = _data(features=5)
    cls = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM}.get(
        kind, layers.GRU
    )
    extra = {"reset_after": False} if kind == "gru_v3" else {}
    layer = cls(
        UNITS, dropout=0.3, recurrent_dropout=0.4, return_sequences=True,
        **extra,
    )  # fmt: skip
    layer(x)
    weights = _randomise(layer)
    drawn = _fixed_masks(monkeypatch, layer.cell, np.random.default_rng(3))
    result = layer(x, training=True)
    input_mask, recurrent_mask = drawn["masks"]
    assert input_mask.shape == (4, 5) and recurrent_mask.shape == (4, UNITS)

    if kind == "lstm":
        inner = ref.lstm_step(weights, UNITS)
    elif kind == "simple_rnn":
        inner = ref.simple_rnn_step(weights, UNITS)
    else:
        inner = ref.gru_step(weights, UNITS, reset_after=not extra)

    def step(x_t, states):
        # h is dropped where it enters the recurrent products only.
        dropped = [states[0] * recurrent_mask] + states[1:]
        output, new_states = inner(x_t * input_mask, dropped)
        if kind.startswith("gru"):
            # GRU's update z * h mixes in the undropped h.
            undo = _gru_update_with(
                weights, x_t * input_mask, states[0], dropped[0], not extra
            )
            return undo, [undo]
        return output, new_states

    expected, _ = ref.run(step, x.astype("float64"), [
        np.zeros((4, UNITS)) for _ in layer.state_size
    ])  # fmt: skip
    assert_close(result, expected, atol=2e-5)


def _gru_update_with(weights, x, h, dropped, reset_after):
    """GRU step where the gates see the dropped h and the update z ⊙ h the
    undropped one."""
    units = h.shape[-1]
    kernel, recurrent = weights["kernel"], weights["recurrent_kernel"]
    bias = weights["bias"]
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
    x_z, x_r, x_h = np.split(x @ kernel + b_in, 3, -1)
    if reset_after:
        u_z, u_r, u_h = np.split(dropped @ recurrent + b_rec, 3, -1)
        z, r = ref.sigmoid(x_z + u_z), ref.sigmoid(x_r + u_r)
        candidate = np.tanh(x_h + r * u_h)
    else:
        z = ref.sigmoid(x_z + dropped @ recurrent[:, :units])
        r = ref.sigmoid(x_r + dropped @ recurrent[:, units : 2 * units])
        candidate = np.tanh(x_h + (r * dropped) @ recurrent[:, 2 * units :])
    return z * h + (1 - z) * candidate


@pytest.mark.parametrize("rate", [0.01, 0.1, 0.5, 0.9])
def test_zoneout_masks_keep_units_at_the_rate(rate):
    """The drawn masks keep each unit with probability `rate`,
    independently across steps, rows and units, and a new draw differs
    (an odd width checks that no unit is left out of the draw)."""
    cell = layers.LSTM(7, zoneout=rate, seed=3).cell
    masks = keras.ops.convert_to_numpy(cell.zoneout_mask(64, 50))
    assert masks.shape == (50, 64, 14) and masks.dtype == bool
    # Six standard deviations of the mean of 44,800 draws.
    tolerance = 6 * np.sqrt(rate * (1 - rate) / masks.size)
    assert abs(masks.mean() - rate) < tolerance
    for axis in range(3):
        means = masks.mean(axis=tuple(a for a in range(3) if a != axis))
        spread = 6 * np.sqrt(rate * (1 - rate) * means.size / masks.size)
        assert np.all(np.abs(means - rate) < spread + 1e-12), axis
    again = keras.ops.convert_to_numpy(cell.zoneout_mask(64, 50))
    assert (again != masks).any()


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_zoneout_training_keeps_previous_units(monkeypatch, kind):
    """Zoneout (Krueger et al. 2016): at a training step each unit of each
    state keeps its previous value where the step's mask says so."""
    x, _ = _data()
    cls = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM}.get(
        kind, layers.GRU
    )
    layer = cls(UNITS, zoneout=0.5, return_sequences=True)
    layer(x)
    weights = _randomise(layer)
    rng = np.random.default_rng(5)
    width = sum(layer.state_size)
    keep = rng.random((x.shape[1], x.shape[0], width)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    inner = {
        "simple_rnn": ref.simple_rnn_step,
        "lstm": ref.lstm_step,
        "gru": ref.gru_step,
    }[kind](weights, UNITS)
    t = iter(range(x.shape[1]))

    def step(x_t, states):
        k = np.split(keep[next(t)], np.cumsum(layer.state_size)[:-1], -1)
        _, new_states = inner(x_t, states)
        new_states = [
            ki * s + (1 - ki) * n for ki, s, n in zip(k, states, new_states)
        ]
        return new_states[0], new_states

    expected, _ = ref.run(step, x.astype("float64"), [
        np.zeros((4, size)) for size in layer.state_size
    ])  # fmt: skip
    assert_close(layer(x, training=True), expected, atol=2e-5)
