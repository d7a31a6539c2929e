"""`gatedkeras lab compare` and `gatedkeras lab gradient-flow`."""

import pytest

from gatedkeras import cli


def test_lab_compare_prints_the_table_and_resumes_from_its_cache(
    tmp_path, capsys
):
    argv = [
        "lab", "compare", "--cells", "GRU", "--lengths", "12",
        "--budget", "2", "--eval-every", "1", "--test-size", "8",
        "--units", "4", "--no-gradient-flow", "--cache-dir", str(tmp_path),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| adding | gru | 12 |" in out
    assert "test MSE" in out and "(cached)" not in out
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.count("(cached)") == 1


def test_lab_cell_options_reach_the_layer_and_the_table(tmp_path, capsys):
    argv = [
        "lab", "compare", "--cells", "ind_rnn", "--lengths", "6",
        "--budget", "1", "--eval-every", "1", "--test-size", "8",
        "--units", "4", "--no-gradient-flow", "--cache-dir", str(tmp_path),
        "--cell-option", "recurrent_max_abs=1.5",
        "--cell-option", "activation=tanh",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| ind_rnn (activation=tanh, recurrent_max_abs=1.5) | 6 |" in out
    # Another option is another run, not the cached one.
    assert cli.main(argv[:-2]) == 0
    assert "(cached)" not in capsys.readouterr().out
    assert cli.main([*argv[:-4], "--cell-option", "recurent_max_abs=1"]) == 2
    assert "recurent_max_abs" in capsys.readouterr().err


def test_lab_compare_plots_the_flow_before_and_after_training(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "flows.png"
    argv = [
        "lab", "compare", "--cells", "gru,simple_rnn", "--lengths", "6,9",
        "--budget", "1", "--eval-every", "1", "--test-size", "8",
        "--units", "4", "--cache-dir", str(tmp_path), "--plot", str(plot),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    assert f"plot: {plot}" in capsys.readouterr().out
    assert plot.stat().st_size > 0


def test_lab_compare_plot_without_gradient_flow_is_refused(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    argv = [
        "lab", "compare", "--cells", "gru", "--lengths", "6",
        "--budget", "1", "--eval-every", "1", "--test-size", "8",
        "--units", "4", "--cache-dir", str(tmp_path), "--no-gradient-flow",
        "--plot", str(tmp_path / "flows.png"),
    ]  # fmt: skip
    assert cli.main(argv) == 2
    assert "drop one of the two" in capsys.readouterr().err
    assert not (tmp_path / "flows.png").exists()
    assert not (tmp_path / "adding").exists()  # refused before training


def test_lab_gradient_flow_prints_ratios_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "flow.png"
    argv = [
        "lab", "gradient-flow", "--cells", "simple_rnn",
        "--length", "10", "--units", "4", "--sequences", "2",
        "--plot", str(plot),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| simple_rnn |" in out
    assert plot.stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lab", "compare", "--cells", "lstn"], "Received: name='lstn'"),
        (["lab", "compare", "--budget", "ten"], "Received: budget='ten'"),
        (["lab", "compare", "--lengths", "5,x"], "comma-separated"),
        (["lab", "compare", "--task", "parity"], "invalid choice"),
        (["lab", "compare", "--cell-option", "relu"], "expected KEY=VALUE"),
        (["lab"], "required"),
    ],
)
def test_lab_bad_flags(argv, message, capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_lab_refused_settings_exit_with_status_2(tmp_path, capsys):
    argv = [
        "lab", "compare", "--cells", "clockwork_rnn", "--units", "12",
        "--cache-dir", str(tmp_path),
    ]  # fmt: skip
    assert cli.main(argv) == 2
    assert "gatedkeras: error:" in capsys.readouterr().err
