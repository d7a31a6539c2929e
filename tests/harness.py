"""A small layer-test harness in the spirit of keras.src.testing's
`run_layer_test` (which is private to Keras)."""

import json

import keras
import numpy as np
from keras import ops


def to_numpy(x):
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    return np.asarray(ops.convert_to_numpy(x))


def assert_close(actual, expected, atol=1e-5, rtol=1e-5):
    actual, expected = to_numpy(actual), to_numpy(expected)
    if isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a, e, atol=atol, rtol=rtol)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    expected_num_trainable_weights,
    expected_num_losses=0,
    run_mixed_precision=True,
):
    """Config round trip, symbolic and eager shapes, weight and loss counts,
    a `fit` step with `jit_compile="auto"` and a `mixed_float16` call."""
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    json.dumps(config)
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(revived) is layer_cls
    assert revived.get_config() == config

    symbolic = layer_cls(**init_kwargs)(keras.KerasTensor(input_shape))
    _assert_shapes(symbolic, expected_output_shape)

    x = np.random.default_rng(0).standard_normal(input_shape, "float32")
    layer = layer_cls(**init_kwargs)
    eager = layer(x)
    _assert_shapes(eager, expected_output_shape)
    assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.losses) == expected_num_losses

    inputs = keras.Input(input_shape[1:], batch_size=input_shape[0])
    outputs = layer_cls(**init_kwargs)(inputs)
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    target = np.zeros(_first(expected_output_shape), "float32")
    history = model.fit(x, target, epochs=1, batch_size=input_shape[0])
    assert np.isfinite(history.history["loss"][0])

    if run_mixed_precision:
        layer = layer_cls(**init_kwargs, dtype="mixed_float16")
        out = _first_tensor(layer(x))
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
        for weight in layer.weights:
            if weight.trainable:
                assert weight.dtype == "float32"


def _first(shape):
    return shape[0] if isinstance(shape[0], (tuple, list)) else shape


def _first_tensor(x):
    return x[0] if isinstance(x, (list, tuple)) else x


def _assert_shapes(output, expected):
    if isinstance(expected[0], (tuple, list)):
        assert len(output) == len(expected)
        for o, e in zip(output, expected):
            assert tuple(o.shape) == tuple(e)
    else:
        assert tuple(output.shape) == tuple(expected)


def round_trip(model, tmp_path):
    """The model saved as `.keras` and loaded back."""
    path = str(tmp_path / "model.keras")
    model.save(path)
    return keras.saving.load_model(path)


def fixed_dropout_masks(monkeypatch, cell, rng):
    """Makes `cell` draw its dropout masks from `rng` and returns the list
    they are appended to, so a reference can apply the same masks."""
    drawn = []

    def dropout_mask(step_input, rate):
        shape = tuple(step_input.shape)
        keep = (rng.random(shape) >= rate).astype("float32") / (1 - rate)
        drawn.append(keep)
        return keras.ops.convert_to_tensor(keep)

    monkeypatch.setattr(cell, "_create_dropout_mask", dropout_mask)
    return drawn
