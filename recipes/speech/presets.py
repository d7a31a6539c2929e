"""Pretrained speech models shipped with the package, in `presets/` (see
`recipes.preset_folder`)."""

import os

from recipes.preset_folder import PresetFolder
from recipes.speech.ensemble import SpeechEnsemble
from recipes.speech.model import SpeechModel

_PRESETS = PresetFolder(
    os.path.join(os.path.dirname(__file__), "presets"),
    (SpeechModel, SpeechEnsemble),
    "speech",
)


def presets():
    """Names of the shipped presets, sorted.

    >>> from recipes import speech
    >>> isinstance(speech.presets(), list)
    True
    """
    return _PRESETS.names()


def from_preset(name):
    """Loads a pretrained `SpeechModel` by name, offline.

    Args:
        name: a name from `presets()`, or the path of a `.keras` file
            saved by `train()` (its `model.keras`).

    Returns:
        The `SpeechModel` (or, for a classifier, possibly a
        `SpeechEnsemble` of them), with its labels; it takes raw
        waveforms.

    >>> model = from_preset("fsdd_digits_gru")  # doctest: +SKIP
    >>> predict(model, ["3_theo_0.wav"])  # doctest: +SKIP
    ['3']
    """
    return _PRESETS.load(name)


def model_card(name):
    """The model card (Markdown) of a preset."""
    return _PRESETS.model_card(name)
