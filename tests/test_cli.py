"""Tests of `gatedkeras train language-model` and `gatedkeras generate`
(`gatedkeras.cli`), on a language model small enough to train in seconds."""

import contextlib
import dataclasses
import io
import os
import subprocess
import sys
import types

import pytest

from gatedkeras import cli
from recipes import language_model
from recipes.language_model.config import Config

TEXT = (
    "the cat sat on the mat. the dog ate the bone. a bird sang in the tree.\n"
    * 43
)

# Sizes small enough to train and sample in seconds on a 2-core CPU.
TINY_FLAGS = [
    "--units=8",
    "--num-layers=1",
    "--sequence-length=8",
    "--batch-size=4",
    "--epochs=1",
    "--validation-length=8",
    "--no-tensorboard",
    "--verbose=0",
]


def _main(argv):
    """`cli.main(argv)`: its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny `train language-model` run on a small text file."""
    folder = tmp_path_factory.mktemp("language_model")
    data = folder / "text.txt"
    data.write_text(TEXT)
    assert 2900 < len(TEXT) < 3100
    output_dir = folder / "run"
    status, out, err = _main(
        [
            "train",
            "language-model",
            f"--data={data}",
            *TINY_FLAGS,
            f"--output-dir={output_dir}",
            "--cell-option",
            "zoneout=0.1",
            "--sample-length=20",
        ]
    )
    return types.SimpleNamespace(
        status=status, out=out, err=err, path=str(output_dir)
    )


@pytest.fixture
def captured(monkeypatch):
    """Replaces the recipe's `train` by one that records its arguments."""
    calls = []

    def train(data, **settings):
        calls.append(dict(data=data, **settings))
        return language_model.TrainResult(
            model=None,
            history={},
            metrics={"val_loss": 1.5, "epochs": 1},
            path="runs/x",
        )

    monkeypatch.setattr(language_model, "train", train)
    return calls


# --- train language-model: flags ------------------------------------------


def test_train_help_lists_every_setting(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "language-model", "--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        if field.type is dict:
            flag = flag.removesuffix("s")  # one KEY=VALUE per flag
        assert flag == cli.setting_flag(field)
        assert flag in out, field.name
    for flag in ("--data", "--sample-length", "--prompt", "--temperature"):
        assert flag in out
    assert "--no-tensorboard" in out
    # The help text and default of a setting.
    assert "width of each recurrent layer (default: 256)" in out
    assert "(default: synthetic)" in out


def test_train_needs_a_recipe(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train"])
    assert raised.value.code == 2
    assert "language-model" in capsys.readouterr().err


def test_train_defaults_are_the_configs(captured):
    status, out, _ = _main(["train", "language-model", "--sample-length=0"])
    assert status == 0
    (settings,) = captured
    assert settings.pop("data") == "synthetic"
    assert settings == Config().to_dict()


def test_train_settings_reach_the_recipe_typed(captured):
    status, out, _ = _main(
        [
            "train",
            "language-model",
            "--data=corpus.txt",
            "--cell=GRU",
            "--level=word",
            "--units=8",
            "--embedding-dim=none",
            "--dropout=0.25",
            "--tie-weights=false",
            "--max-vocabulary=50",
            "--clipnorm=None",
            "--dtype-policy=mixed_bfloat16",
            "--cell-option=zoneout=0.1",
            "--cell-option",
            "layer_norm=true",
            "--cell-option=depth=3",
            "--cell-option=activation=relu",
            "--no-tensorboard",
            "--overwrite",
            "--jit-compile=false",
            "--verbose=0",
            "--sample-length=0",
        ]
    )
    assert status == 0
    (settings,) = captured
    assert set(settings) == {"data"} | {
        field.name for field in dataclasses.fields(Config)
    }
    expected = dict(
        data="corpus.txt",
        cell="gru",
        level="word",
        units=8,
        embedding_dim=None,
        dropout=0.25,
        tie_weights=False,
        max_vocabulary=50,
        clipnorm=None,
        dtype_policy="mixed_bfloat16",
        cell_options=dict(
            zoneout=0.1, layer_norm=True, depth=3, activation="relu"
        ),
        tensorboard=False,
        overwrite=True,
        jit_compile="false",
        verbose="0",
    )
    for name, value in expected.items():
        assert settings[name] == value, name
        assert type(settings[name]) is type(value), name
    # Config takes what the command line passes.
    del settings["data"]
    Config(**settings)
    # The metrics, sorted, then the output folder.
    assert out.index("epochs: 1") < out.index("val_loss: 1.5")
    assert out.rstrip().endswith("output: runs/x")


@pytest.mark.parametrize(
    "flag, name, value",
    [
        ("--tie-weights=true", "tie_weights", True),
        ("--tie-weights=NONE", "tie_weights", None),
        ("--steps-per-epoch=7", "steps_per_epoch", 7),
        ("--init-scale=0.05", "init_scale", 0.05),
        ("--output-dir=none", "output_dir", None),
        ("--output-dir=runs/a", "output_dir", "runs/a"),
        ("--tensorboard", "tensorboard", True),
        ("--cell-option=note=not json", "cell_options", {"note": "not json"}),
        ("--cell-option=a=1=2", "cell_options", {"a": "1=2"}),
    ],
)
def test_train_parses_each_kind_of_setting(captured, flag, name, value):
    status, _, _ = _main(["train", "language-model", flag, "--sample-length=0"])
    assert status == 0
    assert captured[0][name] == value
    assert type(captured[0][name]) is type(value)


# --- train language-model: bad input --------------------------------------


def test_train_rejects_unknown_cell(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "language-model", "--cell", "transformer"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "'transformer'" in err
    for name in ("lstm", "gru", "min_gru"):
        assert name in err


@pytest.mark.parametrize(
    "flag",
    [
        "--level=chars",
        "--units=x",
        "--units=1.5",
        "--dropout=high",
        "--tie-weights=maybe",
        "--embedding-dim=nothing",
        "--batching=stream",
        "--schedule=linear",
        "--cell-option=zoneout",
        "--cell-option==1",
        "--sample-length=-1",
        "--temperature=-1",
        "--tensorboard=yes",
    ],
)
def test_train_rejects_bad_flags(flag, capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "language-model", flag])
    assert raised.value.code == 2
    assert "error" in capsys.readouterr().err


def test_train_reports_missing_data_without_traceback(tmp_path):
    missing = str(tmp_path / "no_such_text.txt")
    status, out, err = _main(
        [
            "train",
            "language-model",
            f"--data={missing}",
            f"--output-dir={tmp_path / 'run'}",
        ]
    )
    assert status == 2
    assert err.startswith("gatedkeras: error: ")
    assert missing in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    "flag, name",
    [
        ("--sequence-length=1", "sequence_length"),
        ("--units=0", "units"),
        ("--dropout=1.0", "dropout"),
        ("--learning-rate=-1", "learning_rate"),
    ],
)
def test_train_reports_settings_the_recipe_refuses(flag, name, tmp_path):
    status, out, err = _main(
        [
            "train",
            "language-model",
            flag,
            f"--output-dir={tmp_path / 'run'}",
        ]
    )
    assert status == 2
    assert err.startswith("gatedkeras: error: ") and name in err
    assert "Traceback" not in err + out
    assert not os.path.exists(tmp_path / "run")


# --- train language-model: a real run ---------------------------------------


def test_train_language_model_end_to_end(tiny_run):
    assert tiny_run.status == 0, tiny_run.err
    out = tiny_run.out
    metrics = [
        line.split(": ")[0]
        for line in out.splitlines()
        if line.startswith(("val_", "epochs: ", "train_seconds: "))
    ]
    assert metrics == sorted(metrics)
    for name in ("val_loss", "val_perplexity", "val_bits_per_character"):
        assert name in metrics
    assert "sample (temperature 0.8):" in out
    sample = out.split("sample (temperature 0.8):\n")[1].split("\n\noutput:")[0]
    assert len(sample) == 20
    assert out.rstrip().endswith(f"output: {tiny_run.path}")
    assert os.path.isfile(os.path.join(tiny_run.path, "model.keras"))


# --- generate ---------------------------------------------------------------


def test_generate_from_a_trained_model_is_seeded(tiny_run):
    path = os.path.join(tiny_run.path, "model.keras")
    argv = ["generate", path, "--prompt", "ab", "--length", "10", "--seed", "1"]
    first = _main(argv)
    second = _main(argv)
    assert first[0] == 0 and second[0] == 0, first[2]
    assert first[1] == second[1]
    text = first[1].rstrip("\n")
    assert text.startswith("ab") and len(text) == 12
    # The run's folder stands for its model.keras.
    assert _main([*argv[:1], tiny_run.path, *argv[2:]])[1] == first[1]


def test_generate_unknown_preset(capsys):
    status = cli.main(["generate", "no_such_preset", "--prompt", "ab"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("gatedkeras: error: ")
    assert "no_such_preset" in err and "Traceback" not in err


def test_generate_missing_model_file(tmp_path, capsys):
    missing = str(tmp_path / "model.keras")
    assert cli.main(["generate", missing]) == 2
    err = capsys.readouterr().err
    assert "No such model file" in err and missing in err


def test_generate_needs_a_model(capsys):
    assert cli.main(["generate", "--prompt", "ab"]) == 2
    assert "--list" in capsys.readouterr().err


def test_generate_lists_the_presets(capsys):
    assert cli.main(["generate", "--list"]) == 0
    out = capsys.readouterr().out
    assert out.split() == language_model.presets()


@pytest.mark.parametrize("flag", ["--length=-1", "--top-k=0", "--seed=x"])
def test_generate_rejects_bad_flags(flag, capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["generate", "some_preset", flag])
    assert raised.value.code == 2


# --- python -m gatedkeras -----------------------------------------------------


def test_python_dash_m_gatedkeras_help():
    completed = subprocess.run(
        [sys.executable, "-m", "gatedkeras", "--help"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    for command in ("demo", "layers", "train", "generate"):
        assert command in completed.stdout
