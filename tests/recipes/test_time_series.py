"""The time-series recipe end to end on shrunken settings: it beats the
seasonal-naive forecast on the synthetic series, forecasts in each output
mode from arrays and DataFrames, saves and loads, keeps the training
split's statistics, refuses bad input, ships a preset and runs from the
command line."""

import os

import keras
import numpy as np
import pandas as pd
import pytest

from gatedkeras import cli
from gatedkeras.data import series
from gatedkeras.data import synthetic_series
from recipes import time_series
from recipes.time_series.model import ForecastModel
from tests.harness import to_numpy

# The smallest run that still exercises every part of `train()`.
TINY = {
    "units": 8,
    "lookback": 48,
    "horizon": 12,
    "tensorboard": False,
    "verbose": 0,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Three passes over the synthetic load (temperature as covariate):
    about 8 s on two CPU cores."""
    path = str(tmp_path_factory.mktemp("run") / "load")
    return time_series.train(
        targets=["load"],
        epochs=3,
        learning_rate=1e-2,
        output_dir=path,
        **TINY,
    )


def _model(decoder="direct", quantiles=None, targets=2, **options):
    model = ForecastModel(
        ["load", "solar", "temperature"],
        targets,
        lookback=24,
        horizon=6,
        mean=[50.0, 4.0, 12.0],
        std=[8.0, 5.0, 5.0],
        season=24,
        freq="h",
        decoder=decoder,
        quantiles=quantiles,
        units=4,
        **options,
    )
    model.build()
    return model


def _history(steps=30):
    return synthetic_series.frame(steps)


def test_train_beats_seasonal_naive_then_save_load_forecast(trained):
    metrics = trained.metrics
    assert metrics["test_mase"] < metrics["test_naive_mase"]
    assert metrics["val_mase"] < metrics["val_naive_mase"]
    for name in ("mae", "rmse", "smape", "mase", "windows"):
        assert f"test_{name}" in metrics
    assert os.path.exists(os.path.join(trained.path, "metrics.json"))
    loaded = time_series.from_preset(os.path.join(trained.path, "model.keras"))
    history = _history(100)
    expected = time_series.forecast(trained.model, history)
    found = time_series.forecast(loaded, history)
    pd.testing.assert_frame_equal(found, expected, atol=1e-4)
    assert list(found.columns) == ["load"] and len(found) == 12
    assert found.index[0] == history.index[-1] + pd.Timedelta(hours=1)
    assert found.index.freqstr == "h"
    # Forecasts are in the series' units: the load is near 50, not 0.
    assert 30 < float(found["load"].mean()) < 80


def test_normalisation_is_fitted_on_the_training_split_only(trained):
    data = series.load("synthetic", targets=["load"])
    mean, std = data.statistics()
    np.testing.assert_allclose(trained.model.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(trained.model.std, std, rtol=1e-6)
    whole = data.frame[data.columns].to_numpy("float64")
    # The test split's higher level (the regime change) is not in them.
    assert abs(whole.mean(axis=0)[0] - mean[0]) > 0.5


def test_evaluate_reads_the_model_columns(trained):
    scores = time_series.evaluate(trained.model, "synthetic", split="valid")
    assert scores["mase"] == pytest.approx(trained.metrics["val_mase"])
    assert scores["windows"] == trained.metrics["val_windows"]


@pytest.mark.parametrize(
    "decoder, quantiles",
    [
        ("direct", None),
        ("autoregressive", None),
        ("direct", [0.1, 0.9]),
        ("autoregressive", [0.1, 0.9]),
    ],
)
def test_forecast_shapes_in_each_output_mode(decoder, quantiles, tmp_path):
    model = _model(decoder, quantiles)
    history = _history()
    array = history.to_numpy()
    assert time_series.forecast(model, array).shape == (6, 2)
    assert time_series.forecast(model, np.stack([array] * 3)).shape == (
        3,
        6,
        2,
    )
    assert time_series.forecast(model, array, horizon=3).shape == (3, 2)
    frame = time_series.forecast(model, history)
    assert list(frame.columns) == ["load", "solar"]
    assert frame.index[0] == pd.Timestamp("2026-01-02 06:00")
    if quantiles:
        levels = [0.1, 0.5, 0.9]
        assert time_series.forecast(model, array, quantiles=levels).shape == (
            6,
            2,
            3,
        )
        out = time_series.forecast(model, history, quantiles=[0.1, 0.9])
        assert list(out.columns) == [
            "load_q0.1",
            "load_q0.9",
            "solar_q0.1",
            "solar_q0.9",
        ]
        # Untrained quantiles would cross; forecasts never do.
        spread = time_series.forecast(model, array, quantiles=levels)
        assert (np.diff(spread, axis=-1) >= 0).all()
        median = time_series.forecast(model, array, quantiles=[0.5])[..., 0]
        np.testing.assert_allclose(
            median, time_series.forecast(model, array), rtol=1e-6
        )
    if decoder == "autoregressive":
        assert time_series.forecast(model, array, horizon=9).shape == (9, 2)
    else:
        with pytest.raises(ValueError, match="at most the horizon"):
            time_series.forecast(model, array, horizon=7)
    # One .keras file holds the statistics: the same forecast after loading.
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(
        time_series.forecast(loaded, array),
        time_series.forecast(model, array),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.backend_math
@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
def test_saved_quantile_model_forecasts_alike(decoder, tmp_path):
    """The small model of each head, through a `.keras` file, on the
    backend under test (the shape tests above run on TensorFlow only:
    eager JAX is slow on them)."""
    model = ForecastModel(
        ["y", "x"],
        1,
        lookback=8,
        horizon=3,
        mean=[5.0, 1.0],
        std=[2.0, 1.0],
        decoder=decoder,
        quantiles=[0.2],
        units=4,
    )
    history = np.random.default_rng(0).normal(5, 2, (8, 2))
    out = time_series.forecast(model, history, quantiles=[0.2, 0.5])
    assert out.shape == (3, 1, 2)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(
        time_series.forecast(loaded, history, quantiles=[0.2, 0.5]),
        out,
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.backend_math
@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
def test_a_layer_that_stacks_itself_is_built_as_deep_as_asked(decoder):
    model = _model(decoder, cell="depth_gated_lstm", num_layers=2)
    stacks = [model.encoder]
    if decoder == "autoregressive":
        stacks.append(model.decoder_layers)
    for stack in stacks:
        assert [layer.num_layers for layer in stack] == [2]
    forecast = time_series.forecast(model, _history().to_numpy())
    assert forecast.shape == (6, 2) and np.all(np.isfinite(forecast))


def test_forecast_is_in_original_units():
    """A model whose network outputs zero forecasts the last value
    (`level="last"`) or the training mean (`level="none"`)."""
    history = _history().to_numpy()
    for level, expected in (("last", history[-1, :2]), ("none", [50, 4])):
        model = _model(level=level, highway=False)
        model.head.kernel.assign(np.zeros(model.head.kernel.shape))
        model.head.bias.assign(np.zeros(model.head.bias.shape))
        out = time_series.forecast(model, history)
        np.testing.assert_allclose(out, np.tile(expected, (6, 1)), rtol=1e-5)


def test_autoregressive_quantile_training_reports_the_pinball_loss(tmp_path):
    result = time_series.train(
        decoder="autoregressive",
        quantiles=[0.1, 0.9],
        epochs=1,
        steps_per_epoch=2,
        output_dir=str(tmp_path / "run"),
        **{**TINY, "lookback": 24, "horizon": 3},
    )
    assert result.model.quantiles == [0.1, 0.5, 0.9]
    assert result.metrics["test_pinball"] > 0
    assert to_numpy(result.model(np.zeros((1, 24, 3)))).shape == (1, 3, 2, 3)


def test_bad_input_is_refused():
    model = _model(quantiles=[0.1, 0.9])
    history = _history()
    with pytest.raises(ValueError, match="at least lookback=24"):
        time_series.forecast(model, history.iloc[:10])
    with pytest.raises(ValueError, match="lacks the model's input columns"):
        time_series.forecast(model, history[["load"]])
    with pytest.raises(ValueError, match="3 columns"):
        time_series.forecast(model, np.zeros((30, 2)))
    broken = history.copy()
    broken.iloc[-1, 0] = np.nan
    with pytest.raises(ValueError, match="missing"):
        time_series.forecast(model, broken)
    with pytest.raises(ValueError, match="predicts the quantiles"):
        time_series.forecast(model, history, quantiles=[0.25])
    with pytest.raises(ValueError, match="horizon=0"):
        time_series.forecast(model, history, horizon=0)
    with pytest.raises(ValueError, match="decoder="):
        time_series.Config(decoder="recursive")
    with pytest.raises(ValueError, match="quantiles="):
        time_series.Config(quantiles=[1.5])
    with pytest.raises(ValueError, match="lookback=0"):
        time_series.Config(lookback=0)
    with pytest.raises(ValueError, match="fill="):
        time_series.Config(fill="zeros")
    with pytest.raises(ValueError, match="Unknown time-series settings"):
        time_series.train(lookbak=10)
    with pytest.raises(ValueError, match="first columns"):
        ForecastModel(["a", "b"], ["b"], 4, 2, [0, 0], [1, 1])


def test_preset_loads_and_forecasts():
    assert "elnino_lstm" in time_series.presets()
    model = time_series.from_preset("elnino_lstm")
    assert "MASE" in time_series.model_card("elnino_lstm")
    rng = np.random.default_rng(0)
    index = pd.date_range("2000-01-01", periods=48, freq="MS")
    months = np.arange(48) % 12
    history = pd.DataFrame(
        {
            "temperature": 24
            + 2 * np.cos(2 * np.pi * (months - 2) / 12)
            + rng.normal(0, 0.3, 48)
        },
        index=index,
    )
    out = time_series.forecast(model, history)
    assert out.index[0] == pd.Timestamp("2004-01-01")
    assert len(out) == model.horizon
    assert 18 < float(out["temperature"].mean()) < 30


def test_command_line_train_and_forecast(tmp_path, capsys):
    """Trains on a CSV file with a missing value (filled on request), a
    covariate and quantiles, then forecasts from it."""
    csv = str(tmp_path / "series.csv")
    frame = synthetic_series.frame(600)
    frame.iloc[100, 0] = np.nan
    frame.to_csv(csv, index_label="time")
    run = str(tmp_path / "run")
    flags = ["--units", "4", "--lookback", "24", "--horizon", "6"]
    flags += ["--epochs", "1", "--steps-per-epoch", "2"]
    flags += ["--no-tensorboard", "--verbose", "0"]
    status = cli.main(
        ["train", "time-series", "--data", csv, "--output-dir", run]
        + ["--targets", "load", "--covariates", "temperature"]
        + ["--fill", "interpolate", "--quantiles", "0.1", "0.9"]
        + flags
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "test_mase:" in out and run in out
    # The history's missing value is an error unless filled.
    assert cli.main(["forecast", run, "--data", csv]) == 2
    assert "missing values" in capsys.readouterr().err
    forecast = ["forecast", run, "--data", csv, "--fill", "interpolate"]
    assert cli.main(forecast + ["--quantiles", "0.1", "0.9"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "time,load_q0.1,load_q0.9" and len(lines) == 7
    assert lines[1].startswith("2026-01-26 00:00:00,")
    written = str(tmp_path / "forecast.csv")
    assert cli.main(forecast + ["--output", written]) == 0
    assert len(pd.read_csv(written)) == 6
    assert cli.main(["forecast", run]) == 2
    assert "--data" in capsys.readouterr().err
    status = cli.main(
        [
            "train",
            "time-series",
            "--output-dir",
            run + "2",
            "--decoder",
            "direct",
            "--lookback",
            "0",
        ]
    )
    assert status == 2
    assert "lookback" in capsys.readouterr().err
