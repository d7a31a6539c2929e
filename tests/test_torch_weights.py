"""Weight conversion to and from `torch.nn.LSTM` / `torch.nn.GRU`: after
conversion, PyTorch and gatedkeras compute the same outputs."""

import sys

import keras
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="weight conversion needs PyTorch (`pip install torch`)"
)

from gatedkeras import layers  # noqa: E402
from gatedkeras import torch_weights  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 6
ATOL = 1e-5


def _inputs(width=FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, STEPS, width)).astype("float32")


def _to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _run_torch(module, x):
    """Output sequence and final states of a batch-first or time-major
    module on the batch-major NumPy input `x`."""
    inputs = torch.from_numpy(x)
    if not module.batch_first:
        inputs = inputs.transpose(0, 1)
    with torch.no_grad():
        outputs, states = module(inputs)
    if not module.batch_first:
        outputs = outputs.transpose(0, 1)
    if not isinstance(states, tuple):
        states = (states,)
    return outputs.numpy(), [s[-1].numpy() for s in states]


def _run_ours(layer, x):
    outputs, *states = layer(x)
    return _to_numpy(outputs), [_to_numpy(s) for s in states]


def _torch_module(kind, seed=0, **kwargs):
    torch.manual_seed(seed)
    module_class = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    kwargs.setdefault("batch_first", True)
    return module_class(FEATURES, UNITS, **kwargs)


def _layer(kind, **kwargs):
    layer_class = layers.LSTM if kind == "lstm" else layers.GRU
    return layer_class(
        UNITS, return_sequences=True, return_state=True, **kwargs
    )


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [0.5 * rng.standard_normal(w.shape) for w in layer.get_weights()]
    )


def _assert_same_outputs(module, layer, x):
    expected_outputs, expected_states = _run_torch(module, x)
    outputs, states = _run_ours(layer, x)
    np.testing.assert_allclose(outputs, expected_outputs, atol=ATOL)
    assert len(states) == len(expected_states)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, atol=ATOL)


CASES = [
    pytest.param("lstm", {}, {}, id="lstm"),
    pytest.param("lstm", {"proj_size": 3}, {"proj_units": 3}, id="lstm-proj"),
    pytest.param(
        "lstm", {"bias": False}, {"use_bias": False}, id="lstm-no-bias"
    ),
    pytest.param(
        "lstm",
        {"bias": False, "proj_size": 2},
        {"use_bias": False, "proj_units": 2},
        id="lstm-proj-no-bias",
    ),
    pytest.param("gru", {}, {}, id="gru"),
    pytest.param(
        "gru",
        {"bias": False},
        {"use_bias": False},
        id="gru-no-bias",
    ),
    # The engine rather than torch's fused kernel, on the torch backend too.
    pytest.param(
        "gru",
        {"bias": False},
        {"use_bias": False, "use_cudnn": False},
        id="gru-no-bias-engine",
    ),
]


@pytest.mark.parametrize("kind, torch_kwargs, our_kwargs", CASES)
def test_from_torch_outputs_match(kind, torch_kwargs, our_kwargs):
    module = _torch_module(kind, **torch_kwargs)
    layer = _layer(kind, **our_kwargs)
    assert torch_weights.from_torch(module, layer) is layer
    assert layer.built
    _assert_same_outputs(module, layer, _inputs())


@pytest.mark.parametrize("kind, torch_kwargs, our_kwargs", CASES)
def test_to_torch_outputs_match(kind, torch_kwargs, our_kwargs):
    x = _inputs()
    layer = _layer(kind, **our_kwargs)
    layer.build(x.shape)
    _randomise(layer)
    module = torch_weights.to_torch(layer)
    assert type(module) is (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)
    assert module.batch_first
    assert module.bias == layer.use_bias
    assert module.proj_size == torch_kwargs.get("proj_size", 0)
    _assert_same_outputs(module, layer, x)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_from_torch_time_major_module_into_built_layer(kind):
    module = _torch_module(kind, batch_first=False)
    layer = _layer(kind)
    layer.build((None, STEPS, FEATURES))
    torch_weights.from_torch(module, layer)
    _assert_same_outputs(module, layer, _inputs())


def _single_layer_copy(module, layer_index, reverse):
    """A one-layer unidirectional module holding one layer and direction of
    `module`, copied parameter by parameter with PyTorch alone."""
    suffix = f"_l{layer_index}" + ("_reverse" if reverse else "")
    width = getattr(module, "weight_ih" + suffix).shape[1]
    copy = type(module)(
        width, module.hidden_size, bias=module.bias, batch_first=True
    )
    with torch.no_grad():
        for name, parameter in copy.named_parameters():
            source = getattr(module, name.replace("_l0", suffix))
            parameter.copy_(source)
    return copy


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_from_torch_layer_and_direction_of_stacked_bidirectional(kind):
    module = _torch_module(kind, num_layers=2, bidirectional=True)
    layer = _layer(kind)
    torch_weights.from_torch(module, layer, layer_index=1, reverse=True)
    assert layer.cell.input_dim == 2 * UNITS
    reference = _single_layer_copy(module, 1, reverse=True)
    _assert_same_outputs(reference, layer, _inputs(2 * UNITS))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_stacked_bidirectional_module_equals_keras_bidirectional(kind):
    module = _torch_module(kind, num_layers=2, bidirectional=True)
    x = _inputs()
    layer_class = layers.LSTM if kind == "lstm" else layers.GRU
    stack = []
    for index in range(2):
        bidirectional = keras.layers.Bidirectional(
            layer_class(UNITS, return_sequences=True)
        )
        bidirectional.build(
            (None, STEPS, FEATURES if index == 0 else 2 * UNITS)
        )
        torch_weights.from_torch(
            module, bidirectional.forward_layer, layer_index=index
        )
        torch_weights.from_torch(
            module, bidirectional.backward_layer, index, reverse=True
        )
        stack.append(bidirectional)
    outputs = x
    for bidirectional in stack:
        outputs = bidirectional(outputs)
    expected, _ = _run_torch(module, x)
    np.testing.assert_allclose(_to_numpy(outputs), expected, atol=ATOL)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_to_torch_into_layer_and_direction_of_existing_module(kind):
    module = _torch_module(kind, num_layers=2, bidirectional=True)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    x = _inputs(2 * UNITS)
    layer = _layer(kind)
    layer.build(x.shape)
    _randomise(layer)
    assert (
        torch_weights.to_torch(layer, module, layer_index=1, reverse=True)
        is module
    )
    for name, value in module.state_dict().items():
        if not name.endswith("_l1_reverse"):
            torch.testing.assert_close(value, before[name], rtol=0, atol=0)
    reference = _single_layer_copy(module, 1, reverse=True)
    _assert_same_outputs(reference, layer, x)


@pytest.mark.parametrize("kind, torch_kwargs, our_kwargs", CASES)
def test_round_trip_preserves_weights(kind, torch_kwargs, our_kwargs):
    module = _torch_module(kind, **torch_kwargs)
    layer = torch_weights.from_torch(module, _layer(kind, **our_kwargs))
    back = torch_weights.to_torch(layer)
    original = {k: v.numpy() for k, v in module.state_dict().items()}
    converted = {k: v.numpy() for k, v in back.state_dict().items()}
    assert original.keys() == converted.keys()
    for name in original:
        if kind == "lstm" and name.startswith("bias_"):
            continue
        np.testing.assert_array_equal(converted[name], original[name])
    if kind == "lstm" and module.bias:
        # One bias in Keras: the sum lands in bias_ih, bias_hh is zero.
        np.testing.assert_allclose(
            converted["bias_ih_l0"],
            original["bias_ih_l0"] + original["bias_hh_l0"],
            rtol=1e-6,
        )
        np.testing.assert_array_equal(converted["bias_hh_l0"], 0)

    # And our weights survive the trip through PyTorch exactly.
    again = torch_weights.from_torch(back, _layer(kind, **our_kwargs))
    for weight, expected in zip(again.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(weight, expected)


# Every mismatch is a ValueError in the Keras style.


def _raises(match):
    return pytest.raises(ValueError, match=match)


def test_rejects_a_module_that_is_not_lstm_or_gru():
    with _raises("Received: module=RNN"):
        torch_weights.from_torch(torch.nn.RNN(4, 6), _layer("gru"))
    layer = _layer("gru")
    layer.build((None, STEPS, FEATURES))
    with _raises("Received: module=RNN"):
        torch_weights.to_torch(layer, torch.nn.RNN(4, 6))


@pytest.mark.parametrize(
    "kind, layer",
    [
        ("lstm", lambda: _layer("gru")),
        ("gru", lambda: _layer("lstm")),
        ("lstm", lambda: keras.layers.LSTM(UNITS)),
    ],
)
def test_rejects_a_layer_of_the_wrong_kind(kind, layer):
    with _raises("Received: layer="):
        torch_weights.from_torch(_torch_module(kind), layer())


def test_to_torch_rejects_other_layers_and_unbuilt_layers():
    with _raises("Received: layer="):
        torch_weights.to_torch(layers.SimpleRNN(UNITS))
    with _raises("Received: layer.built=False"):
        torch_weights.to_torch(_layer("lstm"))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rejects_mismatched_units(kind):
    layer_class = layers.LSTM if kind == "lstm" else layers.GRU
    with _raises(f"Received: units={UNITS + 1}"):
        torch_weights.from_torch(_torch_module(kind), layer_class(UNITS + 1))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rejects_mismatched_input_size(kind):
    layer = _layer(kind)
    layer.build((None, STEPS, FEATURES + 1))
    with _raises(f"Received: input_size={FEATURES}"):
        torch_weights.from_torch(_torch_module(kind), layer)
    with _raises(f"Received: input_size={FEATURES}"):
        torch_weights.to_torch(layer, _torch_module(kind))


@pytest.mark.parametrize(
    "torch_kwargs, our_kwargs, match",
    [
        ({"proj_size": 3}, {}, "Received: proj_units=None"),
        ({}, {"proj_units": 3}, "Received: proj_units=3"),
        ({"proj_size": 2}, {"proj_units": 3}, "Received: proj_units=3"),
    ],
)
def test_rejects_mismatched_projection(torch_kwargs, our_kwargs, match):
    module = _torch_module("lstm", **torch_kwargs)
    with _raises(match):
        torch_weights.from_torch(module, _layer("lstm", **our_kwargs))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("torch_bias", [True, False])
def test_rejects_mismatched_bias(kind, torch_bias):
    module = _torch_module(kind, bias=torch_bias)
    layer = _layer(kind, use_bias=not torch_bias)
    with _raises(f"Received: use_bias={not torch_bias}"):
        torch_weights.from_torch(module, layer)


def test_rejects_gru_without_reset_after():
    layer = _layer("gru", reset_after=False)
    with _raises("Received: reset_after=False"):
        torch_weights.from_torch(_torch_module("gru"), layer)
    layer.build((None, STEPS, FEATURES))
    with _raises("Received: reset_after=False"):
        torch_weights.to_torch(layer)


@pytest.mark.parametrize(
    "kind, option",
    [
        ("lstm", "peephole"),
        ("lstm", "coupled_gates"),
        ("lstm", "layer_norm"),
        ("gru", "layer_norm"),
    ],
)
def test_rejects_options_without_torch_equivalent(kind, option):
    layer = _layer(kind, **{option: True})
    with _raises(f"Received: {option}=True"):
        torch_weights.from_torch(_torch_module(kind), layer)
    layer.build((None, STEPS, FEATURES))
    with _raises(f"Received: {option}=True"):
        torch_weights.to_torch(layer)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rejects_zoneout(kind):
    with _raises("Received: zoneout=0.1"):
        torch_weights.from_torch(_torch_module(kind), _layer(kind, zoneout=0.1))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize(
    "name, value",
    [("activation", "relu"), ("recurrent_activation", "hard_sigmoid")],
)
def test_rejects_non_default_activations(kind, name, value):
    layer = _layer(kind, **{name: value})
    with _raises(f"Received: {name}='{value}'"):
        torch_weights.from_torch(_torch_module(kind), layer)
    layer.build((None, STEPS, FEATURES))
    with _raises(f"Received: {name}='{value}'"):
        torch_weights.to_torch(layer)


@pytest.mark.parametrize("layer_index", [2, -1, 1.0, True])
def test_rejects_layer_index_out_of_range(layer_index):
    module = _torch_module("lstm", num_layers=2)
    with _raises(f"Received: layer_index={layer_index!r}"):
        torch_weights.from_torch(module, _layer("lstm"), layer_index)
    layer = _layer("lstm")
    layer.build((None, STEPS, UNITS))
    with _raises(f"Received: layer_index={layer_index!r}"):
        torch_weights.to_torch(layer, module, layer_index=layer_index)


def test_rejects_reverse_of_a_unidirectional_module():
    module = _torch_module("gru")
    with _raises("Received: reverse=True"):
        torch_weights.from_torch(module, _layer("gru"), reverse=True)
    layer = _layer("gru")
    layer.build((None, STEPS, FEATURES))
    with _raises("Received: reverse=True"):
        torch_weights.to_torch(layer, module, reverse=True)


def test_missing_torch_names_the_install_command(monkeypatch):
    layer = _layer("lstm")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        torch_weights.from_torch(object(), layer)
