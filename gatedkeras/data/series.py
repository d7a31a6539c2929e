"""Time series for forecasting: sources, checks, splits by time, windows.

`load(data)` turns the time-series recipe's `data=` argument into a
`Series`: a regular, gap-free, numeric `pandas.DataFrame` with target
and covariate columns, split by time into train, valid and test. Accepted
`data`:

- `"synthetic"`: hourly load and solar output with temperature as a
  covariate (`synthetic_series`), the offline default.
- `"statsmodels:co2"` (weekly Mauna Loa CO2, 1958-2001, with 59 missing
  weeks), `"statsmodels:elnino"` (monthly Pacific sea-surface
  temperature, 1950-2010) or `"statsmodels:macrodata"` (quarterly US
  macroeconomic series, 1959-2009): real series bundled with statsmodels,
  read offline (`pip install statsmodels`).
- the path of a CSV file: a time column (`time_column`, by default the
  first), then numeric columns, read with `pandas.read_csv`.
- a `pandas.DataFrame` with a `DatetimeIndex` (or a `time_column`).

The series must be sorted by time with no repeated timestamp (else
`ValueError`). Missing values and irregular timestamps (gaps, or steps
of different lengths) also raise `ValueError`, unless `fill` says how to
mend them: `fill="interpolate"` (linear in time) or `fill="ffill"` (carry
the last value forward), after putting the series on a regular grid of
its most common step (the mean of the values that fall in each step).
`resample="MS"` (any pandas offset alias) first aggregates the series to
that step by the mean, as for weekly CO2 read as monthly.

Splits are by time and never mixed: the last `test_fraction` of the
steps test, the `valid_fraction` before them validate, the rest train.
A window's targets lie wholly in one split; its inputs may reach back
into the steps before it, which a forecaster would have seen by then.
"""

import dataclasses
import os

import keras
import numpy as np
import pandas as pd

from gatedkeras.data import synthetic_series

FILL = ("interpolate", "ffill")
SPLITS = ("train", "valid", "test")
STATSMODELS = ("co2", "elnino", "macrodata")
# Seasonal period by the pandas offset's base name.
_SEASONS = {"h": 24, "D": 7, "B": 5, "W": 52, "M": 12, "Q": 4, "min": 60}


@dataclasses.dataclass
class Series:
    """A regular numeric series split by time.

    Args:
        frame: the `pandas.DataFrame`, float32 columns, sorted by time,
            with a regular `DatetimeIndex` (its `freq` set) or a
            `RangeIndex`.
        targets: the columns to forecast.
        covariates: further input columns, observed up to the forecast
            origin.
        season: the seasonal period in steps (1: none).
        train_end: rows `[0, train_end)` train.
        valid_end: rows `[train_end, valid_end)` validate; the rest test.
    """

    frame: pd.DataFrame
    targets: list
    covariates: list
    season: int
    train_end: int
    valid_end: int

    @property
    def columns(self):
        """The model's input columns: the targets, then the covariates."""
        return list(self.targets) + list(self.covariates)

    @property
    def freq(self):
        """The pandas frequency string of the index, or `None`."""
        return getattr(self.frame.index, "freqstr", None)

    def bounds(self, split, lookback=0):
        """`(start, end)` rows of a split's windows: its own rows and the
        `lookback` rows before them."""
        if split not in SPLITS:
            raise ValueError(
                f"`split` must be one of {SPLITS}. Received: split={split!r}"
            )
        end = {
            "train": self.train_end,
            "valid": self.valid_end,
            "test": len(self.frame),
        }[split]
        start = {"train": 0, "valid": self.train_end, "test": self.valid_end}
        return max(0, start[split] - lookback), end

    def statistics(self):
        """Mean and standard deviation of each input column over the
        training split only (a constant column gets 1)."""
        train = self.frame[self.columns].to_numpy("float64")[: self.train_end]
        std = train.std(axis=0)
        std = np.where(std > 1e-8, std, 1.0)
        return train.mean(axis=0).tolist(), std.tolist()

    def naive_scale(self):
        """Per target, the mean absolute error of the seasonal-naive
        forecast (the value `season` steps earlier) over the training
        split: the denominator of MASE (Hyndman and Koehler 2006)."""
        train = self.frame[self.targets].to_numpy("float64")[: self.train_end]
        if len(train) <= self.season:
            raise ValueError(
                "The training split is too short for the seasonal-naive "
                f"scale. Received: {len(train)} training steps, "
                f"season={self.season}"
            )
        errors = np.abs(train[self.season :] - train[: -self.season])
        return np.maximum(errors.mean(axis=0), 1e-8)

    def windows(
        self, split, lookback, horizon, batch_size=64, shuffle=False, seed=0
    ):
        """Windows of a split as a `tf.data.Dataset` of `(inputs,
        targets)`, in original units, made with
        `keras.utils.timeseries_dataset_from_array`.

        Args:
            split: `"train"`, `"valid"` or `"test"`.
            lookback: input steps per window.
            horizon: target steps after them.
            batch_size: windows per batch. Defaults to `64`.
            shuffle: shuffle the split's windows (never across splits).
                Defaults to `False`.
            seed: seed of the shuffle. Defaults to `0`.

        Returns:
            A dataset of float32 `(batch, lookback, len(columns))` inputs
            and `(batch, horizon, len(targets))` targets.
        """
        start, end = self.bounds(split, lookback)
        if end - start < lookback + horizon:
            raise ValueError(
                f"The {split} split is too short for one window of "
                f"lookback + horizon = {lookback + horizon} steps. "
                f"Received: {end - start} steps (with the lookback before "
                "it); use a longer series, shorter windows or other "
                "split fractions"
            )
        values = self.frame[self.columns].to_numpy("float32")
        count = len(self.targets)
        # Cut at `end` rather than pass `end_index`, which Keras requires
        # to be below the data's length.
        data = keras.utils.timeseries_dataset_from_array(
            values[:end],
            None,
            sequence_length=lookback + horizon,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            start_index=start,
        )
        return data.map(lambda w: (w[:, :lookback], w[:, lookback:, :count]))

    def count(self, split, lookback, horizon):
        """Number of windows of a split."""
        start, end = self.bounds(split, lookback)
        return max(0, end - start - lookback - horizon + 1)


def load(
    data="synthetic",
    targets=None,
    covariates=None,
    time_column=None,
    fill=None,
    resample=None,
    season=None,
    valid_fraction=0.1,
    test_fraction=0.2,
):
    """Reads, checks and splits a series.

    Args:
        data: `"synthetic"`, `"statsmodels:<name>"`, a CSV path or a
            `pandas.DataFrame` (see the module). Defaults to
            `"synthetic"`.
        targets: column names to forecast. Defaults to the source's
            (all columns but the covariates for a file).
        covariates: column names read as inputs but not forecast.
            Defaults to the source's (none for a file).
        time_column: the column of timestamps of a CSV file or a
            DataFrame. Defaults to the first column of a file, the index
            of a DataFrame.
        fill: `None` (missing values and irregular steps raise
            `ValueError`), `"interpolate"` or `"ffill"`. Defaults to
            `None`.
        resample: a pandas offset alias (`"MS"`, `"D"`) to aggregate the
            series to by the mean before the checks, or `None`. Defaults
            to `None`.
        season: seasonal period in steps. Defaults to the frequency's
            (24 hourly, 7 daily, 52 weekly, 12 monthly, 4 quarterly).
        valid_fraction: fraction of the steps that validate. Defaults to
            `0.1`.
        test_fraction: fraction of the last steps that test. Defaults to
            `0.2`.

    Returns:
        A `Series`.

    >>> from gatedkeras.data import series
    >>> data = series.load("synthetic")
    >>> data.targets, data.covariates, data.season
    (['load', 'solar'], ['temperature'], 24)
    """
    if fill is not None and fill not in FILL:
        raise ValueError(
            f"`fill` must be None or one of {FILL}. Received: fill={fill!r}"
        )
    for name, value in (
        ("valid_fraction", valid_fraction),
        ("test_fraction", test_fraction),
    ):
        if isinstance(value, bool) or not 0 <= value < 1:
            raise ValueError(
                f"`{name}` must be in [0, 1). Received: {name}={value!r}"
            )
    if valid_fraction + test_fraction >= 1:
        raise ValueError(
            "`valid_fraction + test_fraction` must leave steps to train "
            f"on. Received: valid_fraction={valid_fraction}, "
            f"test_fraction={test_fraction}"
        )
    frame, default_targets, default_covariates = _source(data, time_column)
    covariates = list(
        default_covariates if covariates is None else _names(covariates)
    )
    if targets is None:
        targets = default_targets or [
            c for c in frame.columns if c not in covariates
        ]
    targets = list(_names(targets))
    _check_columns(frame, targets, covariates)
    frame = frame[targets + covariates]
    frame = _check_order(frame)
    if resample is not None:
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise ValueError(
                "`resample` needs timestamps. Received: resample="
                f"{resample!r} for a series indexed by "
                f"{type(frame.index).__name__}"
            )
        frame = frame.resample(resample).mean()
    frame = _regular(frame, fill)
    frame = _complete(frame, fill)
    if season is None:
        season = _season(frame.index)
    if isinstance(season, bool) or not isinstance(season, int) or season < 1:
        raise ValueError(
            f"`season` must be an integer >= 1. Received: season={season!r}"
        )
    steps = len(frame)
    test = int(round(steps * test_fraction))
    valid = int(round(steps * valid_fraction))
    return Series(
        frame.astype("float32"),
        targets,
        covariates,
        season,
        steps - valid - test,
        steps - test,
    )


def read(data, time_column=None, fill=None, resample=None):
    """A source's whole frame, checked and mended as `load` does, with
    every column: what a forecast reads its history from.

    >>> from gatedkeras.data import series
    >>> series.read("synthetic").columns.tolist()
    ['load', 'solar', 'temperature']
    """
    frame, _, _ = _source(data, time_column)
    series = load(
        frame,
        targets=list(frame.columns),
        covariates=[],
        fill=fill,
        resample=resample,
        season=1,
        valid_fraction=0,
        test_fraction=0,
    )
    return series.frame


def _names(value):
    return [value] if isinstance(value, str) else list(value)


def _source(data, time_column):
    """`(frame, default targets, default covariates)` of a source."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        if time_column is not None:
            frame = _time_indexed(frame, time_column)
        return frame, None, []
    if not isinstance(data, (str, os.PathLike)):
        raise ValueError(
            "`data` must be 'synthetic', 'statsmodels:<name>', a CSV path "
            f"or a pandas DataFrame. Received: data={data!r}"
        )
    data = os.fspath(data)
    if data == "synthetic":
        return (
            synthetic_series.frame(),
            list(synthetic_series.TARGETS),
            list(synthetic_series.COVARIATES),
        )
    if data.startswith("statsmodels:"):
        return _statsmodels(data.partition(":")[2])
    if not os.path.isfile(data):
        raise FileNotFoundError(
            f"No such CSV file. Received: data={data!r} (or 'synthetic', "
            f"'statsmodels:<name>' with a name in {STATSMODELS})"
        )
    frame = pd.read_csv(data)
    if frame.shape[1] < 2:
        raise ValueError(
            "A CSV series needs a time column and at least one value "
            f"column. Received: columns={list(frame.columns)} in {data!r}"
        )
    return _time_indexed(frame, time_column or frame.columns[0]), None, []


def _time_indexed(frame, time_column):
    if time_column not in frame.columns:
        raise ValueError(
            f"No time column {time_column!r}. Received: "
            f"columns={list(frame.columns)}"
        )
    try:
        times = pd.to_datetime(frame[time_column])
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"The time column {time_column!r} does not hold timestamps "
            f"({error}). Received: {frame[time_column].head(3).tolist()}"
        ) from None
    return frame.drop(columns=[time_column]).set_index(
        pd.DatetimeIndex(times, name=time_column)
    )


def _statsmodels(name):
    try:
        from statsmodels import datasets
    except ImportError:
        raise ImportError(
            "The statsmodels series need statsmodels: pip install "
            "'statsmodels>=0.14'"
        ) from None
    if name == "co2":
        frame = datasets.co2.load_pandas().data.astype("float64")
        return frame, ["co2"], []
    if name == "elnino":
        wide = datasets.elnino.load_pandas().data
        values = wide.drop(columns=["YEAR"]).to_numpy("float64").ravel()
        start = f"{int(wide['YEAR'].iloc[0])}-01-01"
        index = pd.date_range(start, periods=len(values), freq="MS")
        return pd.DataFrame({"temperature": values}, index=index), None, []
    if name == "macrodata":
        frame = datasets.macrodata.load_pandas().data
        index = pd.date_range("1959-01-01", periods=len(frame), freq="QS")
        frame = frame.drop(columns=["year", "quarter"]).set_index(index)
        return frame.astype("float64"), ["realgdp"], []
    raise ValueError(
        f"Unknown statsmodels series. Known: {list(STATSMODELS)}. "
        f"Received: data='statsmodels:{name}'"
    )


def _check_columns(frame, targets, covariates):
    if not targets:
        raise ValueError(
            f"No target column. Received: targets={targets}, "
            f"columns={list(frame.columns)}"
        )
    names = targets + covariates
    if len(set(names)) != len(names):
        raise ValueError(
            "A column may be a target or a covariate, once. Received: "
            f"targets={targets}, covariates={covariates}"
        )
    unknown = [name for name in names if name not in frame.columns]
    if unknown:
        raise ValueError(
            f"No column {unknown} in the series. Known: "
            f"{list(frame.columns)}. Received: targets={targets}, "
            f"covariates={covariates}"
        )
    for name in names:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            examples = frame[name].dropna().head(3).tolist()
            raise ValueError(
                f"Column {name!r} is not numeric: forecast numeric columns "
                "only, or leave it out of `targets` and `covariates`. "
                f"Received: {name}={examples}"
            )


def _check_order(frame):
    index = frame.index
    if not (
        isinstance(index, pd.DatetimeIndex)
        or pd.api.types.is_integer_dtype(index)
    ):
        raise ValueError(
            "The series needs a DatetimeIndex or an integer index. "
            f"Received: index of type {type(index).__name__}"
        )
    if index.has_duplicates:
        repeated = index[index.duplicated()][:3].tolist()
        raise ValueError(f"The series repeats timestamps. Received: {repeated}")
    if not index.is_monotonic_increasing:
        # The first step that goes back in time.
        back = int(np.argmax(index[1:] < index[:-1]))
        raise ValueError(
            "The series is not sorted by time: sort it first "
            "(DataFrame.sort_index or sort_values). Received: "
            f"{index[back]} before {index[back + 1]}"
        )
    return frame


def _regular(frame, fill):
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        steps = np.diff(index.to_numpy())
        if len(steps) and (steps != steps[0]).any():
            raise ValueError(
                "An integer index must advance by one step. Received: "
                f"steps {sorted(set(steps.tolist()))[:5]}"
            )
        return frame.reset_index(drop=True)
    if len(index) < 3:
        raise ValueError(
            f"A series needs at least 3 steps. Received: {len(index)}"
        )
    freq = index.freq or pd.infer_freq(index)
    if freq is not None:
        return frame.asfreq(freq)
    steps = pd.Series(index[1:] - index[:-1])
    step = steps.mode()[0]
    if fill is None:
        odd = index[1:][(steps != step).to_numpy()][:3]
        raise ValueError(
            "The timestamps are irregular (gaps or uneven steps): mend "
            "them with fill='interpolate' or fill='ffill' (the series is "
            "then put on a regular grid of its most common step, "
            f"{step}), or resample='<alias>'. Received: steps ending at "
            f"{[str(t) for t in odd]} differ from {step}"
        )
    frame = frame.resample(step, origin="start").mean()
    # Name the grid as pandas would ("D" rather than "24h"), for the season.
    return frame.asfreq(pd.infer_freq(frame.index) or step)


def _complete(frame, fill):
    missing = frame.isna().sum()
    if not missing.any():
        return frame
    if fill is None:
        column = missing[missing > 0].index[0]
        first = frame.index[frame[column].isna().to_numpy()][0]
        counts = {k: int(v) for k, v in missing[missing > 0].items()}
        raise ValueError(
            "The series has missing values: pass fill='interpolate' or "
            "fill='ffill' to fill them, or mend the data. Received: "
            f"{counts} missing, the first in "
            f"{column!r} at {first}"
        )
    if fill == "interpolate":
        method = (
            "time" if isinstance(frame.index, pd.DatetimeIndex) else ("linear")
        )
        frame = frame.interpolate(method=method)
    # Leading gaps have nothing before them: the first value fills them.
    return frame.ffill().bfill()


def _season(index):
    freq = getattr(index, "freq", None)
    if freq is None:
        return 1
    base = "".join(ch for ch in freq.name.split("-")[0] if ch.isalpha())
    if getattr(freq, "n", 1) != 1:
        return 1
    for prefix in ("min", "h", "D", "B", "W", "M", "Q"):
        if base.startswith(prefix) or base.rstrip("SE") == prefix:
            return _SEASONS[prefix]
    return 1
