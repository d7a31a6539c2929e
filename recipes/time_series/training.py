"""`train()`: the series, its statistics, the forecaster, resume.

A run keeps everything in its output folder, as every recipe does
(`recipes.run_folder`): `model.keras` (the best validation checkpoint,
written atomically), `backup/` (`keras.callbacks.BackupAndRestore`:
calling `train()` again with the same folder resumes where the run
stopped), `logs/` (TensorBoard), `statistics.json` (the training split's
mean and standard deviation, kept when a run resumes), `config.json` and,
when it ends, `metrics.json`.
"""

import dataclasses
import math
import time

import keras
from keras import ops

from gatedkeras.data import series as series_source
from recipes import callbacks as recipe_callbacks
from recipes import distribution
from recipes import optimization
from recipes import run_folder
from recipes.time_series import inference
from recipes.time_series.config import Config
from recipes.time_series.model import ForecastModel


@dataclasses.dataclass
class TrainResult:
    """What `train()` returns.

    Args:
        model: the `ForecastModel` with the best validation weights.
        history: per-epoch logs, as `keras.callbacks.History.history`.
        metrics: `val_*` and `test_*` scores from `evaluate` (MAE, RMSE,
            sMAPE, MASE, the seasonal-naive forecast's MASE on the same
            windows, pinball loss with quantiles), the training time and
            the epochs run.
        path: the run's output folder.
    """

    model: ForecastModel
    history: dict
    metrics: dict
    path: str


def train(data="synthetic", cell="lstm", lookback=48, horizon=12, **settings):
    """Trains a recurrent forecaster on a multivariate series.

    Args:
        data: `"synthetic"` (the package's generated hourly series, the
            offline default), `"statsmodels:co2"`, `"statsmodels:elnino"`,
            `"statsmodels:macrodata"`, a CSV file or a DataFrame; see
            `gatedkeras.data.series`. Defaults to `"synthetic"`.
        cell: any name in `gatedkeras.layers.names()`. Defaults to
            `"lstm"`.
        lookback: past steps read per forecast. Defaults to `48`.
        horizon: future steps forecast. Defaults to `12`.
        **settings: any field of `Config` (targets, covariates, fill,
            resample, season, decoder, quantiles, loss, level, highway,
            units, num_layers, dropout, batch_size, epochs,
            learning_rate, valid_fraction, test_fraction, seed,
            output_dir, ...).

    Returns:
        A `TrainResult` with `model`, `history`, `metrics` and `path`.

    >>> result = train(epochs=1, units=8)  # doctest: +SKIP
    >>> result.metrics["test_mase"]  # doctest: +SKIP
    """
    config = Config.make(
        cell=cell, lookback=lookback, horizon=horizon, **settings
    )
    started = time.time()
    with config.scope():
        return _train(data, config, started)


@keras.saving.register_keras_serializable(package="gatedkeras")
class ForecastTrainer(keras.Model):
    """Trains a `ForecastModel` without making it the compiled model, so
    its checkpoints carry no optimizer state; the loss is taken on values
    standardised with the model's statistics, so targets of different
    scales weigh alike.

    Args:
        forecast_model: the `ForecastModel`.
        loss_name: `"mae"` or `"mse"` for point forecasts (quantile
            models use the pinball loss). Defaults to `"mae"`.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(self, forecast_model, loss_name="mae", **kwargs):
        super().__init__(**kwargs)
        self.forecast_model = forecast_model
        self.loss_name = loss_name

    def build(self, input_shape=None):
        if not self.forecast_model.built:
            self.forecast_model.build()
        self.built = True

    def call(self, inputs, training=False):
        return self.forecast_model(inputs, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        model = self.forecast_model
        count = model.num_targets
        mean = ops.convert_to_tensor(model.mean[:count], "float32")
        std = ops.convert_to_tensor(model.std[:count], "float32")
        truth = (ops.cast(y, "float32") - mean) / std
        if model.quantiles:
            guess = (ops.cast(y_pred, "float32") - mean[:, None]) / std[:, None]
            error = truth[..., None] - guess
            levels = ops.convert_to_tensor(model.quantiles, "float32")
            losses = ops.maximum(levels * error, (levels - 1.0) * error)
        else:
            error = truth - (ops.cast(y_pred, "float32") - mean) / std
            if self.loss_name == "mse":
                losses = ops.square(error)
            else:
                losses = ops.abs(error)
        # The mean over the global batch, as this replica's share of it
        # under a strategy.
        loss = distribution.global_mean(ops.sum(losses), ops.size(losses))
        for extra in self.losses:
            extra = distribution.replica_share(ops.sum(extra))
            loss = loss + ops.cast(extra, loss.dtype)
        return loss


def _train(data, config, started):
    splits = series_source.load(data, **config.load_options())
    path = run_folder.prepare(config, ["statistics.json"])
    statistics = run_folder.cached(
        path,
        "statistics.json",
        lambda: _Statistics(*splits.statistics()),
        lambda saved: _Statistics(saved["mean"], saved["std"]),
    )
    with config.distribution_scope():
        model = ForecastModel(
            splits.columns,
            splits.targets,
            lookback=config.lookback,
            horizon=config.horizon,
            mean=statistics.mean,
            std=statistics.std,
            season=splits.season,
            freq=splits.freq,
            decoder=config.decoder,
            quantiles=config.quantiles,
            level=config.level,
            highway=config.highway,
            cell=config.cell,
            units=config.units,
            num_layers=config.num_layers,
            dropout=config.dropout,
            cell_options=config.cell_options,
        )
        windows = dict(
            lookback=config.lookback,
            horizon=config.horizon,
            batch_size=config.batch_size,
        )
        train_data = splits.windows(
            "train", shuffle=True, seed=config.seed, **windows
        )
        valid_data = splits.windows("valid", **windows)
        trainer = ForecastTrainer(model, loss_name=config.loss)
        trainer.build()
        steps = config.steps_per_epoch or math.ceil(
            splits.count("train", config.lookback, config.horizon)
            / config.batch_size
        )
        trainer.compile(
            optimizer=optimization.optimizer(config, steps * config.epochs),
            jit_compile=config.fit_jit_compile,
        )
        history = recipe_callbacks.fit(
            trainer, config, path, model, train_data, valid_data
        )
    metrics = {}
    for name, prefix in (("valid", "val"), ("test", "test")):
        if splits.count(name, config.lookback, config.horizon):
            scores = inference.score(model, splits, name)
            metrics.update({f"{prefix}_{k}": v for k, v in scores.items()})
    run_folder.finish(path, metrics, history, started, steps)
    return TrainResult(model, history.history, metrics, path)


@dataclasses.dataclass
class _Statistics:
    # `run_folder.cached` keeps what has `get_config`.
    mean: list
    std: list

    def get_config(self):
        return {"mean": self.mean, "std": self.std}
