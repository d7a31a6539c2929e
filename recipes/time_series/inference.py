"""Forecasting from a history, and scoring a model on a split.

Scores (Hyndman and Koehler 2006): MAE and RMSE in the series' units,
sMAPE in percent (0 to 200), MASE (each target's MAE divided by the
in-sample MAE of the seasonal-naive forecast on the training split, then
averaged over targets; below 1 beats that naive method's in-sample
error), the MASE of the seasonal-naive forecast itself on the same
windows (`naive_mase`, the bar to clear) and, for quantile models, the
pinball loss averaged over the quantile levels.
"""

import math

import numpy as np
import pandas as pd
from keras import ops

from gatedkeras.data import series as series_source
from recipes.time_series.model import check_quantiles

_BATCH = 256


def forecast(model, history, horizon=None, quantiles=None):
    """Forecasts the next steps after a history, in original units.

    Args:
        model: a `ForecastModel`.
        history: the past, at least `model.lookback` steps, of which the
            last `lookback` are read. A NumPy array `(steps, columns)` or
            `(batch, steps, columns)` with the model's input columns in
            order (`model.columns`: targets, then covariates); or a
            `pandas.DataFrame` with a column of each of those names (other
            columns are ignored), indexed by time.
        horizon: steps to forecast. Defaults to the model's `horizon`; at
            most that for a direct head, any number for an autoregressive
            decoder.
        quantiles: `None` for the point forecast (the median of a
            quantile model), or levels the model was trained on, e.g.
            `[0.1, 0.5, 0.9]`. Defaults to `None`.

    Returns:
        For an array: `(horizon, targets)` (batch first for a batch), with
        a last axis of `len(quantiles)` when quantiles are asked for. For
        a DataFrame: a DataFrame indexed by the next `horizon` timestamps
        (the history's frequency, else the model's), one column per
        target, or `<target>_q<level>` per target and level.

    >>> model = from_preset("elnino_lstm")  # doctest: +SKIP
    >>> forecast(model, history_frame, horizon=6)  # doctest: +SKIP
    """
    horizon = model.horizon if horizon is None else horizon
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, int)
        or (horizon < 1)
    ):
        raise ValueError(
            f"`horizon` must be an integer >= 1. Received: horizon={horizon!r}"
        )
    if model.decoder == "direct" and horizon > model.horizon:
        raise ValueError(
            "A direct model forecasts at most the horizon it was trained "
            f"for ({model.horizon}); train with decoder='autoregressive' "
            f"to forecast further. Received: horizon={horizon}"
        )
    picks = _quantile_positions(model, quantiles)
    frame = isinstance(history, pd.DataFrame)
    values = _history_values(model, history)
    single = values.ndim == 2
    if single:
        values = values[None]
    outputs = _predict(model, values[:, -model.lookback :], horizon)
    if not model.quantiles:
        outputs = outputs[..., None]
    outputs = outputs[..., picks]
    if quantiles is None:
        outputs = outputs[..., 0]
    if single:
        outputs = outputs[0]
    if not frame:
        return outputs
    return _frame(model, history, outputs, quantiles)


def evaluate(model, data="synthetic", split="test", **options):
    """Scores a model's forecasts of every window of a split.

    Args:
        model: a `ForecastModel`.
        data: a `gatedkeras.data.series.Series`, or what
            `gatedkeras.data.series.load` reads (`"synthetic"`,
            `"statsmodels:<name>"`, a CSV path, a DataFrame), with the
            model's targets, covariates and season. Defaults to
            `"synthetic"`.
        split: `"train"`, `"valid"` or `"test"`. Defaults to `"test"`.
        **options: further arguments of `load` (`fill`, `resample`,
            `valid_fraction`, `test_fraction`, `time_column`), which must
            match training for the split to be held out.

    Returns:
        A dict of `mae`, `rmse`, `smape`, `mase`, `naive_mase`,
        `windows` and, for quantile models, `pinball`.

    >>> model = from_preset("elnino_lstm")  # doctest: +SKIP
    >>> evaluate(model, "statsmodels:elnino")["mase"] < 1  # doctest: +SKIP
    True
    """
    if not isinstance(data, series_source.Series):
        options = {
            "targets": model.targets,
            "covariates": model.columns[model.num_targets :],
            "season": model.season,
            **options,
        }
        data = series_source.load(data, **options)
    return score(model, data, split)


def score(model, series, split):
    """The scores of `evaluate` on a loaded `Series`."""
    if list(series.columns) != list(model.columns):
        raise ValueError(
            "The series' columns differ from the model's inputs. "
            f"Received: columns={series.columns}, model "
            f"columns={model.columns}"
        )
    lookback, horizon = model.lookback, model.horizon
    inputs, truth = [], []
    for x, y in series.windows(split, lookback, horizon, batch_size=_BATCH):
        inputs.append(np.asarray(x))
        truth.append(np.asarray(y))
    inputs, truth = np.concatenate(inputs), np.concatenate(truth)
    outputs = _predict(model, inputs, horizon)
    point = outputs[..., model.point_index] if model.quantiles else outputs
    scale = series.naive_scale()
    start, _ = series.bounds(split, lookback)
    origins = start + lookback + np.arange(len(truth))
    naive = _seasonal_naive(series, origins, horizon)
    scores = {
        "mae": float(np.mean(np.abs(truth - point))),
        "rmse": float(np.sqrt(np.mean(np.square(truth - point)))),
        "smape": _smape(truth, point),
        "mase": _mase(truth, point, scale),
        "naive_mase": _mase(truth, naive, scale),
        "windows": int(len(truth)),
    }
    if model.quantiles:
        levels = np.asarray(model.quantiles, "float32")
        error = truth[..., None] - outputs
        scores["pinball"] = float(
            np.mean(np.maximum(levels * error, (levels - 1) * error))
        )
    return scores


def _predict(model, inputs, horizon):
    # Eager calls, batch by batch: a few windows per forecast, and each
    # new horizon or batch shape would be a new graph to trace.
    inputs = np.asarray(inputs, "float32")
    parts = [
        ops.convert_to_numpy(
            model.forecast_steps(inputs[i : i + _BATCH], horizon)
        )
        for i in range(0, len(inputs), _BATCH)
    ]
    outputs = np.concatenate(parts)
    if model.quantiles:
        # Quantiles trained separately can cross; sorting them
        # (rearrangement, Chernozhukov et al. 2010) never raises the
        # pinball loss.
        outputs = np.sort(outputs, axis=-1)
    return outputs


def _seasonal_naive(series, origins, horizon):
    """The value one season (or whole seasons) before each forecast step."""
    values = series.frame[series.targets].to_numpy("float64")
    m = series.season
    steps = np.arange(horizon)
    back = m * np.ceil((steps + 1) / m).astype(int)
    rows = origins[:, None] + steps[None, :] - back[None, :]
    if (rows < 0).any():
        raise ValueError(
            "The seasonal-naive forecast reaches before the series' start. "
            f"Received: season={m}, first origin={int(origins[0])}"
        )
    return values[rows]


def _mase(truth, point, scale):
    per_target = np.mean(np.abs(truth - point), axis=(0, 1)) / scale
    return float(np.mean(per_target))


def _smape(truth, point):
    denominator = np.abs(truth) + np.abs(point)
    ratio = np.divide(
        2 * np.abs(truth - point),
        denominator,
        out=np.zeros_like(denominator, dtype="float64"),
        where=denominator > 0,
    )
    return float(100 * np.mean(ratio))


def _quantile_positions(model, quantiles):
    """Positions of the asked quantile levels among the model's."""
    if quantiles is None:
        return [model.point_index]
    check_quantiles(quantiles)
    if isinstance(quantiles, (int, float)):
        quantiles = [quantiles]
    trained = model.quantiles or [0.5]
    positions = []
    for level in (float(q) for q in quantiles):
        matches = [i for i, q in enumerate(trained) if math.isclose(q, level)]
        if not matches:
            raise ValueError(
                f"The model predicts the quantiles {trained} only; train "
                "with `quantiles` to get others. Received: "
                f"quantiles={list(quantiles)}"
            )
        positions.append(matches[0])
    return positions


def _history_values(model, history):
    if isinstance(history, pd.DataFrame):
        missing = [c for c in model.columns if c not in history.columns]
        if missing:
            raise ValueError(
                f"The history lacks the model's input columns {missing}. "
                f"Received: columns={list(history.columns)}"
            )
        try:
            values = history[model.columns].to_numpy("float32")
        except (TypeError, ValueError):
            raise ValueError(
                "The history's input columns must be numeric. Received: "
                f"dtypes={dict(history[model.columns].dtypes.astype(str))}"
            ) from None
    else:
        values = np.asarray(history, "float32")
    if values.ndim not in (2, 3) or values.shape[-1] != len(model.columns):
        raise ValueError(
            "`history` must be (steps, columns) or (batch, steps, columns) "
            f"with {len(model.columns)} columns {model.columns}. Received: "
            f"shape {values.shape}"
        )
    if values.shape[-2] < model.lookback:
        raise ValueError(
            f"The history must hold at least lookback={model.lookback} "
            f"steps. Received: {values.shape[-2]} steps"
        )
    if not np.isfinite(values[..., -model.lookback :, :]).all():
        raise ValueError(
            "The history's last lookback steps hold missing or infinite "
            "values: fill them first (gatedkeras.data.series.read(..., "
            "fill='interpolate'))."
        )
    return values


def _frame(model, history, outputs, quantiles):
    horizon = outputs.shape[0]
    index = history.index
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or (
            pd.infer_freq(index[-model.lookback :]) if len(index) >= 3 else None
        )
        freq = freq or model.freq
        if freq is None:
            raise ValueError(
                "Cannot tell the time step of the history for the "
                "forecast's index: give it a regular DatetimeIndex. "
                f"Received: index ending {list(index[-3:])}"
            )
        future = pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
        future.name = index.name
    else:
        last = int(index[-1]) if len(index) else -1
        future = pd.RangeIndex(last + 1, last + 1 + horizon)
    if quantiles is None:
        return pd.DataFrame(outputs, index=future, columns=model.targets)
    levels = [float(q) for q in np.atleast_1d(quantiles)]
    columns = [f"{t}_q{q:g}" for t in model.targets for q in levels]
    return pd.DataFrame(
        outputs.reshape(horizon, -1), index=future, columns=columns
    )
