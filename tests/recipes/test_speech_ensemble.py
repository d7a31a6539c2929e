"""`SpeechEnsemble` against the mean of its members' probabilities computed
in NumPy, through saving and the recipe's inference, and its bad input."""

import keras
import numpy as np
import pytest

from recipes import speech
from recipes.speech.ensemble import SpeechEnsemble
from recipes.speech.model import SpeechModel
from tests.harness import to_numpy

LABELS = ["no", "off", "yes"]


def _member(seed, labels=LABELS, **options):
    keras.utils.set_random_seed(seed)
    model = SpeechModel(
        list(labels), units=8, num_layers=1, mel_bins=16, seed=0, **options
    )
    model.build()
    return model


def _waves():
    rng = np.random.default_rng(0)
    waves = rng.normal(0, 0.3, (3, 4000)).astype("float32")
    lengths = np.array([4000, 2500, 900], "int32")
    waves[1, 2500:] = 0
    waves[2, 900:] = 0
    return waves, lengths


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@pytest.mark.backend_math
def test_ensemble_is_the_mean_of_its_members_probabilities(tmp_path):
    members = [_member(seed) for seed in (1, 2, 3)]
    ensemble = SpeechEnsemble(members)
    waves, lengths = _waves()
    inputs = (keras.ops.convert_to_tensor(waves), lengths)
    probabilities = [_softmax(to_numpy(member(inputs))) for member in members]
    expected = np.mean(probabilities, axis=0)
    logits = to_numpy(ensemble(inputs))
    assert logits.dtype == np.float32
    np.testing.assert_allclose(_softmax(logits), expected, atol=1e-6)
    # Log-probabilities: their exponentials already sum to one.
    np.testing.assert_allclose(np.exp(logits), expected, atol=1e-6)
    assert len({tuple(np.argmax(p, -1)) for p in probabilities}) > 1, (
        "members should disagree somewhere"
    )

    path = str(tmp_path / "ensemble.keras")
    ensemble.save(path)
    loaded = speech.from_preset(path)
    assert isinstance(loaded, SpeechEnsemble)
    assert loaded.labels == LABELS and loaded.sample_rate == 8000
    assert len(loaded.members) == 3
    np.testing.assert_allclose(to_numpy(loaded(inputs)), logits, atol=1e-5)
    clips = [wave[:n] for wave, n in zip(waves, lengths)]
    best = [LABELS[i] for i in np.argmax(expected, axis=-1)]
    assert speech.predict(loaded, clips) == best


def test_a_single_member_ensemble_predicts_as_its_member():
    member = _member(4)
    waves, lengths = _waves()
    clips = [wave[:n] for wave, n in zip(waves, lengths)]
    assert speech.predict(SpeechEnsemble([member]), clips) == speech.predict(
        member, clips
    )


def test_bad_members():
    with pytest.raises(ValueError, match="non-empty list"):
        SpeechEnsemble([])
    with pytest.raises(ValueError, match="must be a SpeechModel"):
        SpeechEnsemble([_member(1), keras.layers.Dense(3)])
    transcriber = SpeechModel(["1", "2"], task="transcribe", units=8)
    with pytest.raises(ValueError, match="Only classifiers"):
        SpeechEnsemble([transcriber])
    with pytest.raises(ValueError, match="labels of the first"):
        SpeechEnsemble([_member(1), _member(2, labels=["yes", "no", "off"])])
    with pytest.raises(ValueError, match="sample rate"):
        SpeechEnsemble([_member(1), _member(2, sample_rate=16000)])


def test_from_preset_refuses_a_file_of_another_model(tmp_path):
    path = str(tmp_path / "dense.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    with pytest.raises(
        ValueError, match="SpeechModel or SpeechEnsemble. Received: Sequential"
    ):
        speech.from_preset(path)
