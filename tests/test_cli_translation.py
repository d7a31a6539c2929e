"""Tests of `gatedkeras train translation` and `gatedkeras translate`
(`gatedkeras.cli`), on a translation model small enough to train in
seconds."""

import contextlib
import dataclasses
import io
import os
import sys
import types

import pytest

from gatedkeras import cli
from recipes import translation
from recipes.translation.config import Config

TINY_FLAGS = [
    "--units=8",
    "--embedding-dim=8",
    "--batch-size=16",
    "--steps-per-epoch=2",
    "--epochs=1",
    "--vocabulary-size=64",
    "--evaluation-pairs=16",
    "--beam-width=2",
    "--no-tensorboard",
    "--verbose=0",
]


def _main(argv, stdin=None):
    """`cli.main(argv)`: its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if stdin is not None:
            with _stdin(stdin):
                status = cli.main(argv)
        else:
            status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _stdin(text):
    saved, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny `train translation` run on the synthetic corpus."""
    output_dir = tmp_path_factory.mktemp("translation") / "run"
    status, out, err = _main(
        [
            "train",
            "translation",
            *TINY_FLAGS,
            "--attention=luong",
            f"--output-dir={output_dir}",
            "--sample",
            "The dog sleeps.",
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
        return translation.TrainResult(
            model=None, history={}, metrics={"val_bleu": 1.0}, path="runs/x"
        )

    monkeypatch.setattr(translation, "train", train)
    monkeypatch.setattr(
        translation,
        "translate",
        lambda model, sentences, **options: ["?"] * len(sentences),
    )
    return calls


def test_train_help_lists_every_setting(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "translation", "--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    for field in dataclasses.fields(Config):
        assert cli.setting_flag(field) in out, field.name
    assert "--sample" in out
    assert "(default: gru)" in " ".join(out.split())


def test_train_defaults_are_the_configs(captured):
    status, _, err = _main(["train", "translation", "--sample", "x"])
    assert status == 0, err
    (settings,) = captured
    assert settings.pop("data") == "synthetic"
    assert settings == Config().to_dict()


def test_attention_none_and_typed_settings(captured):
    status, _, err = _main(
        [
            "train",
            "translation",
            "--attention=none",
            "--no-bidirectional",
            "--label-smoothing=0.2",
            "--source-language=de",
            "--sample",
            "x",
        ]
    )
    assert status == 0, err
    (settings,) = captured
    assert settings["attention"] is None
    assert settings["bidirectional"] is False
    assert settings["label_smoothing"] == 0.2
    assert settings["source_language"] == "de"


def test_train_rejects_unknown_attention(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "translation", "--attention=dot"])
    assert raised.value.code == 2
    assert "bahdanau" in capsys.readouterr().err


def test_train_translation_end_to_end(tiny_run):
    assert tiny_run.status == 0, tiny_run.err
    out = tiny_run.out
    for name in ("test_bleu", "test_chrf", "val_perplexity"):
        assert f"\n{name}: " in out
    assert "The dog sleeps.\n  -> " in out
    assert out.rstrip().endswith(f"output: {tiny_run.path}")
    assert os.path.isfile(os.path.join(tiny_run.path, "model.keras"))


def test_translate_a_trained_model(tiny_run):
    status, out, err = _main(
        [
            "translate",
            tiny_run.path,
            "A dog.",
            "The cats sleep.",
            "--beam-width=1",
        ]
    )
    assert status == 0, err
    assert len(out.splitlines()) == 2
    # One sentence per line from stdin gives the same translations.
    piped = _main(
        ["translate", tiny_run.path, "--beam-width=1"],
        stdin="A dog.\n\nThe cats sleep.\n",
    )
    assert piped[0] == 0 and piped[1] == out


def test_translate_missing_model_and_presets(tmp_path, capsys):
    missing = str(tmp_path / "model.keras")
    assert cli.main(["translate", missing, "Hallo."]) == 2
    assert "No such model file" in capsys.readouterr().err
    assert cli.main(["translate", "no_such_preset", "Hallo."]) == 2
    err = capsys.readouterr().err
    assert "Known presets" in err and "Traceback" not in err
    assert cli.main(["translate", "--list"]) == 0
    assert capsys.readouterr().out.split() == translation.presets()
    assert cli.main(["translate"]) == 2
    assert "--list" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--beam-width=0", "--max-length=x"])
def test_translate_rejects_bad_flags(flag, capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["translate", "some_preset", "Hallo.", flag])
    assert raised.value.code == 2
