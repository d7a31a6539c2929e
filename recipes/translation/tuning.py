"""The translation recipe's search space; the search is
`recipes.tuning`'s."""

from recipes import tuning
from recipes.translation import training
from recipes.translation.config import Config
from recipes.translation.presets import from_preset


class HyperModel(tuning.HyperModel):
    """The translation recipe's search space: the knobs every recipe
    searches (see `recipes.tuning.HyperModel`), the attention (Bahdanau,
    Luong or none), a bidirectional encoder or not, the embedding width and
    label smoothing.

    Args:
        data: what `train()` takes as `data`. Defaults to `"synthetic"`.
        cells: the layer names searched (None: all). Defaults to `None`.
        **fixed: `Config` settings held fixed in every trial.

    >>> import keras_tuner
    >>> from recipes.translation import HyperModel
    >>> hypermodel = HyperModel(cells=["gru"], attention="luong")
    >>> hypermodel.build(keras_tuner.HyperParameters()).attention
    'luong'
    """

    config = Config
    train = staticmethod(training.train)
    load = staticmethod(from_preset)
    units_range = (64, 512)
    layers_range = (1, 2)

    def space(self, hp):
        return {
            # "none" is what Config reads as no attention.
            "attention": hp.Choice("attention", ["bahdanau", "luong", "none"]),
            "bidirectional": hp.Boolean("bidirectional", default=True),
            "embedding_dim": hp.Int(
                "embedding_dim", 64, 512, step=2, sampling="log"
            ),
            "label_smoothing": hp.Float("label_smoothing", 0.0, 0.2, step=0.05),
        }

    @classmethod
    def objectives(cls, config):
        return {
            "val_bleu": "max",
            "val_loss": "min",
            "val_perplexity": "min",
            "val_chrf": "max",
            "val_bleu_tokenized": "max",
        }


tune = tuning.recipe_tune(HyperModel)
