"""SRU (Lei et al. 2018) against the NumPy equations of CELLS.md 2.12 (in
the form of the authors' `sru_cpu_impl.cpp`), its initialisation against
the reference code's recipe, and the layer contract: saving,
Bidirectional, stateful use, XLA, mixed precision, the cell inside
`keras.layers.RNN`, bad arguments, training-mode regularisers and the
registry."""

import math

import keras
import numpy as np
import pytest

from gatedkeras import cells
from gatedkeras import layers
from tests import numpy_reference as ref
from tests.harness import assert_close
from tests.harness import fixed_dropout_masks
from tests.harness import round_trip
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

UNITS = 4


def _x(batch=2, timesteps=6, features=UNITS, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


def _data(features=UNITS):
    """Four sequences: right-padded, left-padded, fully masked, full."""
    x = _x(4, 7, features)
    mask = np.ones((4, 7), bool)
    mask[0, 5:] = False
    mask[1, :3] = False
    mask[2] = False
    return x, mask


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        value = 0.5 * rng.standard_normal(w.shape) + ("gamma" in w.path)
        w.assign(value.astype("float32"))
    return {w.path.split("/")[-1]: to_numpy(w) for w in layer.weights}


def sru_step(w, scale=math.sqrt(3.0), layer_norm=False, activation=None,
             zoneout=0.0, input_mask=1.0, recurrent_mask=1.0):  # fmt: skip
    """CELLS.md 2.12: f = σ(W_f x + v_f ⊙ c + b_f),
    r = σ(W_r x + v_r ⊙ c + b_r), c' = f ⊙ c + (1 − f) ⊙ (W x),
    h = r ⊙ g(c') + (1 − r) ⊙ s, with s = α x, or W_s x when the kernel
    has a fourth block; the projections see the layer-normalised,
    dropped-out input, the skip term α x the input as it came."""
    kernel = w["kernel"]
    units = w["bias"].shape[0] // 2
    blocks = kernel.shape[1] // units
    v_f, v_r = np.split(w["recurrent_kernel"], 2)
    b_f, b_r = np.split(w["bias"], 2)
    g = activation or (lambda c: c)

    def step(x, states):
        (c,) = states
        normed = x
        if layer_norm:
            normed = ref.layer_norm(x, w["input_gamma"], w["input_beta"])
        u = np.split((normed * input_mask) @ kernel, blocks, -1)
        skip = u[3] if blocks == 4 else scale * x
        seen = c * recurrent_mask
        f = ref.sigmoid(u[1] + v_f * seen + b_f)
        r = ref.sigmoid(u[2] + v_r * seen + b_r)
        c_new = f * c + (1 - f) * u[0]
        if zoneout:
            c_new = zoneout * c + (1 - zoneout) * c_new
        h = r * g(c_new) + (1 - r) * skip
        return h, [c_new]

    return step


def _reference(step, x, mask, go_backwards=False):
    states = [np.zeros((x.shape[0], UNITS))]
    return ref.run(step, x.astype("float64"), states, mask, go_backwards)


# (options, input width): the skip term is α x at width UNITS and a fourth
# projection otherwise.
OPTIONS = [
    ({}, UNITS),
    ({}, 3),
    ({"layer_norm": True}, UNITS),
    ({"layer_norm": True}, 5),
    ({"rescale": False}, UNITS),
    ({"highway_bias": -2.0, "activation": "tanh"}, UNITS),
    ({"zoneout": 0.3}, UNITS),
]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    "options,features",
    OPTIONS,
    ids=[f"{sorted(o)}-{f}" for o, f in OPTIONS],
)
def test_against_numpy_reference(options, features, go_backwards):
    x, mask = _data(features)
    layer = layers.SRU(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer(x)
    w = _randomise(layer)
    scale = 1.0
    if options.get("rescale", True):
        scale = math.sqrt(1 + 2 * math.exp(options.get("highway_bias", 0.0)))
    step = sru_step(
        w,
        scale,
        layer_norm=options.get("layer_norm", False),
        activation=np.tanh if "activation" in options else None,
        zoneout=options.get("zoneout", 0.0),
    )
    outputs, states = _reference(step, x, mask, go_backwards)
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


def test_initialisation_follows_the_reference():
    """`reset_parameters` of sru/modules.py: W with variance 1/d, W_f and
    W_r scaled by √0.5, W_s by α, v uniform in ±√1.5, b_r = highway_bias,
    α = √(1 + 2 exp(highway_bias)); 0.1 x W with layer norm."""
    d, units = 400, 300
    layer = layers.SRU(units, highway_bias=-2.0, seed=0)
    layer.build((None, None, d))
    cell = layer.cell
    alpha = math.sqrt(1 + 2 * math.exp(-2.0))
    assert cell.scale == pytest.approx(alpha)
    kernel = to_numpy(cell.kernel)
    assert kernel.shape == (d, 4 * units)
    expected_std = np.array([1, 0.5**0.5, 0.5**0.5, alpha]) / math.sqrt(d)
    stds = kernel.reshape(d, 4, units).transpose(1, 0, 2).reshape(4, -1)
    np.testing.assert_allclose(stds.std(1), expected_std, rtol=0.02)
    v = to_numpy(cell.recurrent_kernel)
    assert v.shape == (2 * units,)
    assert np.abs(v).max() <= math.sqrt(1.5)
    assert np.abs(v).max() > 0.95 * math.sqrt(1.5)
    bias = to_numpy(cell.bias)
    np.testing.assert_array_equal(bias[:units], 0.0)
    np.testing.assert_allclose(bias[units:], -2.0)

    normed = layers.SRU(units, layer_norm=True, dropout=0.36, seed=0)
    normed.build((None, None, units))
    kernel = to_numpy(normed.cell.kernel)
    assert kernel.shape == (units, 3 * units)
    # 0.1 for layer norm, √(1 - 0.36) for input dropout.
    expected = 0.1 * 0.8 * math.sqrt(1 / units)
    np.testing.assert_allclose(kernel[:, :units].std(), expected, rtol=0.03)


# Training-mode regularisers, with their random masks injected.


def test_dropout_masks_fixed_per_sequence(monkeypatch):
    """Input dropout on the projections' input (the skip term α x takes the
    undropped input); recurrent dropout on c where it enters the gates, not
    on the carried c. One mask per sequence each."""
    x = _x(4, 6)
    layer = layers.SRU(
        UNITS,
        dropout=0.3,
        recurrent_dropout=0.4,
        layer_norm=True,
        return_sequences=True,
        return_state=True,
    )
    layer(x)
    w = _randomise(layer)
    drawn = fixed_dropout_masks(
        monkeypatch, layer.cell, np.random.default_rng(3)
    )
    result = layer(x, training=True)
    input_mask, recurrent_mask = drawn
    assert input_mask.shape == (4, UNITS)
    assert recurrent_mask.shape == (4, UNITS)
    step = sru_step(
        w,
        layer_norm=True,
        input_mask=input_mask,
        recurrent_mask=recurrent_mask,
    )
    outputs, states = _reference(step, x, None)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch):
    """Zoneout keeps units of c; the output is computed from the zoned c."""
    x = _x(4, 6)
    layer = layers.SRU(UNITS, zoneout=0.5, return_sequences=True)
    layer(x)
    w = _randomise(layer)
    keep = np.random.default_rng(5).random((6, 4, UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    t = iter(range(6))
    v_f, v_r = np.split(w["recurrent_kernel"], 2)
    b_f, b_r = np.split(w["bias"], 2)

    def step(x_t, states):
        (c,) = states
        u = np.split(x_t @ w["kernel"], 3, -1)
        f = ref.sigmoid(u[1] + v_f * c + b_f)
        r = ref.sigmoid(u[2] + v_r * c + b_r)
        c_new = np.where(keep[next(t)], c, f * c + (1 - f) * u[0])
        h = r * c_new + (1 - r) * math.sqrt(3.0) * x_t
        return h, [c_new]

    expected, _ = _reference(step, x, None)
    assert_close(layer(x, training=True), expected, atol=2e-5)


# The cell one step at a time.


@pytest.mark.parametrize("features", [UNITS, 3])
def test_inside_keras_rnn_and_user_loop_match_layer(features):
    x = _x(2, 5, features)
    options = {"layer_norm": True, "zoneout": 0.2}
    layer = layers.SRU(UNITS, return_sequences=True, **options)
    layer(x)
    _randomise(layer)
    expected = layer(x)
    rnn = keras.layers.RNN(
        cells.SRUCell(UNITS, **options), return_sequences=True
    )
    rnn(x)
    rnn.set_weights(layer.get_weights())
    assert_close(rnn(x), expected, atol=1e-6)
    cell = layer.cell
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(x.shape[1]):
        output, states = cell.step(cell.project(x[:, t]), states)
        outputs.append(output)
    assert_close(keras.ops.stack(outputs, 1), expected, atol=1e-6)


# The layer contract.

# (options, input width, trainable weights)
CONTRACT = [
    ({}, UNITS, 3),
    ({"layer_norm": True, "highway_bias": -1.0}, 3, 5),
    ({"dropout": 0.1, "recurrent_dropout": 0.2, "zoneout": 0.1}, UNITS, 3),
]


@pytest.mark.parametrize(
    "options,features,n_weights",
    CONTRACT,
    ids=[f"{sorted(o)}-{f}" for o, f, _ in CONTRACT],
)
def test_layer_contract(options, features, n_weights):
    run_layer_test(
        layers.SRU,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, features),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
    )


def test_layer_contract_with_state():
    run_layer_test(
        layers.SRU,
        {"units": UNITS, "return_state": True},
        input_shape=(2, 5, 3),
        expected_output_shape=[(2, UNITS), (2, UNITS)],
        expected_num_trainable_weights=3,
        run_mixed_precision=False,
    )


def test_regularizer_losses_are_counted():
    run_layer_test(
        layers.SRU,
        {
            "units": UNITS,
            "kernel_regularizer": "l2",
            "recurrent_regularizer": "l1",
            "bias_regularizer": "l2",
            "activity_regularizer": "l2",
        },
        input_shape=(2, 5, 3),
        expected_output_shape=(2, UNITS),
        expected_num_trainable_weights=3,
        expected_num_losses=4,
        run_mixed_precision=False,
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {
            "layer_norm": True,
            "highway_bias": -2.0,
            "rescale": False,
            "activation": "tanh",
            "zoneout": 0.1,
            "go_backwards": True,
        },
    ],
    ids=["default", "options"],
)
def test_keras_round_trip(options, tmp_path):
    inputs = keras.Input((5, 3))
    outputs = layers.SRU(UNITS, return_sequences=True, **options)(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(2, 5, 3)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is layers.SRU
    assert layer.get_config() == model.layers[-1].get_config()


def test_bidirectional_round_trip_with_state(tmp_path):
    inputs = keras.Input((5, UNITS))
    outputs = keras.layers.Bidirectional(
        layers.SRU(UNITS, return_sequences=True, return_state=True)
    )(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(2, 5)
    result = model(x)
    assert len(result) == 3
    assert tuple(result[0].shape) == (2, 5, 2 * UNITS)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    assert loaded.layers[-1].backward_layer.go_backwards


def test_stateful_continuation_and_initial_state():
    x = _x(2, 6)
    whole = layers.SRU(UNITS, return_sequences=True, return_state=True)
    whole(x)
    _randomise(whole)
    expected, _ = whole(x)
    inputs = keras.Input((3, UNITS), batch_size=2)
    stateful = layers.SRU(UNITS, stateful=True, return_sequences=True)
    model = keras.Model(inputs, stateful(inputs))
    stateful.set_weights(whole.get_weights())
    first, second = model(x[:, :3]), model(x[:, 3:])
    joined = np.concatenate([to_numpy(first), to_numpy(second)], 1)
    assert_close(joined, expected, atol=1e-6)
    stateful.reset_state()
    assert_close(model(x[:, :3]), first, atol=0, rtol=0)
    _, c_half = whole(x[:, :3])
    continued, _ = whole(x[:, 3:], initial_state=[c_half])
    assert_close(continued, to_numpy(expected)[:, 3:], atol=1e-6)


def test_fit_with_jit():
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = _x(8, 6, 3)
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.SRU(UNITS, layer_norm=True, recurrent_dropout=0.1,
                       zoneout=0.1),
        ]
    )  # fmt: skip
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.weights]
    history = model.fit(x, np.ones((8, UNITS)), epochs=2, batch_size=4,
                        verbose=0)  # fmt: skip
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


# mixed_float16 is in run_layer_test.
@pytest.mark.parametrize("policy", ["mixed_bfloat16"])
def test_mixed_precision(policy):
    keras.config.set_dtype_policy(policy)
    compute = policy.split("_")[1]
    inputs = keras.Input((5, UNITS), batch_size=2)
    layer = layers.SRU(
        UNITS, stateful=True, return_state=True, layer_norm=True, zoneout=0.1
    )
    model = keras.Model(inputs, layer(inputs))
    x = _x(2, 5)
    results = model(x)
    for tensor in results:
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(
        to_numpy(layer.states[0]).astype("float32"),
        to_numpy(results[1]).astype("float32"),
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, [np.zeros((2, UNITS), "float32")] * 2, verbose=0)
    assert all(np.isfinite(to_numpy(w)).all() for w in layer.weights)


# Bad arguments.


@pytest.mark.parametrize("highway_bias", ["low", True, None])
def test_highway_bias_not_a_number(highway_bias):
    with pytest.raises(
        ValueError,
        match=rf"`highway_bias`.*Received: highway_bias={highway_bias!r}",
    ):
        layers.SRU(UNITS, highway_bias=highway_bias)


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_bad_units(units):
    with pytest.raises(ValueError, match=rf"`units`.*Received: units={units}"):
        layers.SRU(units)


@pytest.mark.parametrize("value", [-0.1, 1.0])
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
def test_rate_outside_unit_interval(name, value):
    with pytest.raises(
        ValueError, match=rf"`{name}`.*Received: {name}={value}"
    ):
        layers.SRU(UNITS, **{name: value})


def test_input_width_differs_from_build():
    layer = layers.SRU(UNITS)
    layer(_x())
    with pytest.raises(
        ValueError, match=r"4 features.*Received: inputs\.shape=\(2, 6, 3\)"
    ):
        layer(_x(features=3))


# The registry.


def test_registry():
    assert "sru" in layers.names()
    assert layers.get("SRU") is layers.SRU
    found = layers.spec("sru")
    arguments = {tunable.name: tunable.default for tunable in found.tunables}
    assert {"highway_bias", "layer_norm"} <= set(arguments)
    found.validate(arguments, input_dim=3)
    layer = layers.SRU(**arguments)
    output = to_numpy(layer(_x(features=3)))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
