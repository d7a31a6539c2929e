"""Bad arguments and bad inputs raise `ValueError` in the Keras style.

Every message must name the argument (or input) at fault and end with what
was received, `Received: name=value`, so each `match` below checks both.
"""

import re

import keras
import numpy as np
import pytest

from gatedkeras import layers

# Every registered layer, so that each new cell gets these checks for free.
LAYERS = [layers.get(name) for name in layers.names()]
GATED = [layers.LSTM, layers.GRU]
# Arguments some layers need at this small width.
EXTRA = {layers.ClockworkRNN: {"num_modules": 2}}

UNITS = 4
BATCH, TIMESTEPS, FEATURES = 2, 3, 4


def _layer(layer_cls, *args, **kwargs):
    return layer_cls(*args, **{**EXTRA.get(layer_cls, {}), **kwargs})


def _num_states(layer_cls):
    return len(_layer(layer_cls, UNITS).cell.get_initial_state(1))


def _ids(layer_cls):
    return layer_cls.__name__


def _sequences(shape=(BATCH, TIMESTEPS, FEATURES)):
    return np.zeros(shape, "float32")


def _states(count, shape=(BATCH, UNITS)):
    return [np.zeros(shape, "float32") for _ in range(count)]


# Input shapes.


@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_2d_input(layer_cls):
    with pytest.raises(
        ValueError, match=r"3-D input.*Received: inputs\.shape=\(2, 4\)"
    ):
        _layer(layer_cls, UNITS)(_sequences((BATCH, FEATURES)))


@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_4d_input(layer_cls):
    with pytest.raises(
        ValueError, match=r"3-D input.*Received: inputs\.shape=\(2, 3, 4, 1\)"
    ):
        _layer(layer_cls, UNITS)(_sequences((BATCH, TIMESTEPS, FEATURES, 1)))


@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_input_width_differs_from_build(layer_cls):
    layer = _layer(layer_cls, UNITS)
    layer(_sequences())
    with pytest.raises(
        ValueError,
        match=r"4 features.*Received: inputs\.shape=\(2, 3, 5\)",
    ):
        layer(_sequences((BATCH, TIMESTEPS, 5)))


# Constructor arguments.


@pytest.mark.parametrize("units", [0, -3, 2.5])
@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_bad_units(layer_cls, units):
    with pytest.raises(
        ValueError,
        match=rf"`units`.*positive integer.*Received: units={units}",
    ):
        _layer(layer_cls, units)


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout", "zoneout"])
@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_rate_outside_unit_interval(layer_cls, name, value):
    with pytest.raises(
        ValueError,
        match=rf"`{name}`.*\[0, 1\).*Received: {name}={re.escape(str(value))}",
    ):
        _layer(layer_cls, UNITS, **{name: value})


@pytest.mark.parametrize("proj_units", [UNITS, UNITS + 1])
def test_lstm_proj_units_not_below_units(proj_units):
    with pytest.raises(
        ValueError,
        match=rf"`proj_units`.*smaller than `units`.*"
        rf"Received: proj_units={proj_units}",
    ):
        layers.LSTM(UNITS, proj_units=proj_units)


def test_gru_layer_norm_without_reset_after():
    with pytest.raises(
        ValueError,
        match=r"`layer_norm=True` needs `reset_after=True`.*"
        r"Received: layer_norm=True, reset_after=False",
    ):
        layers.GRU(UNITS, layer_norm=True, reset_after=False)


@pytest.mark.parametrize("layer_cls", GATED, ids=_ids)
def test_use_cudnn_not_a_choice(layer_cls):
    with pytest.raises(
        ValueError, match=r"`use_cudnn`.*Received: use_cudnn='maybe'"
    ):
        layer_cls(UNITS, use_cudnn="maybe")


# Masks.


@pytest.mark.parametrize(
    "mask_shape",
    [(BATCH, TIMESTEPS + 2), (BATCH, TIMESTEPS, 1), (BATCH,)],
    ids=["timesteps", "rank3", "rank1"],
)
@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_mask_shape_mismatch(layer_cls, mask_shape):
    mask = np.ones(mask_shape, "bool")
    with pytest.raises(
        ValueError,
        match=r"mask of shape.*Received: mask\.shape="
        + re.escape(str(mask_shape)),
    ):
        _layer(layer_cls, UNITS)(_sequences(), mask=mask)


# Stateful layers.


@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_stateful_without_batch_size(layer_cls):
    inputs = keras.Input(shape=(5, 3))
    with pytest.raises(
        ValueError,
        match=r"stateful=True.*batch size.*"
        r"Received: inputs\.shape=\(None, 5, 3\)",
    ):
        _layer(layer_cls, UNITS, stateful=True)(inputs)


# Initial states.


@pytest.mark.parametrize(
    "layer_cls, count",
    [
        (layers.SimpleRNN, 2),
        (layers.LSTM, 1),
        (layers.LSTM, 3),
        (layers.GRU, 2),
    ],
    ids=["SimpleRNN-2", "LSTM-1", "LSTM-3", "GRU-2"],
)
def test_wrong_number_of_initial_states(layer_cls, count):
    with pytest.raises(
        ValueError, match=rf"initial_state.*Received: .*\b{count}\b"
    ):
        _layer(layer_cls, UNITS)(_sequences(), initial_state=_states(count))


@pytest.mark.parametrize(
    "shape",
    [(BATCH, UNITS + 1), (BATCH + 1, UNITS), (BATCH, UNITS, 1)],
    ids=["width", "batch", "rank"],
)
@pytest.mark.parametrize("layer_cls", LAYERS, ids=_ids)
def test_wrong_initial_state_shape(layer_cls, shape):
    states = _states(_num_states(layer_cls))
    states[0] = np.zeros(shape, "float32")
    with pytest.raises(
        ValueError,
        match=r"initial_state\[0\].*Received: initial_state\[0\]\.shape="
        + re.escape(str(shape)),
    ):
        _layer(layer_cls, UNITS)(_sequences(), initial_state=states)


# cuDNN on a machine without a GPU.


def _has_gpu():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return jax.default_backend() == "gpu"
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(_has_gpu(), reason="checks the CPU-only behaviour")
@pytest.mark.parametrize("layer_cls", GATED, ids=_ids)
def test_use_cudnn_true_without_gpu(layer_cls):
    layer = layer_cls(UNITS, use_cudnn=True)
    if keras.backend.backend() == "torch":
        # PyTorch's fused CPU kernel serves a plain LSTM or GRU.
        output = layer(_sequences())
        assert tuple(output.shape) == (BATCH, UNITS)
        return
    with pytest.raises(
        ValueError, match=r"`use_cudnn=True`.*Received: use_cudnn=True"
    ):
        layer(_sequences())


@pytest.mark.parametrize(
    "layer_cls, kwargs",
    [(layers.LSTM, {"peephole": True}), (layers.GRU, {"layer_norm": True})],
    ids=["LSTM-peephole", "GRU-layer_norm"],
)
def test_use_cudnn_true_for_unfusable_config(layer_cls, kwargs):
    # No fused kernel computes these cells, on any backend or device.
    layer = layer_cls(UNITS, use_cudnn=True, **kwargs)
    with pytest.raises(
        ValueError, match=r"`use_cudnn=True`.*Received: use_cudnn=True"
    ):
        layer(_sequences())
