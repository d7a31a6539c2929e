"""Series sources: the synthetic generator, CSV files written here, the
statsmodels series, the checks and the fills, splits by time and
windows."""

import numpy as np
import pandas as pd
import pytest

from gatedkeras.data import series
from gatedkeras.data import synthetic_series


def _csv(tmp_path, frame, name="series.csv"):
    path = tmp_path / name
    frame.to_csv(path, index_label="time")
    return str(path)


def _daily(steps=60, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-01", periods=steps, freq="D")
    return pd.DataFrame(
        {"sales": rng.normal(10, 1, steps), "price": rng.normal(2, 0.1, steps)},
        index=index,
    )


def test_synthetic_series_is_seeded_and_changes_regime():
    a = synthetic_series.frame(480, seed=1)
    assert a.equals(synthetic_series.frame(480, seed=1))
    assert not a.equals(synthetic_series.frame(480, seed=2))
    assert list(a.columns) == ["load", "solar", "temperature"]
    assert (a["solar"] >= 0).all()
    cut = int(synthetic_series.REGIME_CHANGE * 480)
    assert a["load"][cut:].mean() > a["load"][:cut].mean() + 5
    with pytest.raises(ValueError, match="length=1"):
        synthetic_series.frame(1)


def test_splits_are_by_time_and_windows_stay_in_their_split():
    data = series.load("synthetic", valid_fraction=0.1, test_fraction=0.2)
    assert (data.train_end, data.valid_end, data.season) == (1680, 1920, 24)
    values = data.frame[data.columns].to_numpy()
    lookback, horizon = 24, 6
    for split, (first, last) in {
        "train": (0, 1680),
        "valid": (1680, 1920),
        "test": (1920, 2400),
    }.items():
        windows = list(data.windows(split, lookback, horizon, batch_size=500))
        x = np.concatenate([np.asarray(b[0]) for b in windows])
        y = np.concatenate([np.asarray(b[1]) for b in windows])
        assert len(y) == data.count(split, lookback, horizon)
        # The first window's targets start the split, the last end it.
        offset = lookback if first == 0 else 0
        np.testing.assert_allclose(y[0, 0], values[first + offset, :2])
        np.testing.assert_allclose(y[-1, -1], values[last - 1, :2])
        # Inputs reach back `lookback` steps before the split (not before
        # the series).
        start = max(first - lookback, 0)
        np.testing.assert_allclose(x[0], values[start : start + lookback])
        assert x.shape[1:] == (lookback, 3) and y.shape[1:] == (horizon, 2)


def test_shuffled_training_windows_keep_to_the_training_split():
    data = series.load("synthetic")
    seen = [
        np.asarray(y)
        for _, y in data.windows("train", 24, 6, batch_size=256, shuffle=True)
    ]
    train_values = data.frame["load"].to_numpy()[: data.train_end]
    assert np.isin(np.concatenate(seen)[..., 0], train_values).all()


def test_statistics_come_from_the_training_split_only():
    frame = _daily(100)
    base = series.load(frame).statistics()
    frame.iloc[80:] += 1000.0
    assert series.load(frame).statistics() == base


def test_csv_is_read_with_its_time_column_and_frequency(tmp_path):
    path = _csv(tmp_path, _daily())
    data = series.load(path, targets=["sales"], covariates=["price"])
    assert data.columns == ["sales", "price"]
    assert data.freq == "D" and data.season == 7
    assert data.frame.dtypes.eq("float32").all()
    # Without targets, every column but the covariates is one.
    assert series.load(path).targets == ["sales", "price"]


def test_unsorted_or_repeated_timestamps_are_refused(tmp_path):
    frame = _daily()
    shuffled = frame.iloc[[0, 2, 1] + list(range(3, len(frame)))]
    with pytest.raises(ValueError, match="not sorted by time"):
        series.load(_csv(tmp_path, shuffled))
    repeated = pd.concat([frame.iloc[:5], frame.iloc[4:]])
    with pytest.raises(ValueError, match="repeats timestamps"):
        series.load(_csv(tmp_path, repeated))


def test_missing_values_raise_unless_filled(tmp_path):
    frame = _daily()
    frame.iloc[10, 0] = np.nan
    path = _csv(tmp_path, frame)
    with pytest.raises(ValueError, match="missing values.*'sales'"):
        series.load(path)
    filled = series.load(path, fill="interpolate").frame["sales"]
    expected = (frame.iloc[9, 0] + frame.iloc[11, 0]) / 2
    np.testing.assert_allclose(filled.iloc[10], expected, rtol=1e-6)
    carried = series.load(path, fill="ffill").frame["sales"]
    np.testing.assert_allclose(carried.iloc[10], frame.iloc[9, 0], rtol=1e-6)


def test_irregular_timestamps_raise_unless_filled(tmp_path):
    frame = _daily().drop(index=pd.Timestamp("2026-01-11"))
    path = _csv(tmp_path, frame)
    with pytest.raises(ValueError, match="irregular"):
        series.load(path)
    mended = series.load(path, fill="interpolate")
    assert len(mended.frame) == 60 and mended.freq == "D"
    assert not mended.frame.isna().any().any()


def test_non_numeric_column_is_named(tmp_path):
    frame = _daily()
    frame["store"] = "north"
    path = _csv(tmp_path, frame)
    with pytest.raises(ValueError, match="'store' is not numeric"):
        series.load(path)
    # Left out of the targets, it is ignored.
    assert series.load(path, targets=["sales"]).columns == ["sales"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="fill="):
        series.load("synthetic", fill="zero")
    with pytest.raises(ValueError, match="valid_fraction"):
        series.load("synthetic", valid_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="No column"):
        series.load("synthetic", targets=["nope"])
    with pytest.raises(ValueError, match="once"):
        series.load("synthetic", targets=["load"], covariates=["load"])
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        series.load(str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError, match="statsmodels"):
        series.load("statsmodels:nope")
    with pytest.raises(ValueError, match="too short"):
        series.load(_daily(40)).windows("test", 10, 9)
    bad = pd.DataFrame({"time": ["monday", "tuesday", "x"], "y": [1, 2, 3]})
    with pytest.raises(ValueError, match="timestamps"):
        series.load(_csv(tmp_path, bad.set_index("time")))


def test_statsmodels_series_offline():
    pytest.importorskip("statsmodels")
    with pytest.raises(ValueError, match="missing values"):
        series.load("statsmodels:co2")
    co2 = series.load("statsmodels:co2", resample="MS", fill="interpolate")
    assert co2.freq == "MS" and co2.season == 12 and len(co2.frame) == 526
    elnino = series.load("statsmodels:elnino")
    assert elnino.targets == ["temperature"] and len(elnino.frame) == 732
    assert elnino.season == 12
    macro = series.load("statsmodels:macrodata")
    assert macro.season == 4 and macro.targets == ["realgdp"]
