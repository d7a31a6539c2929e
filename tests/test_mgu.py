"""MGU (Zhou et al. 2016) against the NumPy equations of CELLS.md 2.6,
against Keras's GRU (its external oracle), and through the layer contract:
saving, Bidirectional, stateful use, XLA, mixed precision, bad arguments,
training-mode regularisers and the registry."""

import keras
import numpy as np
import pytest

from gatedkeras import layers
from gatedkeras import registry
from tests import numpy_reference as ref
from tests.harness import assert_close
from tests.harness import fixed_dropout_masks
from tests.harness import round_trip
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

UNITS = 4


def _x(batch=2, timesteps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


def _data():
    """Four sequences: right-padded, left-padded, fully masked, full."""
    x = _x(4, 7)
    mask = np.ones((4, 7), bool)
    mask[0, 5:] = False  # right-padded
    mask[1, :3] = False  # left-padded
    mask[2] = False  # fully masked
    return x, mask


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    values = []
    for w in layer.weights:
        value = 0.5 * rng.standard_normal(w.shape)
        values.append((value + ("gamma" in w.path)).astype("float32"))
    layer.set_weights(values)
    return {w.path.split("/")[-1]: np.array(w.numpy()) for w in layer.weights}


def mgu_step(w, units, layer_norm=False, zoneout=0.0, input_mask=1.0,
             recurrent_mask=1.0):  # fmt: skip
    """CELLS.md 2.6: f = σ(W_f x + U_f h + b_f),
    h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h), h' = (1 - f) ⊙ h + f ⊙ h̃;
    with layer norm, LN(W x) over both parts and LN of each recurrent
    product; recurrent dropout on h where it enters the products."""
    bias = w.get("bias", np.zeros(2 * units))
    u_f, u_h = np.split(w["recurrent_kernel"], 2, -1)
    if layer_norm:
        g_f, g_h = np.split(w["recurrent_gamma"], 2)

    def step(x, states):
        (h,) = states
        wx = (x * input_mask) @ w["kernel"]
        if layer_norm:
            wx = ref.layer_norm(wx, w["input_gamma"])
        x_f, x_h = np.split(wx + bias, 2, -1)
        dropped = h * recurrent_mask
        a_f = dropped @ u_f
        if layer_norm:
            a_f = ref.layer_norm(a_f, g_f)
        f = ref.sigmoid(x_f + a_f)
        a_h = (f * dropped) @ u_h
        if layer_norm:
            a_h = ref.layer_norm(a_h, g_h)
        h_new = (1 - f) * h + f * np.tanh(x_h + a_h)
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


OPTIONS = [
    {},
    {"layer_norm": True},
    {"zoneout": 0.3},
    {"use_bias": False, "unroll": True},
    {"layer_norm": True, "zoneout": 0.2, "use_bias": False},
]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: str(sorted(o)))
def test_against_numpy_reference(options, go_backwards):
    x, mask = _data()
    layer = layers.MGU(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer(x)
    w = _randomise(layer)
    step = mgu_step(
        w,
        UNITS,
        layer_norm=options.get("layer_norm", False),
        zoneout=options.get("zoneout", 0.0),
    )
    outputs, states = ref.run(
        step, x.astype("float64"), [np.zeros((4, UNITS))], mask, go_backwards
    )
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_keras_gru_with_coupled_gates(go_backwards):
    """External oracle: GRU(reset_after=False) with z = 1 - f and r = f,
    that is kernels [-W_f, W_f, W_h], [-U_f, U_f, U_h], bias
    [-b_f, b_f, b_h]."""
    x, mask = _data()
    kwargs = dict(
        return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    mgu = layers.MGU(UNITS, **kwargs)
    mgu(x)
    w = _randomise(mgu)
    gru = keras.layers.GRU(UNITS, reset_after=False, **kwargs)
    gru(x)

    def coupled(value):
        f, h = np.split(value, 2, -1)
        return np.concatenate([-f, f, h], -1)

    gru.set_weights(
        [coupled(w[n]) for n in ("kernel", "recurrent_kernel", "bias")]
    )
    assert_close(mgu(x, mask=mask), gru(x, mask=mask), atol=1e-5)
    assert_close(mgu(x), gru(x), atol=1e-5)


def test_dropout_masks_fixed_per_sequence(monkeypatch):
    x = _x(4, 7, 5)
    layer = layers.MGU(
        UNITS, dropout=0.3, recurrent_dropout=0.4, return_sequences=True
    )
    layer(x)
    w = _randomise(layer)
    drawn = fixed_dropout_masks(
        monkeypatch, layer.cell, np.random.default_rng(3)
    )
    result = layer(x, training=True)
    input_mask, recurrent_mask = drawn
    assert input_mask.shape == (4, 5) and recurrent_mask.shape == (4, UNITS)
    step = mgu_step(
        w, UNITS, input_mask=input_mask, recurrent_mask=recurrent_mask
    )
    expected, _ = ref.run(step, x.astype("float64"), [np.zeros((4, UNITS))])
    assert_close(result, expected, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch):
    x = _x(4, 7)
    layer = layers.MGU(UNITS, zoneout=0.5, return_sequences=True)
    layer(x)
    w = _randomise(layer)
    keep = np.random.default_rng(5).random((x.shape[1], 4, UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    inner = mgu_step(w, UNITS)
    t = iter(range(x.shape[1]))

    def step(x_t, states):
        h_new = np.where(keep[next(t)], states[0], inner(x_t, states)[0])
        return h_new, [h_new]

    expected, _ = ref.run(step, x.astype("float64"), [np.zeros((4, UNITS))])
    assert_close(layer(x, training=True), expected, atol=2e-5)


@pytest.mark.parametrize(
    "options, n_weights",
    [
        ({}, 3),
        ({"layer_norm": True, "zoneout": 0.1}, 5),
        ({"use_bias": False, "dropout": 0.1, "recurrent_dropout": 0.2}, 2),
    ],
)
def test_layer_contract(options, n_weights):
    run_layer_test(
        layers.MGU,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
    )
    if not options:
        run_layer_test(
            layers.MGU,
            {"units": UNITS, "return_state": True},
            input_shape=(2, 5, 3),
            expected_output_shape=[(2, UNITS), (2, UNITS)],
            expected_num_trainable_weights=n_weights,
            run_mixed_precision=False,
        )


def test_weight_shapes():
    layer = layers.MGU(UNITS, layer_norm=True)
    layer(np.zeros((2, 3, 5), "float32"))
    shapes = {w.path.split("/")[-1]: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "kernel": (5, 2 * UNITS),
        "recurrent_kernel": (UNITS, 2 * UNITS),
        "bias": (2 * UNITS,),
        "input_gamma": (2 * UNITS,),
        "recurrent_gamma": (2 * UNITS,),
    }


@pytest.mark.parametrize(
    "options",
    [{}, {"layer_norm": True, "zoneout": 0.2, "recurrent_dropout": 0.1}],
)
def test_keras_round_trip(options, tmp_path):
    inputs = keras.Input((5, 3))
    model = keras.Model(
        inputs, layers.MGU(UNITS, return_sequences=True, **options)(inputs)
    )
    x = _x(timesteps=5)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    assert type(loaded.layers[-1]) is layers.MGU
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()


def test_bidirectional_round_trip_with_state(tmp_path):
    inputs = keras.Input((5, 3))
    outputs = keras.layers.Bidirectional(
        layers.MGU(UNITS, return_sequences=True, return_state=True)
    )(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(4, 5)
    result = model(x)
    assert len(result) == 3
    assert tuple(result[0].shape) == (4, 5, 2 * UNITS)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    backward = loaded.layers[-1].backward_layer
    assert type(backward) is layers.MGU and backward.go_backwards
    # The backward half is the layer run with go_backwards on its own.
    assert_close(
        to_numpy(result[0])[:, :, UNITS:],
        to_numpy(backward(x)[0])[:, ::-1],
        atol=1e-6,
    )


def test_stateful_continuation_and_initial_state():
    x = _x()
    full = layers.MGU(UNITS, return_sequences=True, return_state=True)
    expected, h_full = full(x)
    h_first = full(x[:, :3])[1]
    layer = layers.MGU(UNITS, return_sequences=True, stateful=True)
    layer(x[:, :3])
    layer.set_weights(full.get_weights())
    layer.reset_state()
    first, second = layer(x[:, :3]), layer(x[:, 3:])
    assert_close(np.concatenate(to_numpy([first, second]), 1), expected)
    assert_close(layer.states[0], h_full)
    layer.reset_state()
    assert_close(layer(x[:, :3]), first)
    # The same continuation from an explicit initial state.
    assert_close(full(x[:, 3:], initial_state=[h_first])[0], second)


def test_user_step_loop_matches_layer():
    x = _x()
    layer = layers.MGU(UNITS, return_sequences=True, layer_norm=True)
    expected = layer(x)
    cell = layer.cell
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(x.shape[1]):
        output, states = cell.step(cell.project(x[:, t]), states)
        outputs.append(output)
    assert_close(keras.ops.stack(outputs, 1), expected)
    # The Keras cell contract: Keras's own RNN runs the same cell.
    assert_close(keras.layers.RNN(cell, return_sequences=True)(x), expected)


def test_fit_with_jit():
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = _x(batch=8)
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.MGU(
                UNITS, recurrent_dropout=0.1, layer_norm=True, zoneout=0.1
            ),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.trainable_weights]
    history = model.fit(
        x, np.zeros((8, UNITS)), epochs=2, batch_size=4, verbose=0
    )
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    keras.config.set_dtype_policy(policy)
    layer = layers.MGU(
        UNITS, layer_norm=True, zoneout=0.1, stateful=True, return_state=True
    )
    x = _x(timesteps=5)
    output, h = layer(x)
    compute = policy.split("_")[1]
    assert keras.backend.standardize_dtype(output.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.trainable_weights)
    assert_close(
        to_numpy(layer.states[0]).astype("float32"),
        to_numpy(h).astype("float32"),
    )


# Bad arguments: each message names the argument and ends with what was
# received.


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_bad_units(units):
    with pytest.raises(
        ValueError, match=rf"`units`.*positive integer.*Received: units={units}"
    ):
        layers.MGU(units)


@pytest.mark.parametrize("value", [-0.1, 1.0])
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
def test_rate_outside_unit_interval(name, value):
    with pytest.raises(
        ValueError, match=rf"`{name}`.*\[0, 1\).*Received: {name}={value}$"
    ):
        layers.MGU(UNITS, **{name: value})


def test_registry():
    assert "mgu" in layers.names()
    spec = layers.spec("mgu")
    assert spec.layer is layers.MGU and layers.get("MGU") is layers.MGU
    assert spec.tunables[: len(registry.COMMON_TUNABLES)] == (
        registry.COMMON_TUNABLES
    )
    arguments = {tunable.name: tunable.default for tunable in spec.tunables}
    spec.validate(arguments, input_dim=3)
    output = to_numpy(layers.MGU(**arguments)(_x()))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
