"""The settings every recipe's training shares, one field per knob.

A recipe's `Config` subclasses `TrainingConfig`, adds its own fields and
may redefine a shared one to change its default. Every field is also a flag
of `gatedkeras train <recipe>` (the help text is the field's `help`
metadata), so the command line and `train()` take exactly the same
settings.
"""

import contextlib
import copy
import dataclasses
import typing
from typing import ClassVar
from typing import Optional

import keras

from gatedkeras import layers
from recipes import distribution

SCHEDULES = ("constant", "plateau", "step", "cosine")


def setting(default, help):
    """A settings field with its one-line help."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class TrainingConfig:
    """Settings shared by the recipes' `train()`; see each field's help."""

    # The folder name of a run without `output_dir`: runs/<recipe>-<cell>-...
    recipe: ClassVar[str] = "recipe"

    cell: str = setting("lstm", "recurrent layer, any name of the registry")
    cell_options: dict = dataclasses.field(
        default_factory=dict,
        metadata={
            "help": "further arguments of every recurrent layer, "
            "e.g. layer_norm=true zoneout=0.1"
        },
    )
    units: int = setting(256, "width of each recurrent layer")
    num_layers: int = setting(2, "depth of the recurrent stack")
    dropout: float = setting(
        0.0, "dropout on the embedding, between layers and before the softmax"
    )
    batch_size: int = setting(64, "sequences per training step")
    epochs: int = setting(20, "passes over the training data")
    steps_per_epoch: Optional[int] = setting(
        None, "cap on training steps per epoch (None: all the data)"
    )
    time_budget: Optional[float] = setting(
        None,
        "stop training after this many minutes, at the end of a step "
        "(then validate and save as at an epoch's end; None: no limit)",
    )
    optimizer: str = setting("adam", "any keras.optimizers name (adam, sgd...)")
    learning_rate: float = setting(3e-3, "initial learning rate")
    schedule: str = setting(
        "cosine",
        "'constant', 'plateau' (multiply by decay_factor when validation "
        "stalls), 'step' (multiply by decay_factor every epoch after "
        "decay_after epochs) or 'cosine' (to zero over the run)",
    )
    decay_factor: float = setting(0.5, "learning-rate factor of a decay")
    decay_after: int = setting(
        4,
        "epochs at the full rate ('step'); epochs without progress ('plateau')",
    )
    clipnorm: Optional[float] = setting(
        1.0, "clip the global gradient norm to this (None: no clipping)"
    )
    dtype_policy: Optional[str] = setting(
        None, "Keras dtype policy, e.g. mixed_bfloat16 (None: float32)"
    )
    jit_compile: str = setting("auto", "'auto', True or False, as Model.fit")
    seed: int = setting(0, "seed of the data order, weights and dropout")
    output_dir: Optional[str] = setting(
        None,
        "where checkpoints, logs and the model go (None: "
        "runs/<recipe>-<cell>-<time>); an unfinished run there resumes",
    )
    overwrite: bool = setting(
        False, "replace a finished model already in output_dir"
    )
    tensorboard: bool = setting(True, "write TensorBoard logs")
    verbose: str = setting("auto", "Keras progress output: 'auto', 0, 1 or 2")
    distribute: Optional[str] = setting(
        None,
        "train on several devices: 'mirrored', 'multi_worker_mirrored' or "
        "'tpu' (TensorFlow backend), 'data_parallel' (JAX); batch_size is "
        "then the global batch (None: one device; from Python also a "
        "tf.distribute.Strategy or keras.distribution.DataParallel)",
    )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raises `ValueError` naming the first setting that is invalid."""
        for field in dataclasses.fields(self):
            # One name where a list of names is asked for is a list of one.
            value = getattr(self, field.name)
            if isinstance(value, str) and _takes_a_list(field.type):
                setattr(self, field.name, [value])
        self.cell = layers.spec(self.cell).name
        if not isinstance(self.cell_options, dict):
            raise ValueError(
                "`cell_options` must be a dict. Received: "
                f"cell_options={self.cell_options!r}"
            )
        for name, low in (
            ("units", 1),
            ("num_layers", 1),
            ("batch_size", 1),
            ("epochs", 1),
            ("decay_after", 0),
        ):
            check_int(name, getattr(self, name), low)
        if self.steps_per_epoch is not None:
            check_int("steps_per_epoch", self.steps_per_epoch, 1)
        check_rate("dropout", self.dropout)
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"`schedule` must be one of {SCHEDULES}. Received: "
                f"schedule={self.schedule!r}"
            )
        for name in ("learning_rate", "clipnorm", "time_budget"):
            check_positive(name, getattr(self, name))
        distribution.check(self.distribute)
        if not 0 < self.decay_factor <= 1:
            raise ValueError(
                "`decay_factor` must be in (0, 1]. Received: "
                f"decay_factor={self.decay_factor}"
            )

    def to_dict(self):
        """The settings as JSON-able values; a strategy or distribution
        object is recorded by its class name."""
        settings = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "distribute":
                value = distribution.describe(value)
            settings[field.name] = copy.deepcopy(value)
        return settings

    def distribution_scope(self):
        """`recipes.distribution.scope` of `distribute` and `batch_size`:
        the recipes build, compile and fit their models inside it."""
        return distribution.scope(self.distribute, self.batch_size)

    @property
    def fit_jit_compile(self):
        """`jit_compile` for `compile`: "true"/"false" read as booleans."""
        value = self.jit_compile
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value

    @property
    def fit_verbose(self):
        """`verbose` for `fit`: digits read as an int."""
        value = self.verbose
        return int(value) if str(value).isdigit() else value

    @contextlib.contextmanager
    def scope(self):
        """Seeds Keras and sets the dtype policy for a run, then puts the
        global dtype policy back."""
        keras.utils.set_random_seed(self.seed)
        policy = keras.config.dtype_policy()
        if self.dtype_policy:
            keras.config.set_dtype_policy(self.dtype_policy)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(policy)

    @classmethod
    def make(cls, **settings):
        """A config from keyword settings; unknown names raise
        `ValueError`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - fields)
        if unknown:
            raise ValueError(
                f"Unknown {cls.recipe.replace('_', '-')} settings {unknown}. "
                f"Known: "
                f"{sorted(fields)}. Received: {settings}"
            )
        return cls(**settings)


def _takes_a_list(annotation):
    """Whether a field annotated `annotation` (`list[str]`,
    `Optional[list[str]]`) holds a list."""
    kinds = (annotation, *typing.get_args(annotation))
    return any(
        kind is list or typing.get_origin(kind) is list for kind in kinds
    )


def check_int(name, value, low):
    """Raises `ValueError` unless `value` is an integer >= `low`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"`{name}` must be an integer >= {low}. Received: {name}={value!r}"
        )


def check_rate(name, value, upper=1):
    """Raises `ValueError` unless `value` is a number in [0, `upper`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"`{name}` must be a number in [0, {upper}). "
            f"Received: {name}={value!r}"
        )
    if not 0 <= value < upper:
        raise ValueError(
            f"`{name}` must be in [0, {upper}). Received: {name}={value!r}"
        )


def check_positive(name, value):
    """Raises `ValueError` unless `value` is `None` or a number > 0."""
    if value is not None and not value > 0:
        raise ValueError(
            f"`{name}` must be a number > 0. Received: {name}={value}"
        )
