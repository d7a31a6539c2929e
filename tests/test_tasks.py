"""`gatedkeras.tasks`: the generators against a NumPy recomputation of
their labels, seeding, baselines, and `compare` on a tiny budget with its
cache and resume."""

import json
import os

import keras
import numpy as np
import pytest

from gatedkeras import tasks
from gatedkeras.tasks import comparison
from gatedkeras.tasks import copy_memory
from gatedkeras.tasks import first_steps


def test_adding_problem_moved_from_the_demo():
    from gatedkeras import demo

    assert demo.adding_problem is tasks.adding_problem
    x, y = tasks.adding_problem(300, 16, seed=2)
    assert x.shape == (300, 16, 2) and y.shape == (300, 1)
    np.testing.assert_allclose(
        y[:, 0], (x[..., 0] * x[..., 1]).sum(-1), rtol=1e-6
    )
    adding = tasks.get("adding")
    assert adding.baseline(y) == pytest.approx(1 / 6, abs=0.03)
    assert adding.error(y, y) == 0.0


def test_copy_task_layout_and_labels():
    x, y = tasks.copy_task(50, 40, seed=3)
    assert x.shape == (50, 40, 10) and x.dtype == np.float32
    assert y.shape == (50, 40) and y.dtype == np.int32
    categories = x.argmax(-1)
    np.testing.assert_array_equal(x.sum(-1), 1.0)  # one-hot
    symbols = categories[:, :10]
    assert symbols.min() >= 1 and symbols.max() <= 8
    # Blanks, then the delimiter 11 steps before the end, then blanks.
    np.testing.assert_array_equal(categories[:, 10:29], 0)
    np.testing.assert_array_equal(categories[:, 29], 9)
    np.testing.assert_array_equal(categories[:, 30:], 0)
    # The targets: blanks, then the opening symbols in order.
    np.testing.assert_array_equal(y[:, :30], 0)
    np.testing.assert_array_equal(y[:, 30:], symbols)
    # A perfect recall scores 0, the best constant about 7/8.
    assert copy_memory.symbol_error(y, np.eye(10)[y]) == 0.0
    assert tasks.get("copy").baseline(y) == pytest.approx(0.875, abs=0.05)


def test_first_steps_labels_depend_on_the_first_steps_only():
    x, y = tasks.first_steps_task(400, 30, seed=4, key_steps=3, noise=0.5)
    assert x.shape == (400, 30, 2) and y.shape == (400,)
    np.testing.assert_array_equal(np.abs(x[:, :3, 0]), 1.0)
    np.testing.assert_array_equal(x[:, :, 1], [[1] * 3 + [0] * 27] * 400)
    bits = (x[:, :3, 0] > 0).astype(int)
    np.testing.assert_array_equal(y, bits @ [1, 2, 4])
    assert set(np.unique(y)) == set(range(8))
    assert 0.3 < np.std(x[:, 3:, 0]) < 0.7
    logits = np.eye(8)[y]
    assert first_steps.class_error(y, logits) == 0.0
    assert first_steps.majority_error(y) == pytest.approx(7 / 8, abs=0.05)


@pytest.mark.parametrize("name", ["adding", "copy", "first_steps"])
def test_generators_are_seeded(name):
    task = tasks.get(name)
    a, b, c = (task.generate(8, 25, seed) for seed in (5, 5, 6))
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(a[0], c[0])


def test_generator_errors():
    with pytest.raises(ValueError, match="Received: length=20"):
        tasks.copy_task(2, 20)
    with pytest.raises(ValueError, match="Received: num_samples=0"):
        tasks.first_steps_task(0, 10)
    with pytest.raises(ValueError, match="Received: noise=-1"):
        tasks.first_steps_task(2, 10, noise=-1)
    with pytest.raises(ValueError, match="Received: task='parity'"):
        tasks.get("parity")


def test_parse_budget():
    parse = comparison.parse_budget
    assert parse(300) == ("steps", 300)
    assert parse("300") == ("steps", 300)
    assert parse("90s") == ("seconds", 90.0)
    assert parse("1.5h") == ("seconds", 5400.0)
    for bad in (0, -5, "ten", "0m", True, 2.5, "", None):
        with pytest.raises(ValueError, match="Received: budget="):
            parse(bad)


def _compare(cache_dir, **kwargs):
    settings = dict(
        cells=["gru"],
        lengths=[12],
        budget=4,
        eval_every=2,
        batch_size=8,
        test_size=16,
        cache_dir=str(cache_dir),
        gradient_flow=False,
        stop_when_solved=False,
        verbose=0,
    )
    return tasks.compare(**{**settings, **kwargs})


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_compare_caches_and_resumes(tmp_path):
    whole = _compare(tmp_path / "whole", gradient_flow=True)
    (row,) = whole
    assert row["steps"] == 4 and row["cached"] is False
    assert [h["step"] for h in row["history"]] == [2, 4]
    assert row["baseline"] == pytest.approx(1 / 6, abs=0.1)
    assert row["solved"] is (row["error"] < 0.01)
    assert len(row["flow_initial"]) == 12 and len(row["flow_final"]) == 12
    assert "| adding | gru | 12 |" in whole.to_markdown()
    with open(os.path.join(row["path"], "settings.json")) as f:
        assert json.load(f)["budget"] == ["steps", 4]
    # Read back, not trained again; unfinished runs left out on request.
    (again,) = _compare(tmp_path / "whole", gradient_flow=True)
    assert again["cached"] is True and again["error"] == row["error"]
    assert (
        "grad k=0/last"
        in _compare(tmp_path / "whole", gradient_flow=True).to_markdown()
    )
    assert _compare(tmp_path / "whole", budget=6, cached_only=True) == []
    # Interrupted after its first evaluation, then resumed: the same
    # batches and optimizer state give the same run.
    with pytest.raises(KeyboardInterrupt):
        _compare(tmp_path / "resumed", callbacks=[_Interrupt()])
    (resumed,) = _compare(tmp_path / "resumed")
    assert resumed["cached"] is False
    assert [h["step"] for h in resumed["history"]] == [2, 4]
    # (Recording the gradient flow does not change the training.)
    np.testing.assert_allclose(
        [h["error"] for h in resumed["history"]],
        [h["error"] for h in row["history"]],
        rtol=1e-6,
    )
    assert os.listdir(resumed["path"]).count("period-2.weights.h5") == 1


class _Poison(keras.callbacks.Callback):
    """Makes the weights NaN during the second evaluation period."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            for variable in self.model.trainable_variables:
                variable.assign(np.full(variable.shape, np.nan))


def test_compare_stops_a_run_that_diverged(tmp_path):
    (row,) = _compare(tmp_path, budget=8, callbacks=[_Poison()])
    # Stopped at the first NaN evaluation, not trained to the budget.
    assert [h["step"] for h in row["history"]] == [2, 4]
    assert np.isfinite(row["history"][0]["error"])
    assert np.isnan(row["error"]) and row["solved"] is False
    assert (
        "| no (diverged: NaN by step 4) |" in tasks.Table([row]).to_markdown()
    )
    (cached,) = _compare(tmp_path, budget=8)
    assert cached["cached"] is True and cached["steps"] == 4


def test_compare_other_tasks_and_wall_clock_budget(tmp_path):
    table = _compare(tmp_path, task="copy", lengths=[21], budget=2)
    assert table[0]["error_name"] == "symbol error"
    assert 0 <= table[0]["error"] <= 1
    table = _compare(tmp_path, task="first_steps", budget="1s")
    assert table[0]["steps"] >= 1 and table[0]["seconds"] >= 1


def test_compare_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: length=10"):
        _compare(tmp_path, task="copy", lengths=[10])
    with pytest.raises(ValueError, match="Received: name='lstn'"):
        _compare(tmp_path, cells=["lstn"])
    with pytest.raises(ValueError, match="Received: units=0"):
        _compare(tmp_path, units=0)
    with pytest.raises(ValueError, match="Received: learning_rate=-0.1"):
        _compare(tmp_path, learning_rate=-0.1)
    with pytest.raises(ValueError, match="clockwork_rnn"):
        _compare(tmp_path, cells=["clockwork_rnn"], units=12)
    with pytest.raises(ValueError, match="Received: cells=\\[\\]"):
        _compare(tmp_path, cells=[])
