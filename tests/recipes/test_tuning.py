"""Tuning: every recipe's tuner runs two tiny trials, the best settings
train again, a stopped search resumes, Hyperband sizes its trials, bad
input is refused, the command line tunes, and a chief with two workers
share one oracle.

The recipe runs are tiny (8 units, one layer, two steps): they check the
plumbing, not the quality of the models. Where a test checks only the
search (resume, Hyperband, the chief and its workers, the shell), each
trial's `train()` is replaced by a stand-in that scores the learning rate,
so it costs nothing.
"""

import csv
import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
import types

import keras
import keras_tuner
import numpy as np
import pytest

from gatedkeras import cli
from gatedkeras import layers
from recipes import language_model
from recipes import speech
from recipes import time_series
from recipes import translation

QUIET = {"epochs": 1, "steps_per_epoch": 2, "tensorboard": False, "verbose": 0}
# The smallest run of each recipe, the same in every trial.
TINY = {
    "language_model": {
        "units": 8,
        "num_layers": 1,
        "embedding_dim": 8,
        "sequence_length": 8,
        "batch_size": 4,
        "validation_length": 16,
    },
    "translation": {
        "units": 8,
        "num_layers": 1,
        "embedding_dim": 8,
        "batch_size": 16,
        "vocabulary_size": 64,
        "beam_width": 1,
        "evaluation_pairs": 8,
    },
    "speech": {
        "units": 8,
        "num_layers": 1,
        "conv_filters": 8,
        "mel_bins": 16,
        "batch_size": 16,
    },
    "time_series": {
        "units": 8,
        "num_layers": 1,
        "lookback": 24,
        "horizon": 6,
        "batch_size": 16,
        "decoder": "direct",
    },
}
RECIPES = {
    "language_model": language_model,
    "translation": translation,
    "speech": speech,
    "time_series": time_series,
}


def _text(size, seed=0):
    """`size` characters of lines of random words."""
    rng = np.random.default_rng(seed)
    words = "the cat dog saw sees ran near with and a old red".split()
    lines = [" ".join(rng.choice(words, 6)) for _ in range(size // 20)]
    return "\n".join(lines)[:size] + "\n"


def _fake_train(data="synthetic", **settings):
    """A stand-in for a recipe's `train()`: scores the learning rate."""
    rate = settings["learning_rate"]
    return types.SimpleNamespace(metrics={"val_mase": rate, "epochs": 1})


@pytest.fixture
def fake_train(monkeypatch):
    calls = []

    def train(data="synthetic", **settings):
        calls.append(settings)
        return _fake_train(data, **settings)

    monkeypatch.setattr(time_series.HyperModel, "train", staticmethod(train))
    return calls


def _check_search(result, module, directory, capsys):
    """Two completed trials, their table in the result and the CSV, plain
    best settings and the printed summary."""
    name, direction = result.objective
    assert name in module.HyperModel.objectives(module.Config())
    assert [row["status"] for row in result.table] == ["COMPLETED"] * 2
    scores = [row[name] for row in result.table]
    assert all(np.isfinite(scores))
    best = min(scores) if direction == "min" else max(scores)
    assert result.best_score == pytest.approx(best)
    with open(os.path.join(directory, "trials.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [row["trial"] for row in rows] == [r["trial"] for r in result.table]
    settings = result.best_hyperparameters
    assert {"cell", "learning_rate", "clipnorm", "dropout"} <= set(settings)
    # Plain values only: what `train(**settings)` and JSON take.
    assert json.loads(json.dumps(settings)) == settings
    assert "Best settings" in capsys.readouterr().out


# The time-series recipe's search is checked, and trained again, below.
@pytest.mark.parametrize("recipe", ["language_model", "speech", "translation"])
def test_each_recipe_tunes_two_tiny_trials(recipe, tmp_path, capsys):
    module = RECIPES[recipe]
    directory = str(tmp_path / "search")
    data = "synthetic"
    if recipe == "language_model":
        # A short text: the synthetic corpus's long validation pass and
        # probes would take most of the time.
        data = str(tmp_path / "text.txt")
        with open(data, "w") as f:
            f.write(_text(4000))
    result = module.tune(
        data=data,
        tuner="random",
        max_trials=2,
        directory=directory,
        cells=["gru", "lstm"],
        **TINY[recipe],
        **QUIET,
    )
    _check_search(result, module, directory, capsys)
    assert result.best_hyperparameters["cell"] in ("gru", "lstm")


def test_time_series_best_settings_train_again_to_the_same_score(
    tmp_path, capsys
):
    directory = str(tmp_path / "search")
    result = time_series.tune(
        tuner="bayesian",
        max_trials=2,
        directory=directory,
        cells=["gru", "min_gru"],
        **TINY["time_series"],
        **QUIET,
    )
    _check_search(result, time_series, directory, capsys)
    again = time_series.train(
        output_dir=str(tmp_path / "again"), **result.best_hyperparameters
    )
    assert again.metrics["val_mase"] == pytest.approx(
        result.best_score, rel=1e-4
    )
    model = result.best_model
    assert isinstance(model, time_series.ForecastModel)
    assert model.count_params() == again.model.count_params()


def test_a_stopped_search_resumes_and_overwrite_starts_over(
    tmp_path, monkeypatch
):
    calls = []

    def stopped_at_the_second_trial(data="synthetic", **settings):
        calls.append(settings)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return _fake_train(data, **settings)

    monkeypatch.setattr(
        time_series.HyperModel,
        "train",
        staticmethod(stopped_at_the_second_trial),
    )
    options = dict(
        tuner="random",
        max_trials=3,
        directory=str(tmp_path / "search"),
        cells=["gru"],
        epochs=1,
    )
    with pytest.raises(KeyboardInterrupt):
        time_series.tune(**options)
    assert len(calls) == 2
    result = time_series.tune(**options)
    # The interrupted trial runs again with its own settings; the finished
    # one does not.
    assert len(calls) == 4
    assert calls[2]["output_dir"] == calls[1]["output_dir"]
    assert calls[2]["learning_rate"] == calls[1]["learning_rate"]
    assert [row["trial"] for row in result.table] == ["0", "1", "2"]
    # A larger max_trials extends a finished search.
    result = time_series.tune(**{**options, "max_trials": 4})
    assert len(calls) == 5
    assert len(result.table) == 4
    # A resumed search must keep its settings.
    with pytest.raises(ValueError, match="other settings"):
        time_series.tune(**{**options, "cells": ["lstm"]})
    result = time_series.tune(**{**options, "max_trials": 1}, overwrite=True)
    assert len(result.table) == 1
    assert len(calls) == 6


def test_hyperband_is_sized_by_epochs_and_factor(tmp_path, fake_train):
    directory = str(tmp_path / "search")
    result = time_series.tune(
        tuner="hyperband", directory=directory, cells=["gru"], epochs=3
    )
    # max_epochs 3, factor 3: a bracket of 3 one-epoch trials and the best
    # at 3 epochs, then 2 trials at 3 epochs.
    epochs = sorted(call["epochs"] for call in fake_train)
    assert epochs == [1, 1, 1, 3, 3, 3]
    assert len(result.table) == 6
    assert result.best_hyperparameters["epochs"] in (1, 3)
    capped = time_series.tune(
        tuner="hyperband",
        max_trials=2,
        directory=directory + "-capped",
        cells=["gru"],
        epochs=3,
    )
    assert len(capped.table) == 2


def test_fixed_settings_are_not_searched(tmp_path, fake_train):
    result = time_series.tune(
        tuner="random",
        max_trials=2,
        directory=str(tmp_path / "search"),
        cell="lstm",
        units=16,
        clipnorm=None,
        cell_options={"zoneout": 0.1},
        epochs=1,
    )
    for call in fake_train:
        assert call["cell"] == "lstm"
        assert call["units"] == 16
        assert call["clipnorm"] is None
        assert call["cell_options"]["zoneout"] == 0.1
    assert {row["units"] for row in result.table} == {16}
    assert "cell.zoneout" not in result.table[0]
    assert result.best_hyperparameters["clipnorm"] is None


def test_every_cell_and_its_options_are_in_the_space():
    hypermodel = language_model.HyperModel()
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    space = {item.name: item for item in hp.space}
    assert list(space["cell"].values) == layers.names()
    assert {"cell.zoneout", "cell.peephole", "cell.num_modules"} <= set(space)
    assert {"sequence_length", "learning_rate", "clipnorm"} <= set(space)
    # The recipe's own depth sets the Depth-Gated LSTM's; not searched twice.
    assert "cell.num_layers" not in space
    # A cell's own argument is active only with that cell.
    hp.values["cell"] = "gru"
    assert not hp.is_active("cell.peephole")
    hp.values["cell"] = "lstm"
    assert hp.is_active("cell.peephole")


def test_bad_input_is_refused(tmp_path):
    directory = str(tmp_path / "search")
    with pytest.raises(ValueError, match="Received: tuner='grid'"):
        time_series.tune(tuner="grid", directory=directory)
    with pytest.raises(ValueError, match="Unknown time-series settings"):
        time_series.tune(directory=directory, widht=3)
    with pytest.raises(ValueError, match="Unknown gatedkeras layer"):
        time_series.tune(directory=directory, cell="transformer")
    with pytest.raises(ValueError, match="Unknown gatedkeras layer"):
        time_series.tune(directory=directory, cells=["gru", "nope"])
    with pytest.raises(ValueError, match="does not report the objective"):
        time_series.tune(directory=directory, objective="val_bleu")
    with pytest.raises(ValueError, match="does not report the objective"):
        speech.tune(directory=directory, objective="val_wer")
    with pytest.raises(ValueError, match="set by the search"):
        time_series.tune(directory=directory, output_dir="elsewhere")
    with pytest.raises(ValueError, match="Received: max_trials=0"):
        time_series.tune(directory=directory, max_trials=0)
    with pytest.raises(ValueError, match="Received: units=0"):
        time_series.tune(directory=directory, units=0)
    assert not os.path.exists(directory)


def test_command_line_tunes(tmp_path, fake_train, capsys):
    directory = str(tmp_path / "search")
    status = cli.main(
        [
            "tune",
            "time-series",
            "--tuner",
            "random",
            "--max-trials",
            "2",
            "--directory",
            directory,
            "--cells",
            "gru",
            "min_gru",
            "--epochs",
            "1",
            "--cell-option",
            "zoneout=0.1",
        ]
    )
    assert status == 0
    output = capsys.readouterr().out
    assert "Best val_mase" in output
    assert len(fake_train) == 2
    assert {call["epochs"] for call in fake_train} == {1}
    assert {call["cell_options"]["zoneout"] for call in fake_train} == {0.1}
    assert os.path.exists(os.path.join(directory, "trials.csv"))
    status = cli.main(["tune", "time-series", "--objective", "val_bleu"])
    assert status == 2
    assert "does not report the objective" in capsys.readouterr().err


# A worker of the distributed test: its trials wait for the other worker to
# start one (so both take part, whatever their start-up times), then score
# the learning rate; it prints the trials it ran.
WORKER = textwrap.dedent(
    """
    import json, os, sys, time, types
    from recipes import time_series

    barrier, directory = sys.argv[1], sys.argv[2]
    ran = []

    def train(data="synthetic", **settings):
        ran.append(os.path.basename(os.path.dirname(settings["output_dir"])))
        me = os.environ["KERASTUNER_TUNER_ID"]
        open(os.path.join(barrier, me), "w").close()
        deadline = time.time() + 60
        while len(os.listdir(barrier)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        rate = settings["learning_rate"]
        return types.SimpleNamespace(metrics={"val_mase": rate})

    time_series.HyperModel.train = staticmethod(train)
    result = time_series.tune(
        tuner="random", max_trials=4, directory=directory, cells=["gru"],
        epochs=1,
    )
    print("RAN " + json.dumps(ran))
    """
)


BACKEND = "jax" if importlib.util.find_spec("jax") else keras.backend.backend()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chief_and_two_workers_share_one_oracle(tmp_path):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    directory = str(tmp_path / "search")
    port = str(_free_port())
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    processes = {}
    try:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            env = dict(
                os.environ,
                # The stand-in trials need no backend in particular, and
                # JAX starts faster than TensorFlow.
                KERAS_BACKEND=BACKEND,
                KERASTUNER_TUNER_ID=tuner_id,
                KERASTUNER_ORACLE_IP="127.0.0.1",
                KERASTUNER_ORACLE_PORT=port,
                PYTHONPATH=root,
            )
            processes[tuner_id] = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(barrier), directory],
                env=env,
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        ran = {}
        for tuner_id in ("tuner0", "tuner1"):
            output, _ = processes[tuner_id].communicate(timeout=240)
            assert processes[tuner_id].returncode == 0, output
            line = [x for x in output.splitlines() if x.startswith("RAN ")]
            ran[tuner_id] = json.loads(line[-1][4:])
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    # Each worker ran trials, none twice, and together the four the one
    # oracle (the chief's) created and recorded.
    assert ran["tuner0"] and ran["tuner1"]
    assert not set(ran["tuner0"]) & set(ran["tuner1"])
    everything = sorted(ran["tuner0"] + ran["tuner1"])
    assert everything == ["trial_0", "trial_1", "trial_2", "trial_3"]
    values = []
    for name in everything:
        with open(os.path.join(directory, name, "trial.json")) as f:
            trial = json.load(f)
        assert trial["status"] == "COMPLETED"
        values.append(trial["hyperparameters"]["values"]["learning_rate"])
    assert len(set(values)) == 4
