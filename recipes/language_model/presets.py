"""Pretrained language models shipped with the package, in `presets/`
(see `recipes.preset_folder`)."""

import os

from recipes.language_model.model import LanguageModel
from recipes.preset_folder import PresetFolder

_PRESETS = PresetFolder(
    os.path.join(os.path.dirname(__file__), "presets"),
    LanguageModel,
    "language-model",
)


def presets():
    """Names of the shipped presets, sorted.

    >>> from recipes import language_model
    >>> "shakespeare_char_lstm" in language_model.presets()
    True
    """
    return _PRESETS.names()


def from_preset(name):
    """Loads a pretrained `LanguageModel` by name, offline.

    Args:
        name: a name from `presets()`, or the path of a `.keras` file
            saved by `train()` (its `model.keras`).

    Returns:
        The `LanguageModel`, with its tokenizer, in the current dtype
        policy's variable dtype.

    >>> model = from_preset("shakespeare_char_lstm")  # doctest: +SKIP
    >>> generate(model, "ROMEO:", length=100, seed=0)  # doctest: +SKIP
    """
    return _PRESETS.load(name)


def model_card(name):
    """The model card (Markdown) of a preset."""
    return _PRESETS.model_card(name)
