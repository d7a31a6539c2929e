"""A synthetic multivariate time series: hourly load, solar output and
temperature, with trend, daily and weekly seasons, noise and a regime
change.

The offline default of the time-series recipe: seeded, generated in pure
NumPy in milliseconds. Hour `t` (from midnight, 1 January 2026):

- `temperature` (a covariate): 12 C plus a daily cycle of 6 C peaking at
  3 pm, a slow drift and AR(1) weather noise (coefficient 0.95).
- `solar` (a target): a half-sine between 6 am and 6 pm, 20 at noon on a
  clear day, times a cloud factor in [0.3, 1] that drifts by the hour
  (AR(1) with coefficient 0.95, so today's clouds say more about the
  next hours than yesterday's do); 0 at night.
- `load` (a target): 50 plus a trend of 0.005 per hour, a daily season
  (morning and evening peaks, two harmonics of 24 h), a weekly season
  (weekends 6 lower), 0.4 per degree of temperature above 12 C and AR(1)
  noise (coefficient 0.7, standard deviation 1). At `REGIME_CHANGE` of
  the way through, the level rises by 8 and the daily season grows by
  half: a model must cope with a series whose past is not its future.

The seasonal-naive forecast (the value 24 hours earlier) misses the
weekly season at every Monday and Saturday and doubles the noise, so a
model that reads the recent past can beat it.
"""

import numpy as np
import pandas as pd

# Fraction of the series after which the load's regime changes.
REGIME_CHANGE = 0.6
START = "2026-01-01"
FREQ = "h"
# The daily season, in steps.
SEASON = 24
TARGETS = ("load", "solar")
COVARIATES = ("temperature",)


def frame(length=2400, seed=0):
    """The synthetic series as a DataFrame with an hourly DatetimeIndex.

    Args:
        length: number of hourly steps. Defaults to `2400` (100 days).
        seed: seed of the noise. Defaults to `0`.

    Returns:
        A `pandas.DataFrame` with columns `load`, `solar` and
        `temperature` (float32) and an hourly `DatetimeIndex` starting
        on 1 January 2026.

    >>> from gatedkeras.data import synthetic_series
    >>> data = synthetic_series.frame(48)
    >>> data.shape, str(data.index.freq)
    ((48, 3), '<Hour>')
    """
    if isinstance(length, bool) or not isinstance(length, int) or length < 2:
        raise ValueError(
            f"`length` must be an integer >= 2. Received: length={length!r}"
        )
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype="float64")
    hour = t % 24
    day = (t // 24) % 7
    temperature = (
        12
        + 6 * np.sin(2 * np.pi * (hour - 9) / 24)
        + 3 * np.sin(2 * np.pi * t / (24 * 60))
        + _ar1(rng, length, 0.95, 0.5)
    )
    daylight = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None)
    clouds = np.clip(0.65 + _ar1(rng, length, 0.95, 0.06), 0.3, 1.0)
    solar = 20 * daylight * clouds
    changed = t >= int(REGIME_CHANGE * length)
    daily = 6 * np.sin(2 * np.pi * (hour - 4) / 24) + 4 * np.sin(
        4 * np.pi * (hour - 2) / 24
    )
    load = (
        50
        + 0.005 * t
        + daily * np.where(changed, 1.5, 1.0)
        - 6 * (day >= 5)
        + 0.4 * (temperature - 12)
        + 8 * changed
        + _ar1(rng, length, 0.7, 1.0)
    )
    index = pd.date_range(START, periods=length, freq=FREQ)
    return pd.DataFrame(
        {"load": load, "solar": solar, "temperature": temperature},
        index=index,
        dtype="float32",
    )


def _ar1(rng, length, coefficient, scale):
    # x_t = c x_{t-1} + e_t, started from its stationary distribution.
    noise = rng.normal(0.0, scale, size=length)
    values = np.empty(length)
    values[0] = noise[0] / np.sqrt(1 - coefficient**2)
    for step in range(1, length):
        values[step] = coefficient * values[step - 1] + noise[step]
    return values
