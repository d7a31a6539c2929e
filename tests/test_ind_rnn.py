"""IndRNN (Li et al. 2018) against the NumPy equations of CELLS.md 2.10,
against Keras's SimpleRNN (its external oracle), its recurrent-weight
constraint, and through the layer contract:
saving, Bidirectional, stateful use, XLA, mixed precision, bad arguments,
training-mode regularisers and the registry."""

import keras
import numpy as np
import pytest

from gatedkeras import layers
from gatedkeras import registry
from gatedkeras.cells.ind_rnn import MaxAbs
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


def ind_rnn_step(w, activation, zoneout=0.0, input_mask=1.0,
                 recurrent_mask=1.0):  # fmt: skip
    """CELLS.md 2.10: h' = φ(W x + u ⊙ h + b), u a vector; recurrent
    dropout on h where it meets u."""
    bias = w.get("bias", 0.0)

    def step(x, states):
        (h,) = states
        wx = (x * input_mask) @ w["kernel"]
        h_new = activation(wx + w["recurrent_kernel"] * (h * recurrent_mask)
                           + bias)  # fmt: skip
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


def relu(x):
    return np.maximum(x, 0.0)


ACTIVATIONS = {"relu": relu, "tanh": np.tanh}


OPTIONS = [
    {},
    {"activation": "tanh"},
    {"zoneout": 0.3},
    {"use_bias": False, "unroll": True},
    {"activation": "tanh", "zoneout": 0.2, "use_bias": False},
]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: str(sorted(o)))
def test_against_numpy_reference(options, go_backwards):
    x, mask = _data()
    layer = layers.IndRNN(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer(x)
    w = _randomise(layer)
    step = ind_rnn_step(
        w,
        ACTIVATIONS[options.get("activation", "relu")],
        zoneout=options.get("zoneout", 0.0),
    )
    outputs, states = ref.run(
        step, x.astype("float64"), [np.zeros((4, UNITS))], mask, go_backwards
    )
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_keras_simple_rnn_with_diagonal_kernel(go_backwards, activation):
    """External oracle: SimpleRNN with recurrent_kernel = diag(u)."""
    x, mask = _data()
    kwargs = dict(
        activation=activation,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    ind_rnn = layers.IndRNN(UNITS, **kwargs)
    ind_rnn(x)
    w = _randomise(ind_rnn)
    simple = keras.layers.SimpleRNN(UNITS, **kwargs)
    simple(x)
    simple.set_weights([w["kernel"], np.diag(w["recurrent_kernel"]), w["bias"]])
    assert_close(ind_rnn(x, mask=mask), simple(x, mask=mask), atol=1e-5)
    assert_close(ind_rnn(x), simple(x), atol=1e-5)


def test_dropout_masks_fixed_per_sequence(monkeypatch):
    x = _x(4, 7, 5)
    layer = layers.IndRNN(
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
    step = ind_rnn_step(
        w, relu, input_mask=input_mask, recurrent_mask=recurrent_mask
    )
    expected, _ = ref.run(step, x.astype("float64"), [np.zeros((4, UNITS))])
    assert_close(result, expected, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch):
    x = _x(4, 7)
    layer = layers.IndRNN(UNITS, zoneout=0.5, return_sequences=True)
    layer(x)
    w = _randomise(layer)
    keep = np.random.default_rng(5).random((x.shape[1], 4, UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    inner = ind_rnn_step(w, relu)
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
        ({"activation": "tanh", "zoneout": 0.1, "recurrent_max_abs": 1.0}, 3),
        ({"use_bias": False, "dropout": 0.1, "recurrent_dropout": 0.2}, 2),
    ],
)
def test_layer_contract(options, n_weights):
    run_layer_test(
        layers.IndRNN,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
    )
    if not options:
        run_layer_test(
            layers.IndRNN,
            {"units": UNITS, "return_state": True},
            input_shape=(2, 5, 3),
            expected_output_shape=[(2, UNITS), (2, UNITS)],
            expected_num_trainable_weights=n_weights,
            run_mixed_precision=False,
        )


def test_weight_shapes_and_default_initialisation():
    layer = layers.IndRNN(UNITS)
    layer(np.zeros((2, 3, 5), "float32"))
    shapes = {w.path.split("/")[-1]: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "kernel": (5, UNITS),
        "recurrent_kernel": (UNITS,),
        "bias": (UNITS,),
    }
    # u uniform in [0, 1] (the authors' choice for ReLU), drawn anew for
    # every layer.
    other = layers.IndRNN(UNITS)
    other(np.zeros((2, 3, 5), "float32"))
    u, v = (
        to_numpy(layer.cell.recurrent_kernel),
        to_numpy(other.cell.recurrent_kernel),
    )
    assert np.all((u >= 0) & (u <= 1)) and not np.allclose(u, v)


def test_recurrent_max_abs_clips_u_after_each_update():
    x = _x(batch=4)
    layer = layers.IndRNN(UNITS, recurrent_max_abs=0.5)
    model = keras.Sequential([keras.Input((6, 3)), layer])
    u = np.array([1.2, -1.2, 0.2, -0.2], "float32")
    layer.cell.recurrent_kernel.assign(u)
    kernel = to_numpy(layer.cell.kernel)
    model.compile(optimizer=keras.optimizers.SGD(1e-4), loss="mse")
    model.fit(x, np.ones((4, UNITS)), epochs=1, batch_size=4, verbose=0)
    assert not np.array_equal(to_numpy(layer.cell.kernel), kernel)
    clipped = to_numpy(layer.cell.recurrent_kernel)
    np.testing.assert_array_equal(clipped[:2], [0.5, -0.5])
    np.testing.assert_allclose(clipped[2:], u[2:], atol=0.01)


def test_max_abs_constraint():
    clip = MaxAbs(2)
    assert clip.get_config() == {"max_value": 2.0}
    revived = keras.constraints.deserialize(keras.constraints.serialize(clip))
    assert type(revived) is MaxAbs and revived.max_value == 2.0
    assert_close(
        revived(keras.ops.convert_to_tensor([-5.0, 1.5, 3.0])),
        [-2.0, 1.5, 2.0],
        atol=0,
        rtol=0,
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"activation": "tanh", "recurrent_max_abs": 0.9, "zoneout": 0.2},
        {"recurrent_constraint": MaxAbs(0.8), "recurrent_dropout": 0.1},
    ],
)
def test_keras_round_trip(options, tmp_path):
    inputs = keras.Input((5, 3))
    model = keras.Model(
        inputs, layers.IndRNN(UNITS, return_sequences=True, **options)(inputs)
    )
    x = _x(timesteps=5)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    assert type(loaded.layers[-1]) is layers.IndRNN
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()


def test_bidirectional_round_trip_with_state(tmp_path):
    inputs = keras.Input((5, 3))
    outputs = keras.layers.Bidirectional(
        layers.IndRNN(UNITS, return_sequences=True, return_state=True)
    )(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(4, 5)
    result = model(x)
    assert len(result) == 3
    assert tuple(result[0].shape) == (4, 5, 2 * UNITS)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    backward = loaded.layers[-1].backward_layer
    assert type(backward) is layers.IndRNN and backward.go_backwards
    # The backward half is the layer run with go_backwards on its own.
    assert_close(
        to_numpy(result[0])[:, :, UNITS:],
        to_numpy(backward(x)[0])[:, ::-1],
        atol=1e-6,
    )


def test_stateful_continuation_and_initial_state():
    x = _x()
    full = layers.IndRNN(UNITS, return_sequences=True, return_state=True)
    expected, h_full = full(x)
    h_first = full(x[:, :3])[1]
    layer = layers.IndRNN(UNITS, return_sequences=True, stateful=True)
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
    layer = layers.IndRNN(UNITS, return_sequences=True, activation="tanh")
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
            layers.IndRNN(
                UNITS, recurrent_dropout=0.1, recurrent_max_abs=1.5, zoneout=0.1
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
    layer = layers.IndRNN(UNITS, zoneout=0.1, stateful=True, return_state=True)
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
        layers.IndRNN(units)


@pytest.mark.parametrize("value", [-0.1, 1.0])
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
def test_rate_outside_unit_interval(name, value):
    with pytest.raises(
        ValueError, match=rf"`{name}`.*\[0, 1\).*Received: {name}={value}$"
    ):
        layers.IndRNN(UNITS, **{name: value})


@pytest.mark.parametrize("value", [0, -1.0, True, "big"])
def test_bad_recurrent_max_abs(value):
    with pytest.raises(
        ValueError,
        match=rf"`recurrent_max_abs`.*positive number.*"
        rf"Received: recurrent_max_abs={value!r}$",
    ):
        layers.IndRNN(UNITS, recurrent_max_abs=value)


def test_recurrent_max_abs_with_recurrent_constraint():
    with pytest.raises(
        ValueError,
        match=r"either `recurrent_max_abs` or `recurrent_constraint`.*"
        r"Received: recurrent_max_abs=1.0, recurrent_constraint=",
    ):
        layers.IndRNN(
            UNITS, recurrent_max_abs=1.0, recurrent_constraint="non_neg"
        )


def test_bad_max_abs_value():
    with pytest.raises(
        ValueError, match=r"`max_value`.*Received: max_value=0$"
    ):
        MaxAbs(0)


def test_registry():
    assert "ind_rnn" in layers.names()
    spec = layers.spec("ind_rnn")
    assert spec.layer is layers.IndRNN and layers.get("IndRNN") is layers.IndRNN
    assert spec.tunables[: len(registry.COMMON_TUNABLES)] == (
        registry.COMMON_TUNABLES
    )
    arguments = {tunable.name: tunable.default for tunable in spec.tunables}
    assert arguments["activation"] == "relu"
    spec.validate(arguments, input_dim=3)
    output = to_numpy(layers.IndRNN(**arguments)(_x()))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
    with pytest.raises(ValueError, match="recurrent_max_abs"):
        spec.validate({"recurrent_max_abs": 1.0, "recurrent_constraint": "x"})
