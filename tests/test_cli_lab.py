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
