"""The time-series recipe's search space; the search is
`recipes.tuning`'s."""

from recipes import tuning
from recipes.time_series import training
from recipes.time_series.config import Config
from recipes.time_series.presets import from_preset


class HyperModel(tuning.HyperModel):
    """The time-series recipe's search space: the knobs every recipe
    searches (see `recipes.tuning.HyperModel`), the lookback, the decoder
    (direct or autoregressive), the point loss and the linear highway.

    Args:
        data: what `train()` takes as `data`. Defaults to `"synthetic"`.
        cells: the layer names searched (None: all). Defaults to `None`.
        **fixed: `Config` settings held fixed in every trial.

    >>> import keras_tuner
    >>> from recipes.time_series import HyperModel
    >>> hypermodel = HyperModel(cells=["gru"], lookback=48)
    >>> hypermodel.build(keras_tuner.HyperParameters()).lookback
    48
    """

    config = Config
    train = staticmethod(training.train)
    load = staticmethod(from_preset)
    units_range = (16, 256)

    def space(self, hp):
        return {
            "lookback": hp.Int("lookback", 12, 192, step=2, sampling="log"),
            "decoder": hp.Choice("decoder", ["direct", "autoregressive"]),
            "loss": hp.Choice("loss", ["mae", "mse"]),
            "highway": hp.Boolean("highway", default=True),
        }

    @classmethod
    def objectives(cls, config):
        objectives = {
            "val_mase": "min",
            "val_mae": "min",
            "val_rmse": "min",
            "val_smape": "min",
        }
        if config.quantiles:
            objectives["val_pinball"] = "min"
        return objectives


tune = tuning.recipe_tune(HyperModel)
