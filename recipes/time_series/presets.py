"""Pretrained forecasters shipped with the package, in `presets/` (see
`recipes.preset_folder`)."""

import os

from recipes.preset_folder import PresetFolder
from recipes.time_series.model import ForecastModel

_PRESETS = PresetFolder(
    os.path.join(os.path.dirname(__file__), "presets"),
    ForecastModel,
    "time-series",
)


def presets():
    """Names of the shipped presets, sorted.

    >>> from recipes import time_series
    >>> "elnino_lstm" in time_series.presets()
    True
    """
    return _PRESETS.names()


def from_preset(name):
    """Loads a pretrained `ForecastModel` by name, offline.

    Args:
        name: a name from `presets()`, or the path of a `.keras` file
            saved by `train()` (its `model.keras`).

    Returns:
        The `ForecastModel`, with its normalisation statistics; it takes
        and returns values in the series' own units.

    >>> from recipes import time_series
    >>> model = time_series.from_preset("elnino_lstm")
    >>> model.targets, model.lookback, model.horizon
    (['temperature'], 36, 12)
    """
    return _PRESETS.load(name)


def model_card(name):
    """The model card (Markdown) of a preset."""
    return _PRESETS.model_card(name)
