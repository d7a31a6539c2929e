"""Language modelling on any gatedkeras cell, in one line.

>>> from recipes import language_model
>>> result = language_model.train(cell="gru", epochs=2)  # doctest: +SKIP
>>> language_model.generate(result.model, "the ", length=80, seed=0)
... # doctest: +SKIP

`train` (truncated BPTT with the state carried, resumable), `evaluate`
(one contiguous pass), `generate` (step by step, compiled once),
`from_preset` / `presets` (pretrained models shipped with the package).
"""

from recipes.language_model.config import Config
from recipes.language_model.inference import evaluate
from recipes.language_model.inference import generate
from recipes.language_model.model import LanguageModel
from recipes.language_model.presets import from_preset
from recipes.language_model.presets import model_card
from recipes.language_model.presets import presets
from recipes.language_model.training import TrainResult
from recipes.language_model.training import train
from recipes.language_model.tuning import HyperModel
from recipes.language_model.tuning import tune

__all__ = [
    "Config",
    "HyperModel",
    "LanguageModel",
    "TrainResult",
    "evaluate",
    "from_preset",
    "generate",
    "model_card",
    "presets",
    "train",
    "tune",
]
