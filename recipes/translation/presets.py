"""Pretrained translation models shipped with the package, in `presets/`
(see `recipes.preset_folder`)."""

import os

from recipes.preset_folder import PresetFolder
from recipes.translation.model import Translator

_PRESETS = PresetFolder(
    os.path.join(os.path.dirname(__file__), "presets"),
    Translator,
    "translation",
)


def presets():
    """Names of the shipped presets, sorted.

    >>> from recipes import translation
    >>> isinstance(translation.presets(), list)
    True
    """
    return _PRESETS.names()


def from_preset(name):
    """Loads a pretrained `Translator` by name, offline.

    Args:
        name: a name from `presets()`, or the path of a `.keras` file
            saved by `train()` (its `model.keras`).

    Returns:
        The `Translator`, with its tokenizer.

    >>> model = from_preset("multi30k_de_en_gru")  # doctest: +SKIP
    >>> translate(model, "Ein Hund rennt.")  # doctest: +SKIP
    'A dog is running.'
    """
    return _PRESETS.load(name)


def model_card(name):
    """The model card (Markdown) of a preset."""
    return _PRESETS.model_card(name)
