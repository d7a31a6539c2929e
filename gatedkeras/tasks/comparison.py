"""`compare`: every cell on every length of a long-range task, within one
training budget, cached and resumable.

Each (task, cell, length, settings) run lives in its own folder under
`cache_dir`, named by the cell, the length and a hash of every setting
that changes what is trained (the backend included):

- `settings.json`: those settings;
- `progress.json`: the evaluations so far, the training seconds spent, the
  gradient flow at initialisation and the name of the checkpoint;
- `period-<n>.weights.h5`: the weights and the optimizer's state after the
  n-th evaluation period, so an interrupted run resumes from its last
  evaluation;
- `result.json`: the finished run, read back instead of training again.

Training data is generated afresh for every step from the run's seed, the
period and the step, so a resumed run trains on exactly the batches of one
that was never interrupted. A period is `eval_every` steps (one `fit`
epoch) followed by an evaluation on a held-out test set. Two processes
must not share a run folder at the same time.
"""

import hashlib
import json
import math
import os
import time

import keras
import numpy as np

from gatedkeras import diagnostics
from gatedkeras import layers

# Sequences the gradient flow is averaged over.
_FLOW_SEQUENCES = 8


def parse_budget(budget):
    """`(kind, amount)` of a budget: `("steps", n)` or `("seconds", s)`.

    An integer (or a string of digits) is a number of training steps; a
    string ending in `s`, `m` or `h` (`"90s"`, `"10m"`, `"1.5h"`) is
    training wall-clock time.

    >>> from gatedkeras.tasks.comparison import parse_budget
    >>> parse_budget(2000), parse_budget("10m")
    (('steps', 2000), ('seconds', 600.0))
    """
    if isinstance(budget, int) and not isinstance(budget, bool):
        if budget > 0:
            return "steps", budget
    elif isinstance(budget, str):
        text = budget.strip().lower()
        if text.isdigit() and int(text) > 0:
            return "steps", int(text)
        scale = {"s": 1, "m": 60, "h": 3600}.get(text[-1:])
        try:
            seconds = float(text[:-1]) * scale if scale else 0.0
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            return "seconds", seconds
    raise ValueError(
        "Argument `budget` must be a positive number of training steps "
        "(2000) or a wall-clock time ('90s', '10m', '1h'). "
        f"Received: budget={budget!r}"
    )


class Table(list):
    """The rows of a comparison (one dict per run), with a Markdown view.

    Each row has `task`, `cell`, `cell_options` (shown beside the cell's
    name when not empty), `length`, `units`, `parameters`, `steps`
    (trained), `seconds` (of training), `error`, `baseline`, `solved`,
    `error_name`, `cached` (read from the cache), `history` (evaluations:
    `step`, `seconds`, `error`), `flow_initial` and `flow_final` (gradient
    flow at initialisation and after training, or `None`) and `path`.
    """

    def to_markdown(self):
        """The table in Markdown: one line per run.

        With recorded gradient flows, a last column gives the gradient
        norm at the first step over that at the last, at initialisation
        and after training.
        """
        error_name = self[0]["error_name"] if self else "error"
        flows = any(row.get("flow_initial") for row in self)
        lines = [
            f"| task | cell | T | params | steps | train s | {error_name} "
            "| baseline | solved |" + (" grad k=0/last: init, trained |"
                                       if flows else ""),
            "|---|---|---:|---:|---:|---:|---:|---:|---|"
            + ("---|" if flows else ""),
        ]  # fmt: skip
        for row in self:
            line = (
                f"| {row['task']} | {_cell_label(row)} | {row['length']} | "
                f"{row['parameters']:,} | {row['steps']:,} | "
                f"{row['seconds']:.0f} | {row['error']:.4g} | "
                f"{row['baseline']:.3g} | {_verdict(row)} |"
            )
            if flows:
                ratios = [
                    _ratio(row.get(key))
                    for key in ("flow_initial", "flow_final")
                ]
                line += f" {ratios[0]}, {ratios[1]} |"
            lines.append(line)
        return "\n".join(lines)

    def __str__(self):
        return self.to_markdown()


def compare(
    cells=("simple_rnn", "lstm", "gru"),
    lengths=(50,),
    budget=2000,
    task="adding",
    units=64,
    batch_size=32,
    learning_rate=3e-3,
    seed=0,
    test_size=1024,
    eval_every=100,
    stop_when_solved=True,
    gradient_flow=True,
    cell_options=None,
    cache_dir=os.path.join("runs", "lab"),
    callbacks=(),
    cached_only=False,
    verbose=1,
):
    """Trains each cell on each length within one budget and tabulates it.

    Every run trains one recurrent layer of `units` and a linear readout
    (`Task.build_model`) with Adam (gradient norm clipped at 1) on freshly
    generated batches, evaluates it on `test_size` held-out sequences every
    `eval_every` steps, and stops when the budget is spent (or, with
    `stop_when_solved`, at the first evaluation below the task's solved
    threshold, or at the first evaluation whose loss or error is NaN: the
    table then says the run diverged). Finished runs are read from
    `cache_dir`; unfinished ones resume from their last evaluation.

    Args:
        cells: registered layer names. Defaults to
            `("simple_rnn", "lstm", "gru")`.
        lengths: sequence lengths. Defaults to `(50,)`.
        budget: training steps (an integer, rounded up to a multiple of
            `eval_every`) or wall-clock training time (`"90s"`, `"10m"`,
            `"1h"`). Defaults to `2000`.
        task: a task name (`gatedkeras.tasks.names()`) or `Task`. Defaults
            to `"adding"`.
        units: width of the recurrent layer. Defaults to `64`.
        batch_size: sequences per step. Defaults to `32`.
        learning_rate: Adam's learning rate. Defaults to `3e-3`.
        seed: seed of the data and the initial weights. Defaults to `0`.
        test_size: held-out sequences. Defaults to `1024`.
        eval_every: steps between evaluations (and backups). Defaults to
            `100`.
        stop_when_solved: whether a run stops once solved. Defaults to
            `True`.
        gradient_flow: whether to record `gatedkeras.diagnostics`'
            gradient flow of the model's output at initialisation and after
            training (on 8 test sequences). Defaults to `True`.
        cell_options: further arguments of every layer. Defaults to
            `None`.
        cache_dir: the folder of the cached runs. Defaults to `runs/lab`.
        callbacks: further Keras callbacks, passed to the `fit` of every
            period (one epoch each) of every run. Defaults to `()`.
        cached_only: whether to tabulate the finished runs only, training
            nothing (to look at a comparison running elsewhere). Defaults
            to `False`.
        verbose: `0` silent, `1` a line per run, `2` also a line per
            evaluation. Defaults to `1`.

    Returns:
        A `Table` (a list of row dicts; `to_markdown()`), ordered by length
        and then by cell.

    >>> import tempfile
    >>> table = gatedkeras.tasks.compare(
    ...     ["gru"], [10], budget=2, eval_every=1, test_size=8,
    ...     cache_dir=tempfile.mkdtemp(), gradient_flow=False, verbose=0)
    >>> [(row["cell"], row["length"], row["steps"]) for row in table]
    [('gru', 10, 2)]
    """
    from gatedkeras import tasks

    task = tasks.get(task)
    kind, amount = parse_budget(budget)
    cells = [layers.spec(cell).name for cell in _as_list(cells, "cells")]
    lengths = _as_list(lengths, "lengths")
    for length in lengths:
        if not isinstance(length, int) or length < task.min_length:
            raise ValueError(
                f"Every length of the {task.name} task must be an integer of "
                f"at least {task.min_length}. Received: length={length!r}"
            )
    for name, value in (
        ("units", units),
        ("batch_size", batch_size),
        ("test_size", test_size),
        ("eval_every", eval_every),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(
                f"Argument `{name}` must be a positive integer. "
                f"Received: {name}={value!r}"
            )
    if not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise ValueError(
            "Argument `learning_rate` must be a positive number. "
            f"Received: learning_rate={learning_rate!r}"
        )
    options = dict(cell_options or {})
    for cell in cells:
        layers.spec(cell).validate({"units": units, **options})

    table = Table()
    for length in lengths:
        for cell in cells:
            settings = {
                "task": task.name,
                "cell": cell,
                "length": length,
                "units": units,
                "cell_options": options,
                "budget": [kind, amount],
                "batch_size": batch_size,
                "learning_rate": learning_rate,
                "seed": seed,
                "test_size": test_size,
                "eval_every": eval_every,
                "stop_when_solved": stop_when_solved,
                "gradient_flow": gradient_flow,
                "backend": keras.backend.backend(),
            }
            path = run_folder(cache_dir, settings)
            row = _read(os.path.join(path, "result.json"))
            if row is None and cached_only:
                continue
            if row is None:
                row = _train(task, settings, path, list(callbacks), verbose)
                row["cached"] = False
            else:
                row["cached"] = True
            row["path"] = path
            if verbose:
                print(_describe(row), flush=True)
            table.append(row)
    return table


def run_folder(cache_dir, settings):
    """The folder of one run: `<cache_dir>/<task>/<cell>-T<length>-<hash>`."""
    digest = hashlib.sha1(
        json.dumps(settings, sort_keys=True).encode()
    ).hexdigest()[:10]
    return os.path.join(
        cache_dir,
        settings["task"],
        f"{settings['cell']}-T{settings['length']}-{digest}",
    )


def _period_data(task, settings, period):
    """The training batches of one evaluation period, in order: batch i is
    generated from the seed, the period and i alone, so a resumed run sees
    exactly the batches an uninterrupted one would."""
    batches = [
        task.generate(
            settings["batch_size"],
            settings["length"],
            [settings["seed"], 2, period, i],
        )
        for i in range(settings["eval_every"])
    ]
    return tuple(np.concatenate(parts) for parts in zip(*batches))


class _Clock(keras.callbacks.Callback):
    """Counts the steps of a period; stops training once a wall-clock
    budget is spent."""

    def __init__(self, seconds_left):
        super().__init__()
        self.seconds_left = seconds_left

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps = batch + 1
        if time.perf_counter() - self.started >= self.seconds_left:
            self.model.stop_training = True


def _train(task, settings, path, callbacks, verbose):
    """Trains one run period by period (resuming from its checkpoint) and
    writes `result.json`.

    One `fit` call per evaluation period, on that period's batches, rather
    than one `fit` over a `keras.utils.PyDataset` with
    `keras.callbacks.BackupAndRestore`: Keras fetches a batch ahead of
    `on_epoch_begin` (and shuffles a PyDataset), so batches that depend on
    the epoch came out in a different order after a resume.
    """
    os.makedirs(path, exist_ok=True)
    _write(os.path.join(path, "settings.json"), settings)
    length, seed = settings["length"], settings["seed"]
    kind, amount = settings["budget"]
    # A different stream of the seed, so test sequences are held out.
    x_test, y_test = task.generate(settings["test_size"], length, [seed, 1])
    keras.utils.set_random_seed(seed)
    model = task.build_model(
        settings["cell"], settings["units"], length, settings["cell_options"]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            settings["learning_rate"], clipnorm=1.0
        ),
        loss=task.loss,
    )
    progress = _read(os.path.join(path, "progress.json"))
    if progress and progress["checkpoint"]:
        # The weights and the optimizer's state after the last period.
        model.optimizer.build(model.trainable_variables)
        model.load_weights(os.path.join(path, progress["checkpoint"]))
    elif progress is None:
        progress = {"seconds": 0.0, "history": [], "checkpoint": None}
        progress["flow_initial"] = (
            _flow(model, x_test) if settings["gradient_flow"] else None
        )
    history = progress["history"]
    while True:
        period = len(history)
        step = history[-1]["step"] if history else 0
        spent = progress["seconds"]
        if (kind == "steps" and step >= amount) or (
            kind == "seconds" and spent >= amount
        ):
            break
        if history and settings["stop_when_solved"]:
            if history[-1]["error"] < task.solved_below:
                break
        if history and diverged_at(history) is not None:
            # Weights that are NaN stay NaN: the rest of the budget would
            # only train on them.
            break
        x, y = _period_data(task, settings, period)
        clock = _Clock(amount - spent if kind == "seconds" else math.inf)
        started = time.perf_counter()
        fit = model.fit(
            x,
            y,
            batch_size=settings["batch_size"],
            epochs=period + 1,
            initial_epoch=period,
            shuffle=False,
            callbacks=[clock, *callbacks],
            verbose=0,
        )
        progress["seconds"] = spent + time.perf_counter() - started
        error = _error(task, model, x_test, y_test)
        history.append(
            {
                "step": step + clock.steps,
                "seconds": round(progress["seconds"], 2),
                "loss": float(fit.history["loss"][-1]),
                "error": error,
            }
        )
        # The checkpoint first, under a new name, then the progress that
        # names it: an interruption between the two loses a period, never
        # pairs weights with the wrong history.
        previous = progress["checkpoint"]
        progress["checkpoint"] = f"period-{period + 1}.weights.h5"
        model.save_weights(os.path.join(path, progress["checkpoint"]))
        _write(os.path.join(path, "progress.json"), progress)
        if previous:
            os.remove(os.path.join(path, previous))
        if verbose > 1:
            print(
                f"  {settings['cell']} step {history[-1]['step']}: "
                f"{task.error_name} {error:.4g}",
                flush=True,
            )
    error = history[-1]["error"] if history else math.nan
    row = {
        "task": task.name,
        "cell": settings["cell"],
        "cell_options": settings["cell_options"],
        "length": length,
        "units": settings["units"],
        "parameters": model.count_params(),
        "steps": history[-1]["step"] if history else 0,
        "seconds": round(progress["seconds"], 1),
        "error": error,
        "baseline": task.baseline(y_test),
        "solved": bool(error < task.solved_below),
        "error_name": task.error_name,
        "history": history,
        "flow_initial": progress["flow_initial"],
        "flow_final": _flow(model, x_test) if settings["gradient_flow"]
        else None,
    }  # fmt: skip
    _write(os.path.join(path, "result.json"), row)
    return row


def _error(task, model, x, y):
    predictions = model.predict(x, batch_size=256, verbose=0)
    return task.error(y, predictions)


def _flow(model, x):
    flow = diagnostics.gradient_flow(model, x[:_FLOW_SEQUENCES])
    return [float(v) for v in flow]


def _ratio(flow):
    if not flow or not flow[-1]:
        return "-"
    return f"{flow[0] / flow[-1]:.2g}"


def _cell_label(row):
    options = row.get("cell_options") or {}
    if not options:
        return row["cell"]
    listed = ", ".join(f"{k}={v}" for k, v in sorted(options.items()))
    return f"{row['cell']} ({listed})"


def diverged_at(history):
    """The first evaluated step whose loss or error is not finite, or
    `None`: where a run of `compare` diverged.

    >>> from gatedkeras.tasks.comparison import diverged_at
    >>> diverged_at([{"step": 100, "loss": 0.2, "error": 0.1},
    ...              {"step": 200, "loss": float("nan"), "error": 0.1}])
    200
    """
    for record in history:
        if not (
            math.isfinite(record["loss"]) and math.isfinite(record["error"])
        ):
            return record["step"]
    return None


def _diverged_note(row):
    step = diverged_at(row["history"])
    return "" if step is None else f" (diverged: NaN by step {step:,})"


def _verdict(row):
    return "yes" if row["solved"] else "no" + _diverged_note(row)


def _describe(row):
    verdict = "solved" if row["solved"] else "not solved"
    verdict += _diverged_note(row)
    source = " (cached)" if row.get("cached") else ""
    return (
        f"{row['task']} T={row['length']} {_cell_label(row)}: "
        f"{row['error_name']} {row['error']:.4g} against "
        f"{row['baseline']:.3g}, {verdict} after {row['steps']} steps, "
        f"{row['seconds']:.0f} s{source}"
    )


def _as_list(values, name):
    if isinstance(values, str):
        values = [v for v in values.split(",") if v]
    values = list(values)
    if not values:
        raise ValueError(
            f"Argument `{name}` must not be empty. Received: {name}={values}"
        )
    return values


def _read(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write(path, value):
    # Through a temporary file, so an interruption never leaves half a file.
    partial = path + ".partial"
    with open(partial, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(partial, path)
