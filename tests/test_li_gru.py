"""Li-GRU (Ravanelli et al. 2018) and SLi-GRU (Moumen and Parcollet 2023)
against the NumPy equations of CELLS.md 2.13, against Keras's GRU with its
reset gate pinned open (the external oracle), and through the layer
contract: batch statistics over unmasked steps, moving statistics, saving,
Bidirectional, stateful use, XLA, mixed precision, the cell inside
`keras.layers.RNN`, bad arguments, training-mode regularisers and the
registry."""

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
EPSILON = 1e-5  # of both the batch norm and the layer norms


def _x(batch=2, timesteps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


def _data():
    """Four sequences: right-padded, left-padded, fully masked, full. The
    padded steps hold large values, which must not reach the batch
    statistics."""
    x = _x(4, 7)
    mask = np.ones((4, 7), bool)
    mask[0, 5:] = False
    mask[1, :3] = False
    mask[2] = False
    x[~mask] = 50.0
    return x, mask


def _randomise(layer, seed=1):
    """Random weights by name; gammas around 1, positive moving variances."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        value = 0.5 * rng.standard_normal(w.shape)
        if "gamma" in w.path:
            value += 1.0
        if "moving_variance" in w.path:
            value = np.abs(value) + 0.5
        w.assign(value.astype("float32"))
    return _weights(layer)


def _weights(layer):
    return {w.path.split("/")[-1]: to_numpy(w) for w in layer.weights}


def _masked_moments(wx, mask):
    """Mean and (biased) variance over the unmasked (batch, time) rows."""
    rows = wx[mask] if mask is not None else wx.reshape(-1, wx.shape[-1])
    if len(rows) == 0:
        return np.zeros(wx.shape[-1]), np.zeros(wx.shape[-1])
    return rows.mean(0), rows.var(0)


def ligru_step(w, normalization="batch", recurrent_layer_norm=False,
               statistics=None, zoneout=0.0, input_mask=1.0,
               recurrent_mask=1.0):  # fmt: skip
    """CELLS.md 2.13: z = σ(N(W_z x) + U_z h),
    h̃ = ReLU(N(W_h x) + U_h h) ⊙ m, h' = z ⊙ h + (1 - z) ⊙ h̃, with N the
    batch norm (given `statistics`, else the moving ones), the layer norm,
    or a plain bias; SLi-GRU replaces U h by LN(U h), with no weights."""

    def normalise(wx):
        if normalization == "batch":
            mean, var = statistics or (w["moving_mean"], w["moving_variance"])
            normed = (wx - mean) / np.sqrt(var + EPSILON) * w["gamma"]
            return normed + w.get("beta", 0.0)
        if normalization == "layer":
            return ref.layer_norm(wx, w["input_gamma"], w.get("input_beta", 0))
        return wx + w.get("bias", 0.0)

    def step(x, states):
        (h,) = states
        wx = normalise((x * input_mask) @ w["kernel"])
        uh = h @ w["recurrent_kernel"]
        if recurrent_layer_norm:
            uh = ref.layer_norm(uh, 1.0)
        x_z, x_h = np.split(wx, 2, -1)
        u_z, u_h = np.split(uh, 2, -1)
        z = ref.sigmoid(x_z + u_z)
        candidate = np.maximum(x_h + u_h, 0) * recurrent_mask
        h_new = z * h + (1 - z) * candidate
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


def _reference(step, x, mask, go_backwards=False, initial=None):
    states = initial or [np.zeros((x.shape[0], UNITS))]
    return ref.run(step, x.astype("float64"), states, mask, go_backwards)


OPTIONS = [
    {},
    {"normalization": "layer"},
    {"normalization": None},
    {"recurrent_layer_norm": True},
    {"normalization": "layer", "recurrent_layer_norm": True},
    {"normalization": None, "use_bias": False, "recurrent_layer_norm": True},
    {"use_bias": False, "zoneout": 0.3},
]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: str(sorted(o)))
def test_against_numpy_reference(options, go_backwards):
    """Inference: the batch norm uses its moving statistics."""
    x, mask = _data()
    layer = layers.LiGRU(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        **options,
    )
    layer(x)
    w = _randomise(layer)
    step = ligru_step(
        w,
        options.get("normalization", "batch"),
        options.get("recurrent_layer_norm", False),
        zoneout=options.get("zoneout", 0.0),
    )
    outputs, states = _reference(step, x, mask, go_backwards)
    result = layer(x, mask=mask)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [True, False])
def test_training_batch_statistics_leave_out_masked_steps(masked, go_backwards):
    """Training: statistics over batch and time of the unmasked steps only,
    and the moving statistics move towards them (momentum 0.95)."""
    x, mask = _data()
    if not masked:
        x, mask = _x(4, 7), None
    layer = layers.LiGRU(
        UNITS, return_sequences=True, go_backwards=go_backwards
    )
    layer(x)
    w = _randomise(layer)
    mean, var = _masked_moments(x.astype("float64") @ w["kernel"], mask)
    step = ligru_step(w, statistics=(mean, var))
    expected, _ = _reference(step, x, mask, go_backwards)
    result = layer(x, mask=mask, training=True)
    assert_close(result, expected, atol=2e-5)
    after = _weights(layer)
    assert_close(
        after["moving_mean"], 0.95 * w["moving_mean"] + 0.05 * mean, atol=1e-6
    )
    assert_close(
        after["moving_variance"],
        0.95 * w["moving_variance"] + 0.05 * var,
        atol=1e-6,
    )
    assert layer.cell.statistics_mask is None


@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_keras_gru_with_reset_gate_pinned_open(go_backwards):
    """With no normalisation, Li-GRU is Keras's GRU (reset before the
    recurrent product, ReLU candidate) whose reset gate is always 1."""
    x, mask = _data()
    ours = layers.LiGRU(
        UNITS,
        normalization=None,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    ours(x)
    w = _randomise(ours)
    gru = keras.layers.GRU(
        UNITS,
        activation="relu",
        reset_after=False,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    gru(x)

    def with_open_reset(value, reset):
        first, second = np.split(value, 2, -1)
        return np.concatenate([first, np.full_like(first, reset), second], -1)

    gru.set_weights(
        [
            with_open_reset(w["kernel"], 0.0),
            with_open_reset(w["recurrent_kernel"], 0.0),
            # σ(100) is 1 in float32.
            with_open_reset(w["bias"], 100.0),
        ]
    )
    assert_close(ours(x, mask=mask), gru(x, mask=mask), atol=1e-5)


# Training-mode regularisers, with their random masks injected.


def test_dropout_masks_fixed_per_sequence(monkeypatch):
    """Input dropout on x; recurrent dropout on the candidate h̃, as the
    paper and SpeechBrain apply it, one mask per sequence each."""
    x = _x(4, 6, 5)
    layer = layers.LiGRU(
        UNITS,
        normalization="layer",
        dropout=0.3,
        recurrent_dropout=0.4,
        return_sequences=True,
    )
    layer(x)
    w = _randomise(layer)
    drawn = fixed_dropout_masks(
        monkeypatch, layer.cell, np.random.default_rng(3)
    )
    result = layer(x, training=True)
    input_mask, recurrent_mask = drawn
    assert input_mask.shape == (4, 5) and recurrent_mask.shape == (4, UNITS)
    step = ligru_step(
        w, "layer", input_mask=input_mask, recurrent_mask=recurrent_mask
    )
    expected, _ = _reference(step, x, None)
    assert_close(result, expected, atol=2e-5)


def test_zoneout_training_keeps_previous_units(monkeypatch):
    x = _x(4, 6)
    layer = layers.LiGRU(
        UNITS, normalization=None, zoneout=0.5, return_sequences=True
    )
    layer(x)
    w = _randomise(layer)
    keep = np.random.default_rng(5).random((6, 4, UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: keras.ops.convert_to_tensor(keep),
    )
    inner = ligru_step(w, None)
    t = iter(range(6))

    def step(x_t, states):
        k = keep[next(t)]
        _, (h_new,) = inner(x_t, states)
        h_new = np.where(k, states[0], h_new)
        return h_new, [h_new]

    expected, _ = _reference(step, x, None)
    assert_close(layer(x, training=True), expected, atol=2e-5)


# The cell one step at a time.


def test_inside_keras_rnn_uses_per_step_batch_statistics():
    """In `keras.layers.RNN` each training step is normalised with its own
    batch statistics and the moving statistics stay as they are; at
    inference it equals the LiGRU layer."""
    x = _x(4, 6)
    rnn = keras.layers.RNN(cells.LiGRUCell(UNITS), return_sequences=True)
    rnn(x)
    w = _randomise(rnn)
    wx = x.astype("float64") @ w["kernel"]
    steps = iter(range(6))

    def per_step(x_t, states):
        k = next(steps)
        moments = (wx[:, k].mean(0), wx[:, k].var(0))
        return ligru_step(w, statistics=moments)(x_t, states)

    expected, _ = _reference(per_step, x, None)
    assert_close(rnn(x, training=True), expected, atol=2e-5)
    assert_close(_weights(rnn)["moving_mean"], w["moving_mean"])
    inference, _ = _reference(ligru_step(w), x, None)
    assert_close(rnn(x), inference, atol=2e-5)

    ours = layers.LiGRU(UNITS, return_sequences=True)
    ours(x)
    ours.set_weights(rnn.get_weights())
    assert_close(ours(x), rnn(x), atol=1e-6)

    model = keras.Sequential([keras.Input((6, 3)), rnn])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((4, 6, UNITS)), epochs=1, verbose=0)
    assert_close(_weights(rnn)["moving_mean"], w["moving_mean"])


def test_user_step_loop_matches_layer():
    x = _x()
    layer = layers.LiGRU(
        UNITS, recurrent_layer_norm=True, return_sequences=True
    )
    layer(x)
    _randomise(layer)
    expected = layer(x)
    cell = layer.cell
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(x.shape[1]):
        output, states = cell.step(cell.project(x[:, t]), states)
        outputs.append(output)
    assert_close(keras.ops.stack(outputs, 1), expected, atol=1e-6)


# The layer contract.

# (options, trainable weights)
CONTRACT = [
    ({}, 4),
    ({"normalization": "layer", "recurrent_layer_norm": True}, 4),
    ({"normalization": None, "use_bias": False}, 2),
    ({"dropout": 0.1, "recurrent_dropout": 0.2, "zoneout": 0.1}, 4),
]


@pytest.mark.parametrize(
    "options,n_weights", CONTRACT, ids=[str(sorted(o)) for o, _ in CONTRACT]
)
def test_layer_contract(options, n_weights):
    run_layer_test(
        layers.LiGRU,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
    )


def test_layer_contract_with_state():
    run_layer_test(
        layers.LiGRU,
        {"units": UNITS, "return_state": True},
        input_shape=(2, 5, 3),
        expected_output_shape=[(2, UNITS), (2, UNITS)],
        expected_num_trainable_weights=4,
        run_mixed_precision=False,
    )


def test_regularizer_losses_are_counted():
    run_layer_test(
        layers.LiGRU,
        {
            "units": UNITS,
            "kernel_regularizer": "l2",
            "recurrent_regularizer": "l1",
            "bias_regularizer": "l2",
            "activity_regularizer": "l2",
        },
        input_shape=(2, 5, 3),
        expected_output_shape=(2, UNITS),
        expected_num_trainable_weights=4,
        expected_num_losses=4,
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"normalization": "layer", "recurrent_layer_norm": True},
        {"normalization": None, "zoneout": 0.2, "go_backwards": True},
    ],
    ids=["batch", "layer", "none"],
)
def test_keras_round_trip_keeps_moving_statistics(options, tmp_path):
    x = _x(4, 5)
    inputs = keras.Input((5, 3))
    outputs = layers.LiGRU(UNITS, return_sequences=True, **options)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((4, 5, UNITS)), epochs=2, verbose=0)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is layers.LiGRU
    assert layer.get_config() == model.layers[-1].get_config()
    if not options:
        moving = _weights(layer)["moving_mean"]
        assert not np.allclose(moving, 0)
        assert_close(moving, _weights(model.layers[-1])["moving_mean"])


def test_bidirectional_round_trip_with_state(tmp_path):
    inputs = keras.Input((5, 3))
    outputs = keras.layers.Bidirectional(
        layers.LiGRU(UNITS, return_sequences=True, return_state=True)
    )(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(2, 5)
    result = model(x)
    assert len(result) == 3
    assert tuple(result[0].shape) == (2, 5, 2 * UNITS)
    loaded = round_trip(model, tmp_path)
    assert_close(loaded(x), result, atol=0, rtol=0)
    assert loaded.layers[-1].backward_layer.go_backwards


def test_bidirectional_with_mask_trains():
    tokens = np.array([[3, 1, 4, 0, 0], [0, 2, 7, 1, 8]])
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(inputs)
    x = keras.layers.Bidirectional(layers.LiGRU(UNITS))(x)
    model = keras.Model(inputs, x)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(tokens, np.ones((2, 2 * UNITS)), verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_stateful_continuation_and_initial_state():
    x = _x(2, 6)
    whole = layers.LiGRU(UNITS, return_sequences=True, return_state=True)
    whole(x)
    _randomise(whole)
    expected, h = whole(x)
    inputs = keras.Input((3, 3), batch_size=2)
    stateful = layers.LiGRU(UNITS, stateful=True, return_sequences=True)
    model = keras.Model(inputs, stateful(inputs))
    stateful.set_weights(whole.get_weights())
    first, second = model(x[:, :3]), model(x[:, 3:])
    joined = np.concatenate([to_numpy(first), to_numpy(second)], 1)
    assert_close(joined, expected, atol=1e-6)
    stateful.reset_state()
    assert_close(model(x[:, :3]), first, atol=0, rtol=0)
    # An initial state continues a sequence the same way.
    _, h_half = whole(x[:, :3])
    continued, _ = whole(x[:, 3:], initial_state=[h_half])
    assert_close(continued, to_numpy(expected)[:, 3:], atol=1e-6)


def test_fit_with_jit():
    if keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    x = _x(8, 6)
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.LiGRU(UNITS, recurrent_dropout=0.1, zoneout=0.1),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.weights]
    history = model.fit(x, np.ones((8, UNITS)), epochs=2, batch_size=4,
                        verbose=0)  # fmt: skip
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.weights]
    # Every weight moves, the moving statistics included.
    assert all(not np.allclose(a, b) for a, b in zip(after, before))


# mixed_float16 is in run_layer_test.
@pytest.mark.parametrize("policy", ["mixed_bfloat16"])
@pytest.mark.parametrize(
    "options", [{}, {"normalization": "layer", "recurrent_layer_norm": True}]
)
def test_mixed_precision(policy, options):
    keras.config.set_dtype_policy(policy)
    compute = policy.split("_")[1]
    inputs = keras.Input((5, 3), batch_size=2)
    layer = layers.LiGRU(UNITS, stateful=True, return_state=True, **options)
    model = keras.Model(inputs, layer(inputs))
    x = _x(2, 5)
    results = model(x)
    for tensor in results:
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.weights)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, [np.zeros((2, UNITS), "float32")] * 2, verbose=0)
    assert all(np.isfinite(to_numpy(w)).all() for w in layer.weights)


# Bad arguments.


@pytest.mark.parametrize("normalization", ["group", "Batch", True])
def test_unknown_normalization(normalization):
    with pytest.raises(
        ValueError,
        match=rf"`normalization`.*Received: normalization={normalization!r}",
    ):
        layers.LiGRU(UNITS, normalization=normalization)


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_bad_units(units):
    with pytest.raises(ValueError, match=rf"`units`.*Received: units={units}"):
        layers.LiGRU(units)


@pytest.mark.parametrize("value", [-0.1, 1.0])
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
def test_rate_outside_unit_interval(name, value):
    with pytest.raises(
        ValueError, match=rf"`{name}`.*Received: {name}={value}"
    ):
        layers.LiGRU(UNITS, **{name: value})


# The registry.


def test_registry():
    assert "li_gru" in layers.names()
    assert layers.get("li-gru") is layers.LiGRU
    found = layers.spec("li_gru")
    arguments = {tunable.name: tunable.default for tunable in found.tunables}
    assert {"normalization", "recurrent_layer_norm"} <= set(arguments)
    found.validate(arguments, input_dim=3)
    layer = layers.LiGRU(**arguments)
    output = to_numpy(layer(_x()))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
