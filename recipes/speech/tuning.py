"""The speech recipe's search space; the search is `recipes.tuning`'s."""

from recipes import tuning
from recipes.speech import training
from recipes.speech.config import Config
from recipes.speech.presets import from_preset


class HyperModel(tuning.HyperModel):
    """The speech recipe's search space: the knobs every recipe searches
    (see `recipes.tuning.HyperModel`), the mel bins, the filters of the
    convolutional front end (0: none), a bidirectional stack or not, and
    the SpecAugment time and frequency masks.

    Args:
        data: what `train()` takes as `data`. Defaults to `"synthetic"`.
        cells: the layer names searched (None: all). Defaults to `None`.
        **fixed: `Config` settings held fixed in every trial; `task`
            chooses the objectives.

    >>> from recipes.speech import Config, HyperModel
    >>> HyperModel(task="transcribe").objectives(Config(task="transcribe"))
    {'val_wer': 'min', 'val_cer': 'min', 'val_loss': 'min'}
    """

    config = Config
    train = staticmethod(training.train)
    load = staticmethod(from_preset)
    units_range = (64, 512)

    def space(self, hp):
        return {
            "mel_bins": hp.Choice("mel_bins", [40, 64, 80]),
            "conv_filters": hp.Choice("conv_filters", [0, 32, 64]),
            "bidirectional": hp.Boolean("bidirectional", default=True),
            "time_masks": hp.Int("time_masks", 0, 3),
            "frequency_masks": hp.Int("frequency_masks", 0, 3),
        }

    @classmethod
    def objectives(cls, config):
        if config.task == "transcribe":
            return {"val_wer": "min", "val_cer": "min", "val_loss": "min"}
        return {"val_accuracy": "max", "val_loss": "min"}


tune = tuning.recipe_tune(HyperModel)
