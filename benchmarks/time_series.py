"""Time-series recipe against statistical forecasters on real series.

    nice -n 10 python benchmarks/time_series.py            # co2 and elnino
    nice -n 10 python benchmarks/time_series.py --series elnino

Two monthly series bundled with statsmodels, read offline: Mauna Loa CO2
(weekly, 59 missing weeks; averaged to months with `resample="MS"`, the
months with no reading interpolated, `fill="interpolate"`) and El Nino
sea-surface temperature (1950-2010). Each is split by time: the last 20%
of the months test, the 10% before them validate, the rest train.

Every method forecasts 12 months from every origin of the test split
(rolling origin, one window per month), from the same 36 months of
history, and is scored by MASE on the same windows with the same scale
(the seasonal-naive in-sample error on the training split):

- the recipe: a small grid (LSTM or GRU, with or without the linear
  highway) trained with seed 0, the best chosen by validation MASE, then
  trained again with seeds 1 and 2: the mean and range of the three test
  MASEs;
- Holt-Winters (additive trend and season; damped or not, chosen on
  validation) and SARIMA (three orders, chosen on validation), statsmodels'
  state-space models fitted on the training split only; at each origin the
  fitted parameters filter the history up to it (`results.apply`) and
  forecast 12 steps;
- the seasonal-naive forecast (the value 12 months before).

Nothing is chosen on the test split. A finished recipe run in
`runs/time_series/<name>` is read back rather than trained again.
"""

import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np

from gatedkeras.data import series as series_source
from recipes import time_series

SERIES = {
    "co2": {"data": "statsmodels:co2", "resample": "MS", "fill": "interpolate"},
    "elnino": {"data": "statsmodels:elnino"},
}
LOOKBACK, HORIZON, SEASON = 36, 12, 12
SPLIT = {"valid_fraction": 0.1, "test_fraction": 0.2}
RECIPE = {"units": 16, "epochs": 30, "batch_size": 16, "learning_rate": 3e-3}
GRID = [
    {"cell": cell, "highway": highway}
    for cell in ("lstm", "gru")
    for highway in (True, False)
]
SARIMA_ORDERS = [
    ((1, 0, 1), (0, 1, 1, SEASON)),
    ((1, 1, 1), (0, 1, 1, SEASON)),
    ((2, 1, 0), (0, 1, 1, SEASON)),
]


def recipe_run(name, options, runs, **settings):
    """Trains (or reads back) one recipe run; returns its metrics."""
    path = os.path.join(runs, name)
    finished = os.path.join(path, "metrics.json")
    if os.path.exists(finished):
        with open(finished) as f:
            return json.load(f)
    return time_series.train(
        lookback=LOOKBACK,
        horizon=HORIZON,
        output_dir=path,
        tensorboard=False,
        verbose=0,
        **options,
        **SPLIT,
        **RECIPE,
        **settings,
    ).metrics


def origins(data, split):
    """The forecast origin (first forecast row) of every window."""
    start, _ = data.bounds(split, LOOKBACK)
    return start + LOOKBACK + np.arange(data.count(split, LOOKBACK, HORIZON))


def rolling_mase(results, data, split):
    """MASE of 12-step forecasts from every origin of a split, with the
    parameters fitted on the training split."""
    values = data.frame[data.targets[0]].to_numpy("float64")
    errors = []
    for origin in origins(data, split):
        fitted = results.apply(values[:origin])
        guess = np.asarray(fitted.forecast(HORIZON))
        errors.append(np.abs(values[origin : origin + HORIZON] - guess))
    return float(np.mean(errors) / data.naive_scale()[0])


def statistical(data):
    """Validation-chosen Holt-Winters and SARIMA: {method: (setting,
    valid MASE, test MASE)}."""
    from statsmodels.tsa.statespace.exponential_smoothing import (
        ExponentialSmoothing,
    )
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    train = data.frame[data.targets[0]].to_numpy("float64")[: data.train_end]
    candidates = {
        "Holt-Winters": [
            (
                f"damped={damped}",
                lambda damped=damped: ExponentialSmoothing(
                    train, trend=True, damped_trend=damped, seasonal=SEASON
                ),
            )
            for damped in (False, True)
        ],
        "SARIMA": [
            (
                f"{order}x{seasonal}",
                lambda order=order, seasonal=seasonal: SARIMAX(
                    train, order=order, seasonal_order=seasonal
                ),
            )
            for order, seasonal in SARIMA_ORDERS
        ],
    }
    table = {}
    for method, options in candidates.items():
        best = None
        for setting, build in options:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results = build().fit(disp=False)
                valid = rolling_mase(results, data, "valid")
            if best is None or valid < best[1]:
                best = (setting, valid, results)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test = rolling_mase(best[2], data, "test")
        table[method] = (best[0], best[1], test)
    return table


def benchmark(name, runs, seeds):
    options = SERIES[name]
    data = series_source.load(
        options["data"],
        season=SEASON,
        **{k: v for k, v in options.items() if k != "data"},
        **SPLIT,
    )
    started = time.time()
    grid = []
    for settings in GRID:
        tag = f"{name}-{settings['cell']}-highway{int(settings['highway'])}"
        metrics = recipe_run(f"{tag}-s0", options, runs, seed=0, **settings)
        grid.append((metrics["val_mase"], tag, settings, metrics))
    _, tag, chosen, first = min(grid, key=lambda row: row[0])
    tests = [first["test_mase"]]
    for seed in range(1, seeds):
        metrics = recipe_run(
            f"{tag}-s{seed}", options, runs, seed=seed, **chosen
        )
        tests.append(metrics["test_mase"])
    recipe_seconds = time.time() - started
    rows = [
        (
            f"recipe: {chosen['cell']}, highway={chosen['highway']}",
            first["val_mase"],
            statistics.mean(tests),
            f"{min(tests):.3f}-{max(tests):.3f} ({len(tests)} seeds)",
        )
    ]
    for _, other_tag, settings, metrics in sorted(grid, key=lambda r: r[0]):
        if other_tag != tag:
            rows.append(
                (
                    f"  (grid) {settings['cell']}, "
                    f"highway={settings['highway']}",
                    metrics["val_mase"],
                    metrics["test_mase"],
                    "seed 0",
                )
            )
    started = time.time()
    for method, (setting, valid, test) in statistical(data).items():
        rows.append((f"{method} ({setting})", valid, test, "fitted once"))
    rows.append(
        (
            "seasonal naive",
            first["val_naive_mase"],
            first["test_naive_mase"],
            "",
        )
    )
    print(
        f"\n### {name}: {len(data.frame)} months, train {data.train_end}, "
        f"valid {data.valid_end - data.train_end}, test "
        f"{len(data.frame) - data.valid_end} ({first['test_windows']} "
        f"test windows); recipe {recipe_seconds:.0f} s, statistical "
        f"{time.time() - started:.0f} s\n"
    )
    print("| method | valid MASE | test MASE | spread |")
    print("|---|---|---|---|")
    for method, valid, test, spread in rows:
        print(f"| {method} | {valid:.3f} | {test:.3f} | {spread} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--series", nargs="+", choices=sorted(SERIES), default=sorted(SERIES)
    )
    parser.add_argument("--runs", default=os.path.join("runs", "time_series"))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    for name in args.series:
        benchmark(name, args.runs, args.seeds)


if __name__ == "__main__":
    main()
