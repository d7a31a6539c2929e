"""ClockworkRNN (Koutník et al. 2014) against a NumPy implementation of the
equations in CELLS.md 2.7, against `keras.layers.SimpleRNN` (one module of
period 1), the paper's parameter count, and the clock as a state: masked
steps, `go_backwards`, stateful batches, initial states, the step API and
mixed precision."""

import math
import re

import keras
import numpy as np
import pytest

from gatedkeras import cells
from gatedkeras import layers
from tests import numpy_reference as ref
from tests.harness import assert_close
from tests.harness import round_trip
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

JIT_BACKENDS = ("tensorflow", "jax")


def _data(seed=0, batch=4, timesteps=9, features=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, timesteps, features)).astype("float32")
    mask = np.ones((batch, timesteps), bool)
    mask[0, 6:] = False  # right-padded
    mask[1, :3] = False  # left-padded
    mask[2] = False  # fully masked
    return x, mask


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [
            (0.5 * rng.standard_normal(w.shape)).astype("float32")
            for w in layer.weights
        ]
    )
    return {w.path.split("/")[-1]: np.array(w.numpy()) for w in layer.weights}


def clockwork_step(weights, periods, units, activation=np.tanh, zoneout=0.0):
    """One Clockwork RNN step (CELLS.md 2.7), literally: each module i with
    t mod T_i = 0 is updated from the whole block row W_H^(i,:), whose block
    (i, j) is nonzero only when T_j >= T_i; the others keep their state.

    The state is [h, t]; t counts the steps from 0. The weights give module
    i's nonzero blocks as `recurrent_kernel_i`, blocks j >= i stacked."""
    g = len(periods)
    k = units // g
    w_h = np.zeros((units, units))  # h @ w_h: rows from j, columns to i
    for i in range(g):
        stacked = weights[f"recurrent_kernel_{i}"]
        for j in range(g):
            if periods[j] >= periods[i]:
                block = stacked[(j - i) * k : (j - i + 1) * k]
                w_h[j * k : (j + 1) * k, i * k : (i + 1) * k] = block
    w_i, b = weights["kernel"], weights.get("bias", np.zeros(units))

    def step(x, states):
        h, t = states
        h_new = h.copy()
        for i, period in enumerate(periods):
            cols = slice(i * k, (i + 1) * k)
            candidate = activation(
                x @ w_i[:, cols] + h @ w_h[:, cols] + b[cols]
            )
            h_new[:, cols] = np.where(t % period == 0, candidate, h[:, cols])
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new, t + 1]

    return step


def _reference(layer, weights, x, mask=None, h0=None, t0=None, **options):
    batch = x.shape[0]
    states = [
        np.zeros((batch, layer.units)) if h0 is None else h0,
        np.zeros((batch, 1)) if t0 is None else t0,
    ]
    step = clockwork_step(weights, layer.periods, layer.units, **options)
    outputs, (h, t) = ref.run(
        step, x.astype("float64"), states, mask, layer.go_backwards
    )
    return outputs, h, t % math.lcm(*layer.periods)


# (units, options): the paper's exponential periods; periods given out of
# order (sorted internally); periods that do not divide each other (the
# static schedule updates a non-prefix set of modules at some steps); no
# module of period 1 (no module is due at odd steps); periods with no short
# common schedule (always the dense step); other options.
CASES = [
    (6, {"periods": [1, 2, 4]}),
    (6, {"periods": [4, 1, 2]}),
    (6, {"periods": [1, 2, 3]}),
    (4, {"periods": [2, 4]}),
    (6, {"periods": [1, 7, 11]}),
    (8, {}),
    (6, {"periods": [1, 2, 4], "use_bias": False, "activation": "relu"}),
]
IDS = ["1-2-4", "4-1-2", "1-2-3", "2-4", "1-7-11", "default", "options"]


def _reference_options(options):
    if options.get("activation") == "relu":
        return {"activation": lambda v: np.maximum(v, 0)}
    return {}


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("units,options", CASES, ids=IDS)
def test_against_reference_masked(units, options, go_backwards):
    x, mask = _data()
    layer = layers.ClockworkRNN(
        units,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer.build(x.shape)
    weights = _randomise(layer)
    outputs, h, t = _reference(
        layer, weights, x, mask, **_reference_options(options)
    )
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1], h, atol=2e-5)
    # The clock counts the unmasked steps only: 6, 6, 0 and 9 (mod lcm).
    assert_close(result[2], t, atol=0, rtol=0)
    assert to_numpy(result[2]).ravel().tolist()[:3] == [
        6 % layer.cell.period_lcm,
        6 % layer.cell.period_lcm,
        0,
    ]


STATIC = [case for case, i in zip(CASES, IDS) if i not in ("4-1-2", "1-7-11")]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    "units,options",
    STATIC,
    ids=[i for i in IDS if i not in ("4-1-2", "1-7-11")],
)
def test_against_reference_unmasked(units, options, go_backwards):
    """Without a mask and from a zero clock the layer runs its static
    schedule (chunks of up to 16 steps, then the rest)."""
    x, _ = _data(timesteps=21)
    layer = layers.ClockworkRNN(
        units,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer.build(x.shape)
    weights = _randomise(layer)
    outputs, h, t = _reference(layer, weights, x, **_reference_options(options))
    result = layer(x)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1], h, atol=2e-5)
    assert_close(result[2], t, atol=0, rtol=0)


def test_static_schedule_last_output():
    x, _ = _data(timesteps=21)
    layer = layers.ClockworkRNN(8, return_state=True)
    layer.build(x.shape)
    weights = _randomise(layer)
    outputs, h, t = _reference(layer, weights, x)
    assert_close(layer(x), [outputs[:, -1], h, t], atol=2e-5)


def test_periods_are_sorted_and_schedules_chosen():
    assert layers.ClockworkRNN(6, periods=[4, 1, 2]).periods == [1, 2, 4]
    assert layers.ClockworkRNN(64).periods == [1, 2, 4, 8, 16, 32, 64, 128]
    assert layers.ClockworkRNN(8, num_modules=2).periods == [1, 2]
    assert layers.ClockworkRNN(64).cell.chunk == 16
    assert layers.ClockworkRNN(6, periods=[1, 2, 3]).cell.chunk == 12
    assert layers.ClockworkRNN(6, periods=[1, 7, 11]).cell.chunk is None


def test_static_schedule_runs_only_when_it_applies(monkeypatch):
    x, mask = _data()
    layer = layers.ClockworkRNN(6, periods=[1, 2, 4], return_state=True)
    layer.build(x.shape)
    calls = []
    chunk_function = layer.cell.chunk_function
    monkeypatch.setattr(
        layer.cell,
        "chunk_function",
        lambda *a, **k: calls.append(1) or chunk_function(*a, **k),
    )
    _, h, t = layer(x)
    assert len(calls) == 1
    # A mask, or an initial clock, takes the dense masked step.
    layer(x, mask=mask)
    layer(x, initial_state=[h, t])
    assert len(calls) == 1
    layer(x, initial_state=[h])  # a clock at 0
    assert len(calls) == 2


def test_zoneout_at_inference_against_reference():
    x, mask = _data()
    layer = layers.ClockworkRNN(
        6, periods=[1, 2, 4], zoneout=0.3, return_sequences=True,
        return_state=True,
    )  # fmt: skip
    layer.build(x.shape)
    weights = _randomise(layer)
    outputs, h, t = _reference(layer, weights, x, mask, zoneout=0.3)
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], [h, t], atol=2e-5)


# External oracles.


def test_parameter_count_is_the_papers():
    """Koutník et al. 2014 (flandolfi/clockwork-rnn, the cybertronai page):
    input 1, 8 modules of 8 units, periods 1 to 128, output 1: 2,497."""
    rnn = layers.ClockworkRNN(64, periods=[1, 2, 4, 8, 16, 32, 64, 128])
    model = keras.Sequential(
        [keras.Input((None, 1)), rnn, keras.layers.Dense(1)]
    )
    assert model.count_params() == 2497
    # 64 + 64 input weights and bias, 36 blocks of 8 x 8.
    assert rnn.count_params() == 64 + 64 + 36 * 64


@pytest.mark.parametrize("masked", [False, True])
def test_one_module_of_period_one_is_keras_simple_rnn(masked):
    x, mask = _data()
    keras_rnn = keras.layers.SimpleRNN(4, return_sequences=True)
    expected = keras_rnn(x, mask=mask if masked else None)
    layer = layers.ClockworkRNN(4, periods=[1], return_sequences=True)
    layer.build(x.shape)
    layer.set_weights(keras_rnn.get_weights())
    assert_close(layer(x, mask=mask if masked else None), expected)


def test_cell_inside_keras_rnn():
    x, mask = _data()
    layer = layers.ClockworkRNN(6, periods=[1, 2, 4], return_sequences=True)
    expected = layer(x, mask=mask)
    keras_rnn = keras.layers.RNN(layer.cell, return_sequences=True)
    assert_close(keras_rnn(x, mask=mask), expected)


# The layer contract.

LAYER_CONFIGS = [
    ({}, 10),
    ({"dropout": 0.1, "recurrent_dropout": 0.2, "zoneout": 0.1}, 10),
]


@pytest.mark.parametrize("options,n_weights", LAYER_CONFIGS)
def test_layer_contract(options, n_weights):
    run_layer_test(
        layers.ClockworkRNN,
        {"units": 8, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=n_weights,
    )
    if options:
        return
    run_layer_test(
        layers.ClockworkRNN,
        {"units": 8, "return_state": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=[(2, 8), (2, 8), (2, 1)],
        expected_num_trainable_weights=n_weights,
        run_mixed_precision=False,
    )


def test_regularizer_losses_are_counted():
    run_layer_test(
        layers.ClockworkRNN,
        {
            "units": 4,
            "periods": [1, 2],
            "kernel_regularizer": "l2",
            "recurrent_regularizer": "l1",
            "activity_regularizer": "l2",
        },
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 4),
        expected_num_trainable_weights=4,
        expected_num_losses=4,  # one per module's recurrent kernel
    )


@pytest.mark.parametrize(
    "options", [{}, {"zoneout": 0.1}], ids=["static", "dense"]
)
def test_fit_with_jit(options):
    if keras.backend.backend() not in JIT_BACKENDS:
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = np.random.default_rng(0).standard_normal((8, 20, 3)).astype("float32")
    y = np.zeros((8, 20, 8), "float32")
    # Every module is updated from a nonzero state within 20 steps, so
    # every weight has a gradient.
    rnn = layers.ClockworkRNN(
        8, periods=[1, 2, 4, 8], recurrent_dropout=0.1, return_sequences=True,
        **options,
    )  # fmt: skip
    model = keras.Sequential([keras.Input((20, 3)), rnn])
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


@pytest.mark.parametrize("masked", [False, True], ids=["static", "dense"])
def test_mixed_precision_clock_is_exact(masked):
    """The clock counts past what the compute dtype holds (256 under
    bfloat16), exactly, because it is carried modulo lcm(periods)."""
    policy = "mixed_bfloat16"
    keras.config.set_dtype_policy(policy)
    timesteps = 300
    x = np.random.default_rng(0).standard_normal((2, timesteps, 3))
    mask = np.ones((2, timesteps), bool)
    mask[1, :5] = False
    layer = layers.ClockworkRNN(8, return_state=True)
    output, h, t = layer(x.astype("float32"), mask=mask if masked else None)
    compute = policy.split("_")[1]
    for tensor in (output, h, t):
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.weights)
    expected = [300 % 128, (295 if masked else 300) % 128]
    assert to_numpy(t).astype("float32").ravel().tolist() == expected
    assert np.all(np.isfinite(to_numpy(h).astype("float32")))


def test_mixed_precision_stateful_keeps_the_clock():
    keras.config.set_dtype_policy("mixed_float16")
    inputs = keras.Input((5, 3), batch_size=2)
    layer = layers.ClockworkRNN(8, stateful=True, return_state=True)
    model = keras.Model(inputs, layer(inputs))
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    for _ in range(3):
        *_, t = model(x)
    assert to_numpy(t).astype("float32").ravel().tolist() == [15.0, 15.0]
    assert all(s.dtype == "float32" for s in layer.states)
    assert to_numpy(layer.states[1]).ravel().tolist() == [15.0, 15.0]


@pytest.mark.parametrize(
    "policy,periods",
    [("mixed_float16", [1, 4096]), ("mixed_bfloat16", [1, 3, 128])],
)
def test_clock_that_the_dtype_cannot_count_exactly(policy, periods):
    keras.config.set_dtype_policy(policy)
    with pytest.raises(
        ValueError,
        match=r"lcm\(periods\).*exactly.*"
        + re.escape(f"Received: periods={periods}, dtype={policy}"),
    ):
        layers.ClockworkRNN(2 * len(periods), periods=periods)


# Saving and wrappers.


@pytest.mark.parametrize(
    "options",
    [{}, {"periods": [4, 1, 2], "zoneout": 0.2, "go_backwards": True}],
)
def test_keras_round_trip(options, tmp_path):
    inputs = keras.Input((9, 3))
    outputs = layers.ClockworkRNN(
        8 if not options else 6, return_sequences=True, **options
    )(inputs)
    model = keras.Model(inputs, outputs)
    x, _ = _data()
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is layers.ClockworkRNN
    assert layer.get_config() == model.layers[-1].get_config()


def test_bidirectional_round_trip_with_state(tmp_path):
    inputs = keras.Input((9, 3))
    outputs = keras.layers.Bidirectional(
        layers.ClockworkRNN(
            6, periods=[1, 2, 4], return_sequences=True, return_state=True
        )
    )(inputs)
    model = keras.Model(inputs, outputs)
    x, mask = _data()
    result = model(x)
    assert len(result) == 5  # outputs, then [h, t] of each direction
    assert tuple(result[0].shape) == (4, 9, 12)
    assert to_numpy(result[2]).ravel().tolist() == [1.0] * 4  # 9 mod 4
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    assert loaded.layers[-1].backward_layer.go_backwards


# The clock as a state.


def test_stateful_continuation_equals_one_call():
    x = _data(timesteps=23)[0][:2]
    whole = layers.ClockworkRNN(
        6, periods=[1, 2, 4], return_sequences=True, return_state=True
    )
    expected = whole(x)
    inputs = keras.Input((None, 3), batch_size=2)
    stateful = layers.ClockworkRNN(
        6, periods=[1, 2, 4], return_sequences=True, return_state=True,
        stateful=True,
    )  # fmt: skip
    model = keras.Model(inputs, stateful(inputs))
    stateful.set_weights(whole.get_weights())
    parts = [model(x[:, a:b]) for a, b in [(0, 5), (5, 6), (6, 23)]]
    assert_close(
        np.concatenate([to_numpy(p[0]) for p in parts], 1), expected[0]
    )
    assert_close(parts[-1][1:], expected[1:])
    stateful.reset_state()
    assert to_numpy(stateful.states[1]).ravel().tolist() == [0.0, 0.0]
    assert_close(model(x[:, :5])[0], to_numpy(expected[0])[:, :5])


def test_initial_state_with_and_without_clock():
    x, mask = _data()
    layer = layers.ClockworkRNN(
        6, periods=[1, 2, 4], return_sequences=True, return_state=True
    )
    layer.build(x.shape)
    weights = _randomise(layer)
    rng = np.random.default_rng(4)
    h0 = rng.standard_normal((4, 6)).astype("float32")
    t0 = np.array([[0], [1], [2], [3]], "float32")
    outputs, h, t = _reference(layer, weights, x, mask, h0=h0, t0=t0)
    result = layer(x, mask=mask, initial_state=[h0, t0])
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], [h, t], atol=2e-5)
    # Without the clock, the clock starts at 0.
    outputs, h, t = _reference(layer, weights, x, h0=h0)
    assert_close(layer(x, initial_state=[h0])[0], outputs, atol=2e-5)
    assert_close(layer(x, initial_state=h0)[0], outputs, atol=2e-5)


def test_prompt_then_generation_through_step_api():
    """A prompt through the layer, then its continuation one step at a time
    through `cell.project` and `cell.step`, equals one call."""
    x = _data(timesteps=13)[0][:2]
    layer = layers.ClockworkRNN(
        6, periods=[1, 2, 4], return_sequences=True, return_state=True
    )
    expected = layer(x)
    _, h, t = layer(x[:, :5])
    cell = layer.cell
    states = [h, t]
    for step in range(5, 13):
        output, states = cell.step(cell.project(x[:, step]), states)
        assert_close(output, to_numpy(expected[0])[:, step], atol=1e-5)
    assert_close(states, expected[1:], atol=1e-5)


# Training-mode regularisers, with their random masks injected.


@pytest.mark.parametrize("masked", [False, True], ids=["static", "dense"])
def test_dropout_masks_fixed_per_sequence(monkeypatch, masked):
    x, mask = _data()
    mask = mask if masked else None
    layer = layers.ClockworkRNN(
        6, periods=[1, 2, 4], dropout=0.3, recurrent_dropout=0.4,
        return_sequences=True,
    )  # fmt: skip
    layer.build(x.shape)
    weights = _randomise(layer)
    rng = np.random.default_rng(3)
    drawn = []

    def dropout_mask(step_input, rate):
        keep = rng.random(tuple(step_input.shape)) >= rate
        drawn.append(keep.astype("float32") / (1 - rate))
        return keras.ops.convert_to_tensor(drawn[-1])

    monkeypatch.setattr(layer.cell, "_create_dropout_mask", dropout_mask)
    result = layer(x, mask=mask, training=True)
    input_mask, recurrent_mask = drawn
    assert input_mask.shape == (4, 3) and recurrent_mask.shape == (4, 6)
    inner = clockwork_step(weights, [1, 2, 4], 6)

    def step(x_t, states):
        # h is dropped where it enters the recurrent product only: the
        # modules that are not due keep the undropped h.
        h, t = states
        updated, _ = inner(x_t * input_mask, [h * recurrent_mask, t])
        due = np.repeat(t % np.array([1, 2, 4]) == 0, 2, axis=1)
        h_new = np.where(due, updated, h)
        return h_new, [h_new, t + 1]

    expected, _ = ref.run(
        step, x.astype("float64"), [np.zeros((4, 6)), np.zeros((4, 1))], mask
    )
    assert_close(result, expected, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch):
    x, _ = _data()
    layer = layers.ClockworkRNN(
        6, periods=[1, 2, 4], zoneout=0.5, return_sequences=True,
        return_state=True,
    )  # fmt: skip
    layer.build(x.shape)
    weights = _randomise(layer)
    rng = np.random.default_rng(5)
    keep = rng.random((x.shape[1], x.shape[0], 7)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    inner = clockwork_step(weights, [1, 2, 4], 6)
    steps = iter(range(x.shape[1]))

    def step(x_t, states):
        k = keep[next(steps), :, :6]
        h_new, (_, t) = inner(x_t, states)
        h_new = np.where(k, states[0], h_new)
        return h_new, [h_new, t]

    expected, (h, t) = ref.run(
        step, x.astype("float64"), [np.zeros((4, 6)), np.zeros((4, 1))]
    )
    result = layer(x, training=True)
    assert_close(result[0], expected, atol=2e-5)
    # The clock is never zoned out.
    assert_close(result[2], np.full((4, 1), 9 % 4), atol=0, rtol=0)


# Registry.


def test_registered_with_tunables_and_constraints():
    assert "clockwork_rnn" in layers.names()
    assert layers.get("ClockworkRNN") is layers.ClockworkRNN
    found = layers.spec("clockwork_rnn")
    arguments = {tunable.name: tunable.default for tunable in found.tunables}
    assert {"units", "num_modules", "dropout", "zoneout"} <= set(arguments)
    found.validate(arguments, input_dim=3)
    for tunable in found.tunables:
        for value in tunable.values:
            found.validate({**arguments, tunable.name: value})
    layer = layers.ClockworkRNN(**arguments)
    x = np.random.default_rng(0).standard_normal((2, 3, 3), "float32")
    output = to_numpy(layer(x))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))


@pytest.mark.parametrize(
    "arguments, broken",
    [
        ({"units": 12}, "multiple of the number of modules"),
        ({"units": 6, "periods": [1, 2, 4, 8]}, "multiple"),
        ({"units": 6, "periods": [1, 1, 2]}, "distinct positive integers"),
        ({"units": 6, "periods": [0, 1, 2]}, "distinct positive integers"),
        ({"units": 6, "periods": [1, 2, 4], "num_modules": 2}, "len(periods)"),
    ],
)
def test_registry_constraints(arguments, broken):
    with pytest.raises(ValueError, match=re.escape(broken)):
        layers.spec("clockwork_rnn").validate(arguments)


# Bad arguments.


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 12}, r"`units`.*multiple.*8.*Received: units=12"),
        (
            {"units": 6, "periods": [1, 2, 4, 8]},
            r"`units`.*multiple.*4.*Received: units=6",
        ),
        ({"units": 9, "num_modules": 2}, r"`units`.*2.*Received: units=9"),
        (
            {"units": 8, "num_modules": 0},
            r"`num_modules`.*positive integer.*Received: num_modules=0",
        ),
        (
            {"units": 8, "num_modules": 2.0},
            r"`num_modules`.*Received: num_modules=2\.0",
        ),
        ({"units": 4, "periods": 4}, r"`periods`.*Received: periods=4"),
        ({"units": 4, "periods": []}, r"`periods`.*Received: periods=\[\]"),
        (
            {"units": 4, "periods": [1, 0]},
            r"`periods`.*positive integers.*Received: periods=\[1, 0\]",
        ),
        (
            {"units": 4, "periods": [1, -2]},
            r"`periods`.*Received: periods=\[1, -2\]",
        ),
        (
            {"units": 4, "periods": [1, 2.5]},
            r"`periods`.*Received: periods=\[1, 2\.5\]",
        ),
        (
            {"units": 4, "periods": [1, True]},
            r"`periods`.*Received: periods=\[1, True\]",
        ),
        (
            {"units": 4, "periods": [2, 2]},
            r"`periods`.*distinct.*Received: periods=\[2, 2\]",
        ),
        (
            {"units": 4, "periods": [1, 2], "num_modules": 4},
            r"`num_modules`.*`periods`.*"
            r"Received: num_modules=4, periods=\[1, 2\]",
        ),
        ({"units": 0}, r"`units`.*positive integer.*Received: units=0"),
        (
            {"units": 8, "zoneout": 1.0},
            r"`zoneout`.*\[0, 1\).*Received: zoneout=1\.0",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ClockworkRNN(**kwargs)
    with pytest.raises(ValueError, match=message):
        cells.ClockworkRNNCell(**kwargs)


def test_wrong_initial_clock_shape():
    with pytest.raises(
        ValueError,
        match=r"initial_state\[1\].*Received: initial_state\[1\]\.shape="
        r"\(2, 2\)",
    ):
        layers.ClockworkRNN(4, periods=[1, 2])(
            np.zeros((2, 3, 3), "float32"),
            initial_state=[np.zeros((2, 4)), np.zeros((2, 2))],
        )
