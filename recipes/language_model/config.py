"""The language-model recipe's settings, one field per knob.

Every field is also a flag of `gatedkeras train language-model` (the help
text is the field's `help` metadata), so the command line and `train()`
take exactly the same settings.
"""

import dataclasses
from typing import Optional

from gatedkeras import layers
from gatedkeras.data import text as text_source

BATCHING = ("contiguous", "windows")
SCHEDULES = ("constant", "plateau", "step", "cosine")


def _field(default, help):
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class Config:
    """Settings of `train()`; see each field's help."""

    level: str = _field("char", "'char' or 'word' tokens")
    cell: str = _field("lstm", "recurrent layer, any name of the registry")
    cell_options: dict = dataclasses.field(
        default_factory=dict,
        metadata={
            "help": "further arguments of every recurrent layer, "
            "e.g. layer_norm=true zoneout=0.1"
        },
    )
    units: int = _field(256, "width of each recurrent layer")
    num_layers: int = _field(2, "number of stacked recurrent layers")
    embedding_dim: Optional[int] = _field(
        64, "width of the token embedding (None: units)"
    )
    dropout: float = _field(
        0.0, "dropout on the embedding, between layers and before the softmax"
    )
    tie_weights: Optional[bool] = _field(
        None, "share embedding and softmax weights (None: yes for word level)"
    )
    init_scale: Optional[float] = _field(
        None, "uniform initialisation range, as Zaremba et al. (None: Keras's)"
    )
    max_vocabulary: Optional[int] = _field(
        None, "largest vocabulary, OOV token included (None: all tokens)"
    )
    sequence_length: int = _field(
        128, "steps of backpropagation through time per batch"
    )
    batching: str = _field(
        "contiguous",
        "'contiguous': batch rows are contiguous streams and the state "
        "carries across batches (Zaremba et al.); 'windows': independent "
        "shuffled windows from a zero state",
    )
    batch_size: int = _field(64, "sequences per training step")
    epochs: int = _field(20, "passes over the training text")
    steps_per_epoch: Optional[int] = _field(
        None, "cap on training steps per epoch (None: the whole text)"
    )
    time_budget: Optional[float] = _field(
        None,
        "stop training after this many minutes, at the end of a step "
        "(then validate and save as at an epoch's end; None: no limit)",
    )
    optimizer: str = _field("adam", "any keras.optimizers name (adam, sgd...)")
    learning_rate: float = _field(3e-3, "initial learning rate")
    schedule: str = _field(
        "cosine",
        "'constant', 'plateau' (multiply by decay_factor when validation "
        "stalls), 'step' (multiply by decay_factor every epoch after "
        "decay_after epochs) or 'cosine' (to zero over the run)",
    )
    decay_factor: float = _field(0.5, "learning-rate factor of a decay")
    decay_after: int = _field(
        4,
        "epochs at the full rate ('step'); epochs without progress ('plateau')",
    )
    clipnorm: Optional[float] = _field(
        1.0, "clip the global gradient norm to this (None: no clipping)"
    )
    validation_length: int = _field(
        256, "window length of the per-epoch validation loss"
    )
    dtype_policy: Optional[str] = _field(
        None, "Keras dtype policy, e.g. mixed_bfloat16 (None: float32)"
    )
    jit_compile: str = _field("auto", "'auto', True or False, as Model.fit")
    seed: int = _field(0, "seed of the data order, weights and dropout")
    output_dir: Optional[str] = _field(
        None,
        "where checkpoints, logs and the model go (None: "
        "runs/language_model-<cell>-<time>); an unfinished run there resumes",
    )
    overwrite: bool = _field(
        False, "replace a finished model already in output_dir"
    )
    tensorboard: bool = _field(True, "write TensorBoard logs")
    verbose: str = _field("auto", "Keras progress output: 'auto', 0, 1 or 2")

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raises `ValueError` naming the first setting that is invalid."""
        text_source.check_level(self.level)
        self.cell = layers.spec(self.cell).name
        if not isinstance(self.cell_options, dict):
            raise ValueError(
                "`cell_options` must be a dict. Received: "
                f"cell_options={self.cell_options!r}"
            )
        for name, low in (
            ("units", 1),
            ("num_layers", 1),
            ("sequence_length", 2),
            ("batch_size", 1),
            ("epochs", 1),
            ("decay_after", 0),
            ("validation_length", 2),
        ):
            _check_int(name, getattr(self, name), low)
        for name in ("embedding_dim", "steps_per_epoch", "max_vocabulary"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), 1)
        if not 0 <= self.dropout < 1:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={self.dropout}"
            )
        if self.batching not in BATCHING:
            raise ValueError(
                f"`batching` must be one of {BATCHING}. Received: "
                f"batching={self.batching!r}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"`schedule` must be one of {SCHEDULES}. Received: "
                f"schedule={self.schedule!r}"
            )
        for name in ("learning_rate", "clipnorm", "init_scale", "time_budget"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(
                    f"`{name}` must be a number > 0. Received: {name}={value}"
                )
        if not 0 < self.decay_factor <= 1:
            raise ValueError(
                "`decay_factor` must be in (0, 1]. Received: "
                f"decay_factor={self.decay_factor}"
            )

    @property
    def tied(self):
        if self.tie_weights is None:
            return self.level == "word"
        return self.tie_weights

    def to_dict(self):
        return dataclasses.asdict(self)


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"`{name}` must be an integer >= {low}. Received: {name}={value!r}"
        )


def make(**settings):
    """A `Config` from keyword settings; unknown names raise `ValueError`."""
    fields = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise ValueError(
            f"Unknown language-model settings {unknown}. Known: "
            f"{sorted(fields)}. Received: {settings}"
        )
    return Config(**settings)
