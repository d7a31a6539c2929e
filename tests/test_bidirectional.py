"""`gatedkeras.engine.bidirectional` against the Keras loading bug it
avoids, and the recipe models that build their wrappers with it."""

import keras
import numpy as np
import pytest
from keras.src.saving.serialization_lib import ObjectSharingScope

from gatedkeras import layers
from gatedkeras.engine.bidirectional import wrap_bidirectional
from recipes.speech.model import SpeechModel
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math


def _gru(**kwargs):
    return layers.GRU(4, return_sequences=True, **kwargs)


def test_wrappers_built_while_loading_share_nothing():
    # A loading scope in which a second wrapper's layer has the address of
    # an earlier, freed one: here the same object stands for it.
    layer = _gru()
    with ObjectSharingScope():
        keras.layers.Bidirectional(layer)
        with pytest.raises(ValueError, match="different `go_backwards`"):
            keras.layers.Bidirectional(layer)
    with ObjectSharingScope():
        wrappers = [wrap_bidirectional(layer) for _ in range(3)]
        explicit = [
            wrap_bidirectional(layer, backward_layer=_gru(go_backwards=True))
            for _ in range(3)
        ]
    directions = [
        sublayer
        for wrapper in wrappers + explicit
        for sublayer in (wrapper.forward_layer, wrapper.backward_layer)
    ]
    assert len({id(sublayer) for sublayer in directions}) == len(directions)
    assert len({id(sublayer.cell) for sublayer in directions}) == len(
        directions
    )
    assert [w.backward_layer.go_backwards for w in wrappers] == [True] * 3
    assert [w.forward_layer.go_backwards for w in wrappers] == [False] * 3


def test_a_bidirectional_stack_saves_and_loads(tmp_path):
    model = SpeechModel(
        ["no", "yes"], units=8, num_layers=3, mel_bins=16, seed=0
    )
    model.build()
    waves = np.random.default_rng(0).normal(0, 0.3, (2, 2000))
    inputs = (
        keras.ops.convert_to_tensor(waves.astype("float32")),
        np.array([2000, 1200], "int32"),
    )
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    sublayers = [
        direction
        for wrapper in loaded.recurrent_layers
        for direction in (wrapper.forward_layer, wrapper.backward_layer)
    ]
    assert len({id(direction) for direction in sublayers}) == 6
    np.testing.assert_allclose(
        to_numpy(loaded(inputs)), to_numpy(model(inputs)), atol=1e-5
    )
