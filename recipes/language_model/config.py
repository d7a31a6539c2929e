"""The language-model recipe's settings: the shared training settings of
`recipes.training_config.TrainingConfig` and the fields below."""

import dataclasses
from typing import Optional

from gatedkeras.data import text as text_source
from recipes.training_config import SCHEDULES  # noqa: F401 (the CLI's)
from recipes.training_config import TrainingConfig
from recipes.training_config import check_int
from recipes.training_config import check_positive
from recipes.training_config import setting

BATCHING = ("contiguous", "windows")


@dataclasses.dataclass
class Config(TrainingConfig):
    """Settings of `train()`; see each field's help."""

    recipe = "language_model"

    level: str = setting("char", "'char' or 'word' tokens")
    embedding_dim: Optional[int] = setting(
        64, "width of the token embedding (None: units)"
    )
    tie_weights: Optional[bool] = setting(
        None, "share embedding and softmax weights (None: yes for word level)"
    )
    init_scale: Optional[float] = setting(
        None, "uniform initialisation range, as Zaremba et al. (None: Keras's)"
    )
    max_vocabulary: Optional[int] = setting(
        None, "largest vocabulary, OOV token included (None: all tokens)"
    )
    sequence_length: int = setting(
        128, "steps of backpropagation through time per batch"
    )
    batching: str = setting(
        "contiguous",
        "'contiguous': batch rows are contiguous streams and the state "
        "carries across batches (Zaremba et al.); 'windows': independent "
        "shuffled windows from a zero state",
    )
    validation_length: int = setting(
        256, "window length of the per-epoch validation loss"
    )

    def validate(self):
        super().validate()
        text_source.check_level(self.level)
        check_int("sequence_length", self.sequence_length, 2)
        if self.embedding_dim is not None:
            check_int("embedding_dim", self.embedding_dim, 1)
        check_int("validation_length", self.validation_length, 2)
        if self.max_vocabulary is not None:
            check_int("max_vocabulary", self.max_vocabulary, 1)
        check_positive("init_scale", self.init_scale)
        if self.batching not in BATCHING:
            raise ValueError(
                f"`batching` must be one of {BATCHING}. Received: "
                f"batching={self.batching!r}"
            )

    @property
    def tied(self):
        if self.tie_weights is None:
            return self.level == "word"
        return self.tie_weights


def make(**settings):
    """A `Config` from keyword settings; unknown names raise `ValueError`."""
    return Config.make(**settings)
