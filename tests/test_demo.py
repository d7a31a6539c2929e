"""Tests of the demo (`gatedkeras.demo`) and the command line
(`gatedkeras.cli`), on a shrunk configuration that trains in seconds."""

import math
import runpy
import sys

import numpy as np
import pytest

import gatedkeras
from gatedkeras import cli
from gatedkeras import demo

# A few steps of training: enough to run every stage of the demo.
TINY = dict(
    units=4,
    timesteps=6,
    train_size=32,
    test_size=16,
    epochs=1,
    batch_size=16,
)
TINY_FLAGS = [
    "--units=4",
    "--timesteps=6",
    "--train-size=32",
    "--test-size=16",
    "--epochs=1",
    "--batch-size=16",
]


# --- data -----------------------------------------------------------------


def test_adding_problem_shapes_and_dtypes():
    x, y = demo.adding_problem(100, 12, seed=3)
    assert x.shape == (100, 12, 2) and x.dtype == np.float32
    assert y.shape == (100, 1) and y.dtype == np.float32


def test_adding_problem_targets_are_sums_of_marked_values():
    x, y = demo.adding_problem(500, 20, seed=1)
    values, markers = x[..., 0], x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    # One marker in each half of the sequence.
    np.testing.assert_array_equal(markers[:, :10].sum(axis=1), 1.0)
    np.testing.assert_array_equal(markers[:, 10:].sum(axis=1), 1.0)
    np.testing.assert_allclose(
        y[:, 0], (values * markers).sum(axis=1), rtol=1e-6
    )
    assert values.min() >= 0.0 and values.max() < 1.0


def test_adding_problem_odd_length_and_shortest():
    x, y = demo.adding_problem(200, 7, seed=0)
    np.testing.assert_array_equal(x[..., 1].sum(axis=1), 2.0)
    x, y = demo.adding_problem(50, 2, seed=0)
    np.testing.assert_array_equal(x[..., 1], 1.0)
    np.testing.assert_allclose(y[:, 0], x[..., 0].sum(axis=1), rtol=1e-6)


def test_adding_problem_is_seeded():
    a = demo.adding_problem(10, 8, seed=5)
    b = demo.adding_problem(10, 8, seed=5)
    c = demo.adding_problem(10, 8, seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_adding_problem_baseline_is_about_one_sixth():
    _, y = demo.adding_problem(20000, 10, seed=0)
    assert abs(float(np.mean((y - 1.0) ** 2)) - 1 / 6) < 0.01


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_samples=0, timesteps=5), "num_samples=0"),
        (dict(num_samples=3, timesteps=1), "timesteps=1"),
        (dict(num_samples=3, timesteps=2.5), "timesteps=2.5"),
    ],
)
def test_adding_problem_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        demo.adding_problem(**kwargs)


# --- the demo run ---------------------------------------------------------


def test_run_end_to_end(capsys):
    result = demo.run(cell="GRU", seed=1, verbose=2, **TINY)
    for key in (
        "cell",
        "units",
        "timesteps",
        "epochs",
        "train_size",
        "test_mse",
        "test_mae",
        "baseline_mse",
        "improvement",
        "solved",
        "parameters",
        "train_seconds",
        "history",
        "examples",
    ):
        assert key in result
    for key in ("test_mse", "test_mae", "baseline_mse", "improvement"):
        assert math.isfinite(result[key]) and result[key] >= 0
    assert result["cell"] == "gru"
    assert isinstance(result["solved"], bool)
    assert result["parameters"] == 3 * (2 * 4 + 4 * 4 + 2 * 4) + 4 + 1
    assert len(result["history"]["loss"]) == 1
    assert len(result["history"]["val_loss"]) == 1
    assert len(result["examples"]) == 3
    for example in result["examples"]:
        assert len(example["marked"]) == 2
        assert example["target"] == pytest.approx(sum(example["marked"]))
        assert math.isfinite(example["prediction"])
    out = capsys.readouterr().out
    assert "adding problem" in out
    assert "test MSE" in out and "baseline MSE" in out


@pytest.mark.parametrize(
    "test_mse, verdict",
    [(0.001, "solved"), (0.05, "not solved yet"), (0.17, "not learned")],
)
def test_summary_verdicts(test_mse, verdict):
    result = {
        "cell": "lstm",
        "train_seconds": 1.0,
        "test_mse": test_mse,
        "test_mae": 0.1,
        "baseline_mse": 0.167,
        "improvement": 0.167 / test_mse,
        "solved": test_mse < demo.SOLVED_MSE,
    }
    assert verdict in demo.summary(result)


# --- the command line -----------------------------------------------------


def test_cli_layers_lists_names_and_tunables(capsys):
    assert cli.main(["layers"]) == 0
    out = capsys.readouterr().out
    for name in gatedkeras.layers.names():
        assert name in out
        for tunable in gatedkeras.layers.spec(name).tunables:
            assert tunable.name in out


def test_cli_demo_runs(capsys):
    status = cli.main(
        ["demo", "--cell", "simple-rnn", "--verbose=0", *TINY_FLAGS]
    )
    assert status == 0
    out = capsys.readouterr().out
    # --verbose=0: no progress, only the summary.
    assert out.startswith("Result (simple_rnn,")
    assert "test MSE" in out and "baseline MSE" in out


def test_cli_demo_rejects_unknown_cell(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["demo", "--cell", "transformer", *TINY_FLAGS])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "lstm" in err


@pytest.mark.parametrize(
    "flag", ["--units=0", "--timesteps=1", "--epochs=x", "--learning-rate=0"]
)
def test_cli_demo_rejects_bad_numbers(flag, capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["demo", flag])
    assert raised.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_needs_a_command(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main([])
    assert raised.value.code == 2


def test_cli_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["--help"])
    assert raised.value.code == 0
    # argparse wraps long help lines: compare the words.
    words = " ".join(capsys.readouterr().out.split())
    for command in cli.COMMANDS:
        assert command.name in words and command.help in words
    parser = cli.build_parser()
    subparsers = next(
        action
        for action in parser._actions
        if action.dest == "command"  # the subcommands
    )
    for name, subparser in subparsers.choices.items():
        for action in subparser._actions:
            assert action.help, f"{name} {action.option_strings}"
        with pytest.raises(SystemExit):
            cli.main([name, "--help"])
        out = capsys.readouterr().out
        for action in subparser._actions:
            for option in action.option_strings:
                assert option in out


def test_python_dash_m_runs_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["gatedkeras", "layers"])
    with pytest.raises(SystemExit) as raised:
        runpy.run_module("gatedkeras", run_name="__main__")
    assert raised.value.code == 0
    assert "lstm" in capsys.readouterr().out
