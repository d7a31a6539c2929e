"""The language model's search space; the search is `recipes.tuning`'s."""

from recipes import tuning
from recipes.language_model import training
from recipes.language_model.config import Config
from recipes.language_model.presets import from_preset


class HyperModel(tuning.HyperModel):
    """The language model's search space: the knobs every recipe searches
    (see `recipes.tuning.HyperModel`: the cell and its own arguments,
    units, layers, dropout, learning rate, clipping), the steps of
    truncated backpropagation through time and the embedding width.

    Args:
        data: what `train()` takes as `data`. Defaults to `"synthetic"`.
        cells: the layer names searched (None: all). Defaults to `None`.
        **fixed: `Config` settings held fixed in every trial.

    >>> import keras_tuner
    >>> from recipes.language_model import HyperModel
    >>> hypermodel = HyperModel(cells=["lstm", "gru"], epochs=2)
    >>> hypermodel.build(keras_tuner.HyperParameters()).sequence_length
    32
    """

    config = Config
    train = staticmethod(training.train)
    load = staticmethod(from_preset)
    units_range = (64, 1024)

    def space(self, hp):
        return {
            "sequence_length": hp.Int(
                "sequence_length", 32, 256, step=2, sampling="log"
            ),
            "embedding_dim": hp.Int(
                "embedding_dim", 32, 512, step=2, sampling="log"
            ),
        }

    @classmethod
    def objectives(cls, config):
        objectives = {
            "val_loss": "min",
            "val_perplexity": "min",
            "val_windowed_loss": "min",
        }
        if config.level == "char":
            objectives["val_bits_per_character"] = "min"
        return objectives


tune = tuning.recipe_tune(HyperModel)
