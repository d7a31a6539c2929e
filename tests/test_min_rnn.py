"""MinGRU and MinLSTM (Feng et al. 2024): the scan and the step mode against
the NumPy equations of CELLS.md 2.11 and against each other, the scan's
fallbacks, the layer contract, saving, regularisers and bad arguments."""

import re

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras import cells
from gatedkeras import layers
from gatedkeras.engine import scan
from tests import numpy_reference as ref
from tests.harness import assert_close
from tests.harness import run_layer_test
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math


@pytest.fixture(autouse=True)
def _scan_by_default(monkeypatch):
    """Most tests here are about the scan: let the default ("auto") choose
    it, as on a GPU. `parallel_scan=False` cases test the loop, and
    `test_auto_runs_the_scan_on_accelerators_only` the CPU default."""
    monkeypatch.setattr(scan, "on_accelerator", lambda: True)


UNITS = 4
LAYERS = [layers.MinGRU, layers.MinLSTM]
MODES = [True, False]  # parallel_scan: the scan, then the sequential loop


def _ids(value):
    if isinstance(value, bool):
        return "scan" if value else "loop"
    return getattr(value, "__name__", None)


# The equations of CELLS.md 2.11, written independently of gatedkeras.


def _g(x):
    return np.where(x >= 0, x + 0.5, ref.sigmoid(x))


def _min_gru_step(w, zoneout=0.0):
    def step(x, states):
        (h,) = states
        k, candidate = np.split(x @ w["kernel"] + w.get("bias", 0.0), 2, -1)
        z = ref.sigmoid(k)
        h_new = (1 - z) * h + z * _g(candidate)
        h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


def _min_lstm_step(w, zoneout=0.0):
    def step(x, states):
        (h,) = states
        k_f, k_i, candidate = np.split(
            x @ w["kernel"] + w.get("bias", 0.0), 3, -1
        )
        f, i = ref.sigmoid(k_f), ref.sigmoid(k_i)
        h_new = f / (f + i) * h + i / (f + i) * _g(candidate)
        h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


REFERENCE = {layers.MinGRU: _min_gru_step, layers.MinLSTM: _min_lstm_step}


def _x(batch=4, timesteps=7, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, timesteps, features)).astype("float32")


def _data(timesteps=7, features=3):
    """Four rows, masked: right-padded, left-padded, fully masked, none."""
    x = _x(4, timesteps, features)
    mask = np.ones((4, timesteps), bool)
    mask[0, 5:] = False
    mask[1, :3] = False
    mask[2] = False
    return x, mask


def _randomise(layer, seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [
            (scale * rng.standard_normal(w.shape)).astype("float32")
            for w in layer.weights
        ]
    )
    return {w.path.split("/")[-1]: to_numpy(w) for w in layer.weights}


def _reference(cls, weights, x, mask=None, initial=None, backwards=False, **kw):
    states = [np.zeros((x.shape[0], UNITS)) if initial is None else initial]
    outputs, states = ref.run(
        REFERENCE[cls](weights, **kw),
        x.astype("float64"),
        [s.astype("float64") for s in states],
        mask,
        backwards,
    )
    return outputs, states


# 1. Against the NumPy equations.

OPTIONS = [{}, {"use_bias": False}, {"zoneout": 0.3}, {"initial_state": True}]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "-")
@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_against_reference(cls, parallel_scan, options, go_backwards):
    """Masked batch (right-padded, left-padded and fully masked rows), both
    directions, states returned; an initial state of both signs still
    gives zero outputs before a row's first unmasked step."""
    options = dict(options)
    with_initial = options.pop("initial_state", False)
    x, mask = _data()
    layer = cls(
        UNITS,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        parallel_scan=parallel_scan,
        **options,
    )
    layer(x)
    weights = _randomise(layer)
    initial = None
    if with_initial:
        initial = np.random.default_rng(2).standard_normal((4, UNITS))
        initial = initial.astype("float32")
    outputs, states = _reference(
        cls,
        weights,
        x,
        mask,
        initial,
        go_backwards,
        zoneout=options.get("zoneout", 0.0),
    )
    kwargs = {} if initial is None else {"initial_state": [initial]}
    result = layer(x, mask=mask, **kwargs)
    assert_close(result[0], outputs, atol=2e-5)
    assert_close(result[1:], states, atol=2e-5)
    if initial is not None:
        # The fully masked row carries its initial state untouched.
        assert_close(to_numpy(result[1])[2], initial[2], atol=0, rtol=0)


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_zero_output_for_mask(cls):
    x, mask = _data()
    layer = cls(UNITS, return_sequences=True, zero_output_for_mask=True)
    layer(x)
    weights = _randomise(layer)
    outputs, _ = _reference(cls, weights, x, mask)
    assert_close(layer(x, mask=mask), np.where(mask[..., None], outputs, 0))


# 2. The scan against the step mode and against float64 (the oracles).


@pytest.mark.parametrize("initial", [None, "positive", "any_sign"])
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_scan_equals_step_mode_at_256_steps(cls, initial):
    """minGRU-pytorch issue 9: with an initial state of any sign the scan,
    the sequential loop (with and without a mask) and the step API all
    agree; float32, 1e-5."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 256, 5)).astype("float32")
    mask = np.ones((3, 256), bool)
    mask[0, 200:] = False
    mask[1, :17] = False
    scan_layer = cls(8, return_sequences=True, return_state=True)
    loop_layer = cls(
        8, return_sequences=True, return_state=True, parallel_scan=False
    )
    scan_layer(x)
    loop_layer(x)
    _randomise(scan_layer, scale=0.7)
    loop_layer.set_weights(scan_layer.get_weights())
    kwargs = {}
    if initial is not None:
        h0 = 2 * rng.standard_normal((3, 8)).astype("float32")
        kwargs["initial_state"] = [np.abs(h0) if initial == "positive" else h0]
    for mask_ in (None, mask):
        assert_close(
            scan_layer(x, mask=mask_, **kwargs),
            loop_layer(x, mask=mask_, **kwargs),
            atol=1e-5,
            rtol=0,
        )
    # The step API, as generation runs it.
    cell = scan_layer.cell
    projected = cell.project(x)
    states = kwargs.get("initial_state") or cell.get_initial_state(3)
    outputs = []
    for t in range(256):
        output, states = cell.step(projected[:, t], states)
        outputs.append(output)
    assert_close(
        scan_layer(x, **kwargs), [ops.stack(outputs, 1)] + states, 1e-5, 0
    )


def test_long_sequence_against_float64():
    """The pairwise log-space scan keeps float32 accuracy at 1,024 steps
    (the cumsum + logcumsumexp form is off by about 3e-4 there)."""
    cls = layers.MinGRU
    x = _x(2, 1024, seed=4)
    layer = cls(UNITS, return_sequences=True)
    layer(x)
    # Small gate pre-activations keep a long memory, the hard case.
    weights = _randomise(layer, scale=0.3)
    expected, _ = _reference(cls, weights, x)
    assert_close(layer(x), expected, atol=1e-5, rtol=0)


def test_log_scan_matches_linear_recurrence():
    rng = np.random.default_rng(5)
    a = rng.uniform(0.5, 1.0, (100, 2, 3))
    b = rng.uniform(0.01, 2.0, (100, 2, 3))
    log_a, log_h = scan.log_scan(
        ops.convert_to_tensor(np.log(a), "float32"),
        ops.convert_to_tensor(np.log(b), "float32"),
    )
    h, expected = np.zeros((2, 3)), []
    for t in range(100):
        h = a[t] * h + b[t]
        expected.append(h)
    assert_close(ops.exp(log_h), np.stack(expected), atol=0, rtol=2e-6)
    assert_close(log_a, np.cumsum(np.log(a), 0), atol=1e-4, rtol=1e-6)


# Where the scan cannot serve (TensorFlow under XLA or with an unknown
# length), the loop runs.


def _count_loop_calls(monkeypatch):
    calls = []
    loop = scan.recurrent_loop

    def counted(*args, **kwargs):
        calls.append(1)
        return loop(*args, **kwargs)

    monkeypatch.setattr(scan, "recurrent_loop", counted)
    return calls


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_fit_with_jit(monkeypatch, cls):
    """jit_compile=True: JAX runs the scan under XLA; TensorFlow, whose
    scan does not compile with XLA in Keras 3.15, falls back to the loop."""
    backend = keras.backend.backend()
    if backend == "torch":
        pytest.skip("jit_compile=True is TensorFlow and JAX (XLA) only")
    calls = _count_loop_calls(monkeypatch)
    x = _x(8, 6)
    y = np.zeros((8, UNITS), "float32")
    model = keras.Sequential(
        [keras.Input((6, 3)), cls(UNITS, dropout=0.1, zoneout=0.1)]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    after = [to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))
    assert bool(calls) == (backend == "tensorflow")
    # Compiled (loop on TensorFlow, scan on JAX) equals eager (the scan).
    calls.clear()
    assert_close(model.predict(x, verbose=0), model(x), atol=1e-5)
    assert not calls or backend == "tensorflow"


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_unknown_batch_and_length(monkeypatch, cls):
    """A functional model with unknown batch and length runs the scan.
    TensorFlow graphs: with an unknown batch the scan serves (Keras's scan
    loses the rank there, the layer restores it); with an unknown length
    the loop serves."""
    calls = _count_loop_calls(monkeypatch)
    layer = cls(
        UNITS, return_sequences=True, return_state=True, parallel_scan=True
    )
    inputs = keras.Input((None, 3))
    outputs = layer(inputs)
    assert tuple(outputs[0].shape) == (None, None, UNITS)
    model = keras.Model(inputs, outputs)
    for timesteps in (5, 7):
        x, mask = _data(timesteps=timesteps)
        assert_close(model(x), layer(x))
    assert not calls
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    for timesteps in (7, None):
        graph = tf.function(
            lambda x, m: layer(x, mask=m),
            input_signature=[
                tf.TensorSpec((None, timesteps, 3)),
                tf.TensorSpec((None, timesteps), tf.bool),
            ],
        )
        result = graph(x, mask)
        assert tuple(result[0].shape) == (4, 7, UNITS)
        traced = graph.get_concrete_function().structured_outputs[0]
        assert tuple(traced.shape) == (None, timesteps, UNITS)
        assert_close(result, layer(x, mask=mask))
        assert bool(calls) == (timesteps is None)


@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
def test_parallel_scan_chooses_the_path(monkeypatch, parallel_scan):
    calls = _count_loop_calls(monkeypatch)
    layers.MinGRU(UNITS, parallel_scan=parallel_scan)(_x())
    assert bool(calls) != parallel_scan


@pytest.mark.parametrize("accelerator", [True, False])
def test_auto_runs_the_scan_on_accelerators_only(monkeypatch, accelerator):
    """The default, "auto": the scan on a GPU or TPU, the loop (faster on
    a CPU) elsewhere."""
    monkeypatch.setattr(scan, "on_accelerator", lambda: accelerator)
    calls = _count_loop_calls(monkeypatch)
    layers.MinGRU(UNITS)(_x())
    assert bool(calls) != accelerator


def test_parallel_scan_not_a_choice():
    with pytest.raises(
        ValueError, match=r"`parallel_scan`.*Received: parallel_scan='yes'"
    ):
        layers.MinGRU(UNITS, parallel_scan="yes")


# Fully masked rows: finite values and gradients.


def _gradients(layer, x, mask):
    """Gradients of the sum of all outputs and states with respect to the
    inputs and the trainable weights."""
    backend = keras.backend.backend()

    def total(result):
        return sum(ops.sum(r) for r in result)

    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = total(layer(x, mask=mask))
        return tape.gradient(loss, [x] + layer.trainable_variables)
    if backend == "jax":
        import jax

        def loss(weights, x):
            result, _ = layer.stateless_call(
                weights, [v.value for v in layer.non_trainable_variables],
                x, mask=mask,
            )  # fmt: skip
            return total(result)

        weights = [v.value for v in layer.trainable_variables]
        grad_weights, grad_x = jax.grad(loss, (0, 1))(weights, x)
        return [grad_x] + list(grad_weights)
    import torch

    x = torch.tensor(x, requires_grad=True)
    total(layer(x, mask=mask)).backward()
    return [x.grad] + [v.value.grad for v in layer.trainable_variables]


@pytest.mark.parametrize("zoneout", [0.0, 0.2])
@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_fully_masked_rows_have_finite_gradients(cls, parallel_scan, zoneout):
    x, mask = _data()
    mask[3] = False
    layer = cls(
        UNITS,
        return_sequences=True,
        return_state=True,
        zoneout=zoneout,
        parallel_scan=parallel_scan,
    )
    result = layer(x, mask=mask)
    assert np.all(to_numpy(result[0])[2:] == 0)
    grads = _gradients(layer, x, mask)
    assert len(grads) == 3
    for grad in grads:
        assert np.all(np.isfinite(to_numpy(grad)))
    # Fully masked rows do not depend on their inputs.
    assert np.all(to_numpy(grads[0])[2:] == 0)
    assert np.any(to_numpy(grads[0])[:2] != 0)


# 3. The layer contract.

CONFIGS = [
    {},
    {
        "parallel_scan": False,
        "use_bias": False,
        "dropout": 0.2,
        "zoneout": 0.1,
        "kernel_regularizer": "l2",
        "activity_regularizer": "l2",
    },
]


@pytest.mark.parametrize("options", CONFIGS, ids=["default", "options"])
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_layer_contract(cls, options):
    n_weights = 1 if options.get("use_bias") is False else 2
    n_losses = 2 if "kernel_regularizer" in options else 0
    run_layer_test(
        cls,
        {"units": UNITS, "return_sequences": True, **options},
        input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, UNITS),
        expected_num_trainable_weights=n_weights,
        expected_num_losses=n_losses,
    )
    if not options:
        run_layer_test(
            cls,
            {"units": UNITS, "return_state": True},
            input_shape=(2, 5, 3),
            expected_output_shape=[(2, UNITS), (2, UNITS)],
            expected_num_trainable_weights=n_weights,
            run_mixed_precision=False,
        )


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_kernel_holds_every_gate(cls):
    layer = cls(UNITS)
    layer(np.zeros((2, 3, 5), "float32"))
    gates = 2 if cls is layers.MinGRU else 3
    assert tuple(layer.cell.kernel.shape) == (5, gates * UNITS)
    assert tuple(layer.cell.bias.shape) == (gates * UNITS,)
    assert layer.cell.projection_size == gates * UNITS


@pytest.mark.parametrize(
    "cls, policy",
    [(layers.MinGRU, "mixed_float16"), (layers.MinLSTM, "mixed_bfloat16")],
    ids=["MinGRU-float16", "MinLSTM-bfloat16"],
)
def test_mixed_precision(cls, policy):
    """Weights in float32, outputs in the compute dtype, the log terms in
    float32, results close to float32 in both modes; stateful states are
    carried across batches."""
    x = _x(2, 12)
    keras.config.set_dtype_policy(policy)
    compute = policy.split("_")[1]
    inputs = keras.Input((12, 3), batch_size=2)
    layer = cls(UNITS, stateful=True, return_sequences=True, zoneout=0.1)
    model = keras.Model(inputs, layer(inputs))
    weights = list(_randomise(layer, scale=0.5).values())
    loop = cls(UNITS, return_sequences=True, zoneout=0.1, parallel_scan=False)
    loop(x)
    loop.set_weights(weights)
    results = [model(x), loop(x)]
    for tensor in results:
        assert keras.backend.standardize_dtype(tensor.dtype) == compute
    assert all(w.dtype == "float32" for w in layer.trainable_weights)
    assert layer.states[0].dtype == "float32"
    projected = ops.cast(layer.cell.project(x), compute)
    for term in layer.cell.log_coefficients(projected):
        assert keras.backend.standardize_dtype(term.dtype) == "float32"
    np.testing.assert_allclose(
        to_numpy(layer.states[0]), to_numpy(results[0])[:, -1].astype("float32")
    )
    keras.config.set_dtype_policy("float32")
    exact = cls(UNITS, return_sequences=True, zoneout=0.1)
    exact(x)
    exact.set_weights(weights)
    tolerance = 2e-2 if compute == "bfloat16" else 5e-3
    for result in results:
        assert_close(
            to_numpy(result).astype("float32"),
            exact(x),
            atol=tolerance,
            rtol=tolerance,
        )
    keras.config.set_dtype_policy(policy)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((2, 12, UNITS), "float32"), verbose=0)
    assert all(np.isfinite(to_numpy(w)).all() for w in layer.weights)


# 4. Saving, Bidirectional, Keras's own RNN wrapper.


@pytest.mark.parametrize(
    "options",
    [{}, {"parallel_scan": False, "go_backwards": True, "zoneout": 0.2}],
    ids=["default", "options"],
)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_keras_round_trip(cls, options, tmp_path):
    inputs = keras.Input((5, 3))
    outputs = cls(UNITS, return_sequences=True, **options)(inputs)
    model = keras.Model(inputs, outputs)
    x = _x(timesteps=5)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert_close(loaded(x), model(x), atol=0, rtol=0)
    layer = loaded.layers[-1]
    assert type(layer) is cls
    assert layer.get_config() == model.layers[-1].get_config()


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_bidirectional_with_mask_and_round_trip(cls, tmp_path):
    tokens = np.array([[3, 1, 4, 0, 0], [0, 2, 7, 1, 8]])
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(10, 3, mask_zero=True)(inputs)
    outputs = keras.layers.Bidirectional(
        cls(UNITS, return_sequences=True, return_state=True)
    )(embedded)
    model = keras.Model(inputs, outputs)
    result = model(tokens)
    assert len(result) == 3
    assert tuple(result[0].shape) == (2, 5, 2 * UNITS)
    # The backward half equals the layer run on the reversed sequence.
    wrapper = model.layers[-1]
    x = to_numpy(model.layers[1](tokens))
    mask = tokens != 0
    backward = wrapper.backward_layer(x, mask=mask)
    assert_close(
        to_numpy(result[0])[:, :, UNITS:], to_numpy(backward[0])[:, ::-1]
    )
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert_close(loaded(tokens), result, atol=0, rtol=0)
    assert type(loaded.layers[-1].backward_layer) is cls


@pytest.mark.parametrize("cell_cls", [cells.MinGRUCell, cells.MinLSTMCell])
def test_cell_inside_keras_rnn(cell_cls):
    x = _x()
    keras_rnn = keras.layers.RNN(cell_cls(UNITS), return_sequences=True)
    expected = keras_rnn(x)
    layer = {cells.MinGRUCell: layers.MinGRU}.get(cell_cls, layers.MinLSTM)
    ours = layer(UNITS, return_sequences=True)
    ours(x)
    ours.set_weights(keras_rnn.get_weights())
    assert_close(ours(x), expected)


# 5. Stateful, initial state, the step API.


@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_stateful_continuation_equals_one_call(cls, parallel_scan):
    x = _x(2, 9)
    whole = cls(UNITS, return_sequences=True)
    expected = whole(x)
    inputs = keras.Input((None, 3), batch_size=2)
    layer = cls(
        UNITS, return_sequences=True, stateful=True, parallel_scan=parallel_scan
    )
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights(whole.get_weights())
    parts = [model(x[:, :4]), model(x[:, 4:7]), model(x[:, 7:])]
    assert_close(ops.concatenate(parts, 1), expected)
    layer.reset_state()
    assert np.all(to_numpy(layer.states[0]) == 0)
    assert_close(model(x[:, :4]), parts[0])


@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_generation_continues_from_returned_state(cls):
    """A prompt through the scan, then its continuation with the step
    API, equals one pass over the whole sequence."""
    x = _x(2, 8)
    layer = cls(UNITS, return_sequences=True, return_state=True)
    whole = layer(x)
    _, h = layer(x[:, :5])
    cell = layer.cell
    states = [h]
    for t in range(5, 8):
        output, states = cell.step(cell.project(x[:, t]), states)
        assert_close(output, to_numpy(whole[0])[:, t])
    assert_close(states[0], whole[1])
    # And the initial_state argument gives the same continuation.
    continued = layer(x[:, 5:], initial_state=[h])
    assert_close(continued[0], to_numpy(whole[0])[:, 5:])


# 6. Training-mode regularisers, with the random masks injected.


@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_input_dropout_one_mask_per_sequence(monkeypatch, cls, parallel_scan):
    x = _x(features=5)
    layer = cls(
        UNITS, dropout=0.3, return_sequences=True, parallel_scan=parallel_scan
    )
    layer(x)
    weights = _randomise(layer)
    rng = np.random.default_rng(3)
    drawn = []

    def dropout_mask(step_input, rate):
        keep = rng.random(tuple(step_input.shape)) >= rate
        drawn.append(keep.astype("float32") / (1 - rate))
        return ops.convert_to_tensor(drawn[-1])

    monkeypatch.setattr(layer.cell, "_create_dropout_mask", dropout_mask)
    result = layer(x, training=True)
    assert len(drawn) == 1 and drawn[0].shape == (4, 5)
    expected, _ = _reference(cls, weights, x * drawn[0][:, None])
    assert_close(result, expected, atol=2e-5)
    # Inference uses no mask.
    assert_close(layer(x), _reference(cls, weights, x)[0], atol=2e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("parallel_scan", MODES, ids=_ids)
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_zoneout_training(monkeypatch, cls, parallel_scan, go_backwards):
    """Zoneout (Krueger et al. 2016): at a training step each unit keeps
    its previous value where the step's mask says so; masked steps still
    carry everything."""
    x, mask = _data()
    layer = cls(
        UNITS,
        zoneout=0.5,
        return_sequences=True,
        go_backwards=go_backwards,
        parallel_scan=parallel_scan,
    )
    layer(x)
    weights = _randomise(layer)
    keep = np.random.default_rng(5).random((7, 4, UNITS)) < 0.5
    monkeypatch.setattr(
        layer.cell,
        "zoneout_mask",
        lambda batch, timesteps=None: ops.convert_to_tensor(keep),
    )
    inner = REFERENCE[cls](weights)
    steps = iter(range(7))

    def step(x_t, states):
        k = keep[next(steps)]
        _, (h_new,) = inner(x_t, states)
        h_new = np.where(k, states[0], h_new)
        return h_new, [h_new]

    expected, _ = ref.run(
        step, x.astype("float64"), [np.zeros((4, UNITS))], mask, go_backwards
    )
    assert_close(layer(x, mask=mask, training=True), expected, atol=2e-5)


# 7. Bad arguments.


@pytest.mark.parametrize("cls", LAYERS + [cells.MinGRUCell], ids=_ids)
def test_recurrent_dropout_is_refused(cls):
    with pytest.raises(
        ValueError,
        match=r"no recurrent weights.*`recurrent_dropout`.*"
        r"Received: recurrent_dropout=0\.2$",
    ):
        cls(UNITS, recurrent_dropout=0.2)


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_bad_units(cls, units):
    with pytest.raises(ValueError, match=rf"`units`.*Received: units={units}$"):
        cls(units)


@pytest.mark.parametrize("value", [-0.1, 1.0, "x"])
@pytest.mark.parametrize("name", ["dropout", "zoneout"])
@pytest.mark.parametrize("cls", LAYERS, ids=_ids)
def test_bad_rates(cls, name, value):
    with pytest.raises(
        ValueError,
        match=rf"`{name}`.*Received: {name}={re.escape(repr(value))}$",
    ):
        cls(UNITS, **{name: value})


# The registry.


@pytest.mark.parametrize(
    "name, cls", [("min_gru", layers.MinGRU), ("min_lstm", layers.MinLSTM)]
)
def test_registry(name, cls):
    assert layers.get(name) is cls
    assert name in layers.names()
    found = layers.spec(name)
    tunables = {tunable.name: tunable.default for tunable in found.tunables}
    assert set(tunables) == {"units", "dropout", "zoneout"}
    found.validate(tunables, input_dim=3)
    layer = cls(**tunables)
    x = np.random.default_rng(0).standard_normal((2, 3, 3), "float32")
    output = to_numpy(layer(x))
    assert output.shape == (2, tunables["units"])
    assert np.all(np.isfinite(output))
    with pytest.raises(ValueError, match=r"recurrent_dropout must be 0"):
        found.validate({"units": 8, "recurrent_dropout": 0.1})
