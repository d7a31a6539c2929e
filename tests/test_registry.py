"""The layer registry: names, look-up, tunable arguments and constraints."""

import inspect

import numpy as np
import pytest
from keras import ops

import gatedkeras
from gatedkeras import layers
from gatedkeras import registry

# The canonical names the issues fix, and their classes.
NAMES = {
    "simple_rnn": layers.SimpleRNN,
    "lstm": layers.LSTM,
    "gru": layers.GRU,
    "mgu": layers.MGU,
    "ugrnn": layers.UGRNN,
    "clockwork_rnn": layers.ClockworkRNN,
    "depth_gated_lstm": layers.DepthGatedLSTM,
    "ind_rnn": layers.IndRNN,
    "li_gru": layers.LiGRU,
    "sru": layers.SRU,
    "min_gru": layers.MinGRU,
    "min_lstm": layers.MinLSTM,
}
KINDS = ("int", "float", "bool", "choice")


def test_names_lists_every_layer():
    names = layers.names()
    assert sorted(names) == sorted(NAMES)
    assert len(names) == len(set(names))
    assert all(name == name.lower() and "-" not in name for name in names)


@pytest.mark.parametrize(
    "identifier", ["SimpleRNN", "simple-rnn", "simple_rnn", "SIMPLE_RNN"]
)
def test_get_ignores_case_underscores_and_hyphens(identifier):
    assert layers.get(identifier) is gatedkeras.layers.SimpleRNN


@pytest.mark.parametrize("name, layer_cls", NAMES.items(), ids=list(NAMES))
def test_get_by_canonical_name(name, layer_cls):
    assert layers.get(name) is layer_cls
    assert layers.get(name.upper()) is layer_cls


@pytest.mark.parametrize("layer_cls", NAMES.values(), ids=list(NAMES))
def test_get_passes_a_class_through(layer_cls):
    assert layers.get(layer_cls) is layer_cls


@pytest.mark.parametrize("layer_cls", NAMES.values(), ids=list(NAMES))
def test_get_passes_an_instance_through(layer_cls):
    layer = layer_cls(8)
    assert layers.get(layer) is layer


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"Received: name='nope'") as info:
        layers.get("nope")
    message = str(info.value)
    for name in layers.names():
        assert repr(name) in message


def test_get_rejects_a_non_layer():
    with pytest.raises(ValueError, match=r"Received: identifier=3"):
        layers.get(3)


@pytest.mark.parametrize("name, layer_cls", NAMES.items(), ids=list(NAMES))
def test_spec_by_name_class_and_instance(name, layer_cls):
    found = layers.spec(name)
    assert found.name == name
    assert found.layer is layer_cls
    assert layers.spec(layer_cls) is found
    assert layers.spec(layer_cls(8)) is found


def test_spec_of_unknown_name():
    with pytest.raises(ValueError, match=r"Received: name='nope'"):
        layers.spec("nope")


def _check_tunable(tunable):
    assert isinstance(tunable, registry.Tunable)
    assert isinstance(tunable.name, str) and tunable.name
    assert tunable.kind in KINDS, tunable
    if tunable.kind in ("int", "float"):
        number = int if tunable.kind == "int" else (int, float)
        for bound in (tunable.low, tunable.high, tunable.default):
            assert isinstance(bound, number), tunable
            assert not isinstance(bound, bool), tunable
        assert tunable.low < tunable.high, tunable
        assert tunable.low <= tunable.default <= tunable.high, tunable
        if tunable.log:
            assert tunable.low > 0, tunable
    elif tunable.kind == "bool":
        assert isinstance(tunable.default, bool), tunable
        assert not tunable.log, tunable
    else:
        assert len(tunable.values) >= 2, tunable
        assert len(set(tunable.values)) == len(tunable.values), tunable
        assert tunable.default in tunable.values, tunable


def test_lstm_spec_has_tunables_and_constraints():
    found = layers.spec("lstm")
    names = [tunable.name for tunable in found.tunables]
    assert {"units", "dropout", "recurrent_dropout", "zoneout"} <= set(names)
    assert {"layer_norm", "peephole", "coupled_gates"} <= set(names)
    for tunable in found.tunables:
        _check_tunable(tunable)
    assert found.constraints
    for constraint in found.constraints:
        assert isinstance(constraint, registry.Constraint)
        assert constraint.description
        assert callable(constraint.check)
    assert any("proj_units" in c.description for c in found.constraints)


@pytest.mark.parametrize("name", list(NAMES))
def test_every_tunable_is_well_formed(name):
    found = layers.spec(name)
    assert found.tunables
    names = [tunable.name for tunable in found.tunables]
    assert len(names) == len(set(names))
    for tunable in found.tunables:
        _check_tunable(tunable)


@pytest.mark.parametrize("name", list(NAMES))
def test_rates_stay_below_one(name):
    for tunable in layers.spec(name).tunables:
        if tunable.name in ("dropout", "recurrent_dropout", "zoneout"):
            assert tunable.kind == "float"
            assert 0 <= tunable.low and tunable.high < 1


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("lstm", {"units": 8}),
        ("lstm", {"units": 8, "proj_units": 4, "layer_norm": True}),
        ("gru", {"units": 8, "layer_norm": True}),
        ("gru", {"units": 8, "layer_norm": True, "reset_after": True}),
        ("gru", {"units": 8, "reset_after": False}),
        ("simple_rnn", {"units": 8, "layer_norm": True}),
    ],
)
def test_validate_accepts_a_valid_config(name, arguments):
    layers.spec(name).validate(arguments)
    layers.spec(name).validate(arguments, input_dim=3)


@pytest.mark.parametrize("proj_units", [8, 16])
def test_validate_lstm_proj_units_not_below_units(proj_units):
    arguments = {"units": 8, "proj_units": proj_units}
    with pytest.raises(
        ValueError, match=r"proj_units must be smaller than units"
    ):
        layers.spec("lstm").validate(arguments)


def test_validate_gru_layer_norm_without_reset_after():
    arguments = {"units": 8, "layer_norm": True, "reset_after": False}
    with pytest.raises(
        ValueError, match=r"layer_norm=True needs reset_after=True"
    ):
        layers.spec("gru").validate(arguments)


@pytest.mark.parametrize("name, layer_cls", NAMES.items(), ids=list(NAMES))
def test_tunables_are_constructor_arguments(name, layer_cls):
    parameters = inspect.signature(layer_cls.__init__).parameters
    for tunable in layers.spec(name).tunables:
        assert tunable.name in parameters, (name, tunable.name)
        kind = parameters[tunable.name].kind
        assert kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        )


@pytest.mark.parametrize("name, layer_cls", NAMES.items(), ids=list(NAMES))
def test_tunable_defaults_build_a_working_layer(name, layer_cls):
    found = layers.spec(name)
    arguments = {tunable.name: tunable.default for tunable in found.tunables}
    found.validate(arguments, input_dim=3)
    layer = layer_cls(**arguments)
    x = np.random.default_rng(0).standard_normal((2, 3, 3), "float32")
    output = ops.convert_to_numpy(layer(x))
    assert output.shape == (2, arguments["units"])
    assert np.all(np.isfinite(output))
