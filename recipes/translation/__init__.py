"""The translation recipe: an attention encoder-decoder on any gated cell.

    from recipes import translation
    result = translation.train(cell="gru", attention="bahdanau")
    translation.translate(result.model, "The big dog sees a cat.")
    translation.evaluate(result.model, "synthetic", split="test")

`train` reads `data=` (`"synthetic"`, a Multi30k-layout folder, a dict of
split files or `"tfds:<name>"`), learns a subword vocabulary shared by both
languages, trains a bidirectional encoder and an attention decoder with
input feeding, and returns the model, its history and its BLEU, chrF and
perplexity. `translate` decodes raw text greedily or by beam search;
`from_preset` loads a pretrained model. Shell: `gatedkeras train
translation ...` and `gatedkeras translate PRESET_OR_PATH "..."`.
"""

from recipes.translation.attention_plot import plot_attention
from recipes.translation.config import Config
from recipes.translation.inference import evaluate
from recipes.translation.inference import translate
from recipes.translation.model import Translator
from recipes.translation.presets import from_preset
from recipes.translation.presets import model_card
from recipes.translation.presets import presets
from recipes.translation.training import TrainResult
from recipes.translation.training import train
from recipes.translation.tuning import HyperModel
from recipes.translation.tuning import tune

__all__ = [
    "Config",
    "HyperModel",
    "TrainResult",
    "Translator",
    "evaluate",
    "from_preset",
    "model_card",
    "plot_attention",
    "presets",
    "train",
    "translate",
    "tune",
]
