"""The time-series recipe's settings: the shared training settings of
`recipes.training_config.TrainingConfig`, with defaults for forecasting,
and the fields below."""

import dataclasses
from typing import Optional

from gatedkeras.data import series
from recipes.time_series.model import DECODERS
from recipes.time_series.model import LEVELS
from recipes.time_series.model import check_quantiles
from recipes.training_config import TrainingConfig
from recipes.training_config import check_int
from recipes.training_config import setting

LOSSES = ("mse", "mae")


@dataclasses.dataclass
class Config(TrainingConfig):
    """Settings of `train()`; see each field's help."""

    recipe = "time_series"

    lookback: int = setting(48, "past steps the model reads per forecast")
    horizon: int = setting(12, "future steps forecast at once")
    decoder: str = setting(
        "direct",
        "'direct' (one dense head for every step) or 'autoregressive' (a "
        "recurrent decoder fed its own forecasts; any horizon)",
    )
    quantiles: Optional[list[float]] = setting(
        None,
        "quantile levels to predict with the pinball loss, 0.5 added "
        "(None: point forecasts)",
    )
    loss: str = setting(
        "mae", "point-forecast loss on standardised values: 'mae' or 'mse'"
    )
    level: str = setting(
        "last",
        "'last': forecast relative to each window's last target value; "
        "'none': on the standardised values",
    )
    highway: bool = setting(
        True, "add a linear autoregressive term to the direct head"
    )
    targets: Optional[list[str]] = setting(
        None,
        "columns to forecast (None: the source's, or every column but the "
        "covariates)",
    )
    covariates: Optional[list[str]] = setting(
        None, "further input columns not forecast (None: the source's)"
    )
    time_column: Optional[str] = setting(
        None, "time column of a CSV file (None: its first column)"
    )
    fill: Optional[str] = setting(
        None,
        "mend missing values and irregular steps: 'interpolate' or 'ffill' "
        "(None: they raise an error)",
    )
    resample: Optional[str] = setting(
        None, "pandas offset alias to average the series to first, e.g. MS"
    )
    season: Optional[int] = setting(
        None,
        "seasonal period in steps, for MASE and the naive baseline (None: "
        "from the frequency, e.g. 24 hourly, 12 monthly)",
    )
    valid_fraction: float = setting(
        0.1, "fraction of the steps before the test split that validate"
    )
    test_fraction: float = setting(0.2, "fraction of the last steps that test")
    cell: str = setting("lstm", "recurrent layer, any name of the registry")
    units: int = setting(32, "width of each recurrent layer")
    num_layers: int = setting(1, "depth of the recurrent stack")
    dropout: float = setting(0.0, "dropout between layers and before the head")
    batch_size: int = setting(32, "windows per training step")
    epochs: int = setting(30, "passes over the training windows")
    learning_rate: float = setting(3e-3, "initial learning rate")

    def validate(self):
        super().validate()
        for name in ("lookback", "horizon"):
            check_int(name, getattr(self, name), 1)
        if self.season is not None:
            check_int("season", self.season, 1)
        for name, allowed in (
            ("decoder", DECODERS),
            ("level", LEVELS),
            ("loss", LOSSES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"`{name}` must be one of {allowed}. Received: "
                    f"{name}={getattr(self, name)!r}"
                )
        if self.fill is not None and self.fill not in series.FILL:
            raise ValueError(
                f"`fill` must be None or one of {series.FILL}. Received: "
                f"fill={self.fill!r}"
            )
        # The command line passes list items as text, and a bare
        # `--quantiles` as an empty list.
        self.quantiles = check_quantiles(self.quantiles or None)

    def load_options(self):
        """The arguments of `gatedkeras.data.series.load` these settings
        give."""
        return dict(
            targets=self.targets,
            covariates=self.covariates,
            time_column=self.time_column,
            fill=self.fill,
            resample=self.resample,
            season=self.season,
            valid_fraction=self.valid_fraction,
            test_fraction=self.test_fraction,
        )
