"""The time-series recipe: multi-step forecasting of multivariate series
with any gated cell, in the series' own units.

    from recipes import time_series
    result = time_series.train(cell="gru", lookback=48, horizon=12)
    time_series.forecast(result.model, history_frame)   # a DataFrame out
    time_series.evaluate(result.model, "synthetic")     # MAE ... MASE
    result = time_series.train(data="statsmodels:co2", resample="MS",
                               fill="interpolate", lookback=36,
                               quantiles=[0.1, 0.9])

`train` reads `data=` (`"synthetic"`, `"statsmodels:<name>"`, a CSV file
or a DataFrame; see `gatedkeras.data.series`), splits it by time,
standardises with the training split's statistics and trains a model that
keeps them, so a saved model forecasts raw values. Shell: `gatedkeras
train time-series ...` and `gatedkeras forecast PRESET_OR_PATH --data
history.csv`.
"""

from recipes.time_series.config import Config
from recipes.time_series.inference import evaluate
from recipes.time_series.inference import forecast
from recipes.time_series.inference import score
from recipes.time_series.model import ForecastModel
from recipes.time_series.presets import from_preset
from recipes.time_series.presets import model_card
from recipes.time_series.presets import presets
from recipes.time_series.training import TrainResult
from recipes.time_series.training import train
from recipes.time_series.tuning import HyperModel
from recipes.time_series.tuning import tune

__all__ = [
    "Config",
    "ForecastModel",
    "HyperModel",
    "TrainResult",
    "evaluate",
    "forecast",
    "from_preset",
    "model_card",
    "presets",
    "score",
    "train",
    "tune",
]
