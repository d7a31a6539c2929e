"""Hyperparameter search over a recipe's settings, on keras-tuner.

What every recipe shares: a recipe only declares its search space (a
`HyperModel` subclass in `recipes/<recipe>/tuning.py`); this module runs
the search with keras-tuner and reads back its results.

One trial is one call of the recipe's own `train()`, in the trial's folder
of the search (`<directory>/trial_<id>/run`): the same data pipeline,
model, checkpoints and final metrics as any training run, so the best
trial's settings train again with `train(**result.best_hyperparameters)`.
That is why `HyperModel.build(hp)` returns the trial's settings (the
recipe's `Config`), not a Keras model: a recipe's model needs its fitted
preprocessing (vocabulary, labels, statistics) before it exists, and
`train()` fits it. The keras-tuner `Tuner` below runs the trials
(`run_trial`) and loads a trial's model (`load_model`); the oracles (the
search algorithms), resume, and the chief/worker mode are keras-tuner's.

The space: the cell (any registered name), each cell's own tunable
arguments from `gatedkeras.registry` (conditional on the cell; named
`cell.<argument>` and passed as `cell_options`), units, layers, dropout,
learning rate, gradient clipping, and the recipe's own knobs. A setting
passed to `tune()` is fixed: a searched one becomes keras-tuner's
`hp.Fixed` (its value is the same in every trial), any other is passed to
every trial's `train()`.
"""

import csv
import dataclasses
import functools
import json
import math
import os

import keras
import keras_tuner

from gatedkeras import layers

TUNERS = ("bayesian", "random", "hyperband")
# Trials of "bayesian" and "random" when `max_trials` is None (keras-tuner's
# own default).
DEFAULT_MAX_TRIALS = 10
# Settings `tune()` sets in each trial itself: where the run is kept.
TRIAL_SETTINGS = ("output_dir", "overwrite")
# The names keras-tuner's Hyperband adds to a trial's hyperparameters.
HYPERBAND_PREFIX = "tuner/"
CELL_PREFIX = "cell."


class HyperModel(keras_tuner.HyperModel):
    """A recipe's search space and how one of its trials trains.

    A recipe subclasses it and sets `config` (its `Config` class), `train`
    and `load` (its `train()` and `from_preset()`), the ranges of the
    shared knobs, `objectives(config)` and `space(hp)` (its own knobs).

    `build(hp)` declares the space and returns the trial's settings as the
    recipe's `Config`; `fit(hp, config, output_dir=...)` trains them with
    the recipe's `train()` and returns its final metrics. They run under
    `recipes.tuning.Tuner` (through `tune()`), which calls both: keras-tuner's
    stock tuners expect `build` to return a compiled Keras model.

    Args:
        data: what the recipe's `train()` takes as `data`. Defaults to
            `"synthetic"`.
        cells: the registered layer names the search chooses from (None:
            every name in `gatedkeras.layers.names()`, or the fixed `cell`).
            Defaults to `None`.
        **fixed: settings of the recipe's `Config` held fixed in every
            trial (a searched one is not searched).

    >>> import keras_tuner
    >>> from recipes import time_series
    >>> hypermodel = time_series.HyperModel(cells=["gru"], epochs=2)
    >>> config = hypermodel.build(keras_tuner.HyperParameters())
    >>> config.cell, config.epochs
    ('gru', 2)
    """

    # Set by each recipe.
    config = None
    train = None
    load = None
    units_range = (32, 512)
    layers_range = (1, 3)
    dropout_range = (0.0, 0.5)
    learning_rate_range = (1e-4, 1e-2)
    clipnorm_range = (0.25, 4.0)

    def __init__(self, data="synthetic", cells=None, **fixed):
        super().__init__(name=self.config.recipe)
        for name in TRIAL_SETTINGS:
            if name in fixed:
                raise ValueError(
                    f"`{name}` is set by the search for each trial (in its "
                    f"folder of `directory`). Received: {name}={fixed[name]!r}"
                )
        # The recipe's own checks: unknown names and bad values raise here.
        self.defaults = self.config.make(**fixed)
        self.data = data
        self.fixed = fixed
        if "cell" in fixed:
            cells = [self.defaults.cell]
        if cells is None:
            cells = layers.names()
        if isinstance(cells, str) or not cells:
            raise ValueError(
                "`cells` must be a non-empty list of layer names. "
                f"Received: cells={cells!r}"
            )
        self.cells = [layers.spec(cell).name for cell in cells]

    def space(self, hp):
        """Declares the recipe's own knobs on `hp` and returns their values,
        keyed by `Config` field. Overridden by each recipe."""
        return {}

    @classmethod
    def objectives(cls, config):
        """The metrics `train()` reports with `config` that a search can
        optimise, `{name: "min" or "max"}`; the first is the default."""
        raise NotImplementedError

    def fixed_hyperparameters(self):
        """keras-tuner `HyperParameters` holding `hp.Fixed` for each fixed
        setting the space would search."""
        searched = keras_tuner.HyperParameters()
        self.build(searched)
        names = {hp.name for hp in searched.space}
        fixed = keras_tuner.HyperParameters()
        for name in self.fixed:
            if name in names:
                # As the recipe's checks leave it: "LSTM" is "lstm".
                value = getattr(self.defaults, name)
                # hp.Fixed holds scalars; None (no clipping, no attention)
                # shows as "none", and `settings` reads the real value.
                scalar = isinstance(value, (bool, int, float, str))
                fixed.Fixed(name, value if scalar else str(value).lower())
        return fixed

    def settings(self, hp):
        """The settings of the trial whose hyperparameters are `hp`: the
        searched values, the cell's options and the fixed settings, as
        `train()` takes them."""
        cell = hp.Choice("cell", self.cells)
        settings = {
            "units": hp.Int("units", *self.units_range, step=2, sampling="log"),
            "num_layers": hp.Int("num_layers", *self.layers_range),
            "dropout": hp.Float("dropout", *self.dropout_range, step=0.1),
            "learning_rate": hp.Float(
                "learning_rate", *self.learning_rate_range, sampling="log"
            ),
            "clipnorm": hp.Float(
                "clipnorm", *self.clipnorm_range, sampling="log"
            ),
            **self.space(hp),
        }
        options = dict(self.fixed.get("cell_options") or {})
        for name, tunable, cells in self._cell_tunables(options):
            with hp.conditional_scope("cell", cells):
                value = _declare(hp, name, tunable)
            if cell in cells:
                options[tunable.name] = value
        settings = {**settings, **self.fixed}
        settings["cell"] = cell
        settings["cell_options"] = options
        return settings

    def build(self, hp):
        """Declares the search space on `hp` and returns the trial's
        settings as the recipe's `Config`."""
        return self.config.make(**self.settings(hp))

    def fit(self, hp, config, output_dir=None, epochs=None, **kwargs):
        """Trains `config` with the recipe's `train()` in `output_dir`.

        Args:
            hp: the trial's `HyperParameters`.
            config: the trial's settings, from `build(hp)`.
            output_dir: the trial's run folder. A folder holding the
                finished run of this trial is read back, not trained again
                (a search resumed after the run ended but before keras-tuner
                recorded it); an unfinished one resumes.
            epochs: the epochs of this trial (Hyperband's budget), or None
                for `config.epochs`.
            **kwargs: what keras-tuner's `search` passes on; not used.

        Returns:
            The run's numeric final metrics, `{name: value}`.
        """
        # The fields themselves: `to_dict` records a strategy by its name.
        settings = {
            field.name: getattr(config, field.name)
            for field in dataclasses.fields(config)
        }
        settings["output_dir"] = output_dir
        if epochs is not None:
            settings["epochs"] = epochs
        spec = layers.spec(config.cell)
        try:
            spec.validate({"units": config.units, **config.cell_options})
        except ValueError as error:
            # keras-tuner records a failed trial and goes on.
            raise keras_tuner.errors.FailedTrialError(str(error)) from error
        finished = output_dir and os.path.join(output_dir, "metrics.json")
        if finished and os.path.exists(finished):
            with open(finished) as f:
                metrics = json.load(f)
        else:
            metrics = type(self).train(data=self.data, **settings).metrics
        return {
            name: float(value)
            for name, value in metrics.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        }

    def _cell_tunables(self, fixed_options):
        """`(hp name, Tunable, cells)` for each tunable argument of the
        chosen cells (not units, which the recipe sets, nor a fixed
        option); cells that declare the same argument alike share one.
        The recipe's own `units` and `num_layers` set those arguments, so a
        cell's tunables of the same names are not searched twice."""
        groups = {}
        for cell in self.cells:
            for tunable in layers.spec(cell).tunables:
                if tunable.name in ("units", "num_layers", *fixed_options):
                    continue
                groups.setdefault(tunable, []).append(cell)
        names = [tunable.name for tunable in groups]
        for tunable, cells in groups.items():
            name = CELL_PREFIX + tunable.name
            if names.count(tunable.name) > 1:
                # Declared differently by different cells: one each.
                name += "." + cells[0]
            yield name, tunable, cells


def _declare(hp, name, tunable):
    """Declares a registry `Tunable` on `hp` and returns its value."""
    if tunable.kind == "bool":
        return hp.Boolean(name, default=bool(tunable.default))
    if tunable.kind == "choice":
        return hp.Choice(name, list(tunable.values), default=tunable.default)
    sampling = "log" if tunable.log else "linear"
    if tunable.kind == "int":
        return hp.Int(
            name, tunable.low, tunable.high, sampling=sampling,
            default=tunable.default,
        )  # fmt: skip
    return hp.Float(
        name, tunable.low, tunable.high, sampling=sampling,
        default=tunable.default,
    )  # fmt: skip


class Tuner(keras_tuner.Tuner):
    """keras-tuner's `Tuner`, running each trial as one call of the
    recipe's `train()` in `<project>/trial_<id>/run`.

    Args:
        oracle: a keras-tuner `Oracle` (the search algorithm).
        hypermodel: a recipe's `HyperModel`.
        **kwargs: base `keras_tuner.Tuner` arguments (`directory`,
            `project_name`, `overwrite`, ...).
    """

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        # A fresh Keras session per trial, as keras-tuner's own tuners do.
        keras.backend.clear_session()
        config = self.hypermodel.build(hp)
        return self.hypermodel.fit(
            hp,
            config,
            output_dir=self.run_folder(trial),
            epochs=hp.values.get(HYPERBAND_PREFIX + "epochs"),
        )

    def run_folder(self, trial):
        """The folder of the trial's training run."""
        return os.path.join(self.get_trial_dir(trial.trial_id), "run")

    def load_model(self, trial):
        """The trial's model, with its best validation weights."""
        path = os.path.join(self.run_folder(trial), "model.keras")
        return type(self.hypermodel).load(path)

    def best_settings(self, trial):
        """What `train()` takes to train `trial`'s settings again."""
        settings = self.hypermodel.settings(trial.hyperparameters.copy())
        epochs = trial.hyperparameters.values.get(HYPERBAND_PREFIX + "epochs")
        if epochs is not None:
            settings["epochs"] = epochs
        return settings


@dataclasses.dataclass
class TuneResult:
    """What `tune()` returns.

    Args:
        best_hyperparameters: the best trial's settings, a plain dict that
            the recipe's `train(data=..., **best_hyperparameters)` takes.
        best_score: the best trial's objective value.
        objective: the metric optimised, and whether it is minimised
            (`"min"`) or maximised (`"max"`).
        table: every trial (one row each: `trial`, `status`, the objective,
            `train_seconds` and each hyperparameter), in trial order; also
            written to `trials.csv` in `path`.
        path: the search's folder.
        tuner: the keras-tuner `Tuner`, for its own API
            (`results_summary()`, `get_best_models(n)`, ...).
    """

    best_hyperparameters: dict
    best_score: float
    objective: tuple
    table: list
    path: str
    tuner: Tuner

    @functools.cached_property
    def best_model(self):
        """The best trial's model with its best validation weights (loaded
        on first use)."""
        return self.tuner.get_best_models(1)[0]

    def summary(self, rows=5):
        """The search in a few lines: the best trial, its settings and the
        `rows` best trials of the table."""
        name, direction = self.objective
        done = [row for row in self.table if row["status"] == "COMPLETED"]
        lines = [
            f"Search in {self.path}: {len(self.table)} trials, "
            f"{len(done)} completed; objective {name} ({direction}).",
            f"Best {name}: {self.best_score:.6g}",
            "Best settings (train(**best_hyperparameters)):",
        ]
        lines += [
            f"  {key}={value!r}"
            for key, value in sorted(self.best_hyperparameters.items())
        ]
        best = sorted(done, key=lambda row: row[name])
        if direction == "max":
            best.reverse()
        lines.append(f"Best trials (all in {CSV_NAME}):")
        for row in best[:rows]:
            searched = ", ".join(
                f"{key}={value}"
                for key, value in row.items()
                if key not in ("trial", "status", name, "train_seconds")
                and value != ""
            )
            lines.append(f"  trial {row['trial']}: {name}={row[name]:.6g}")
            lines.append(f"    {searched}")
        return "\n".join(lines)


CSV_NAME = "trials.csv"


def recipe_tune(hypermodel_class):
    """The `tune()` of the recipe whose search space is
    `hypermodel_class`."""
    recipe = hypermodel_class.config.recipe
    objectives = list(hypermodel_class.objectives(hypermodel_class.config()))

    def tune(
        data="synthetic",
        tuner="bayesian",
        max_trials=None,
        directory=None,
        overwrite=False,
        objective=None,
        cells=None,
        factor=3,
        **fixed,
    ):
        return search(
            hypermodel_class(data, cells=cells, **fixed),
            tuner=tuner,
            max_trials=max_trials,
            directory=directory,
            overwrite=overwrite,
            objective=objective,
            factor=factor,
        )

    tune.__doc__ = TUNE_DOC.format(
        recipe=recipe.replace("_", " "),
        module=recipe,
        objectives=", ".join(f"`{name}`" for name in objectives),
    )
    tune.__module__ = f"recipes.{recipe}"
    return tune


TUNE_DOC = """Searches the {recipe} recipe's settings with keras-tuner.

    Each trial is one `train()` run, in `<directory>/trial_<id>/run`; the
    space is `HyperModel`'s. A folder that holds a stopped search resumes
    it (an interrupted trial runs again, resuming its own run). Several
    machines search together in keras-tuner's chief/worker mode, chosen by
    its environment variables `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP`
    and `KERASTUNER_ORACLE_PORT` (see the README).

    Args:
        data: what `train()` takes as `data`. Defaults to `"synthetic"`.
        tuner: `"bayesian"` (Gaussian-process Bayesian optimisation),
            `"random"` or `"hyperband"`. Defaults to `"bayesian"`.
        max_trials: trials to run (None: 10). Hyperband is sized by
            `epochs` (its `max_epochs`) and `factor`, and trains each trial
            from scratch for the epochs of its round: there `max_trials`
            caps the trials of its schedule (None: the whole schedule).
            Defaults to `None`.
        directory: the search's folder (None: `runs/tune-{module}`).
            Defaults to `None`.
        overwrite: start over in a folder that holds a search, instead of
            resuming it. Defaults to `False`.
        objective: the metric to optimise, one of {objectives} (some
            depend on the settings). Defaults to `None` (the first).
        cells: the layer names searched (None: every name in
            `gatedkeras.layers.names()`). Defaults to `None`.
        factor: Hyperband's reduction factor between rounds. Defaults to
            `3`.
        **fixed: any setting of `Config`, the same in every trial (a
            searched one is then not searched), e.g. `epochs`,
            `batch_size`, `units`.

    Returns:
        A `recipes.tuning.TuneResult`: `best_hyperparameters` (what
        `train(data=data, **best_hyperparameters)` takes), `best_model`,
        `best_score`, `table` (also `trials.csv` in the folder) and
        `summary()`, which `tune` prints. `None` on a worker of a
        distributed search: the chief returns the result.

    >>> from recipes import {module}
    >>> result = {module}.tune(max_trials=20, epochs=3)  # doctest: +SKIP
    >>> {module}.train(**result.best_hyperparameters)  # doctest: +SKIP
    """


def search(
    hypermodel,
    tuner="bayesian",
    max_trials=None,
    directory=None,
    overwrite=False,
    objective=None,
    factor=3,
):
    """Searches `hypermodel`'s space with keras-tuner: what every
    recipe's `tune()` runs.

    Args:
        hypermodel: a recipe's `HyperModel`.
        tuner: `"bayesian"` (Gaussian-process Bayesian optimisation),
            `"random"` or `"hyperband"`. Defaults to `"bayesian"`.
        max_trials: the number of trials. Hyperband is sized by `epochs`
            (its `max_epochs`) and `factor`, not by a number of trials:
            there `max_trials` caps the trials its schedule runs (None:
            the whole schedule). Defaults to `None` (10 trials for
            "bayesian" and "random").
        directory: the search's folder (None: `runs/tune-<recipe>`). A
            folder holding a search resumes it. Defaults to `None`.
        overwrite: start over in a folder that holds a search. Defaults
            to `False`.
        objective: a metric the recipe reports (None: the recipe's
            default). Defaults to `None`.
        factor: Hyperband's reduction factor between rounds. Defaults to
            `3`.

    Returns:
        A `TuneResult`, or `None` on a worker of a distributed search (the
        chief's `search` returns the result).
    """
    if tuner not in TUNERS:
        raise ValueError(
            f"`tuner` must be one of {TUNERS}. Received: tuner={tuner!r}"
        )
    if max_trials is not None and (
        isinstance(max_trials, bool)
        or not isinstance(max_trials, int)
        or max_trials < 1
    ):
        raise ValueError(
            "`max_trials` must be an integer >= 1 or None. Received: "
            f"max_trials={max_trials!r}"
        )
    objectives = hypermodel.objectives(hypermodel.defaults)
    if objective is None:
        objective = next(iter(objectives))
    if objective not in objectives:
        raise ValueError(
            f"The {hypermodel.name} recipe does not report the objective "
            f"{objective!r} with these settings. Known: {list(objectives)}. "
            f"Received: objective={objective!r}"
        )
    recipe = hypermodel.config.recipe
    path = directory or os.path.join("runs", f"tune-{recipe}")
    path = os.path.normpath(path)
    _check_resume(path, hypermodel, tuner, objective, overwrite)
    goal = keras_tuner.Objective(objective, objectives[objective])
    seed = hypermodel.defaults.seed
    fixed = hypermodel.fixed_hyperparameters()
    if tuner == "hyperband":
        oracle = keras_tuner.oracles.HyperbandOracle(
            goal,
            max_epochs=hypermodel.defaults.epochs,
            factor=factor,
            seed=seed,
            hyperparameters=fixed,
        )
        # keras-tuner's Hyperband oracle takes no max_trials, but every
        # oracle stops creating trials at its `max_trials`.
        oracle.max_trials = max_trials
    else:
        oracle_class = {
            "bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
            "random": keras_tuner.oracles.RandomSearchOracle,
        }[tuner]
        oracle = oracle_class(
            goal,
            max_trials=max_trials or DEFAULT_MAX_TRIALS,
            seed=seed,
            hyperparameters=fixed,
        )
    runner = Tuner(
        oracle,
        hypermodel,
        directory=os.path.dirname(path) or ".",
        project_name=os.path.basename(path),
        overwrite=overwrite,
    )
    _record_search(path, hypermodel, tuner, objective)
    verbose = hypermodel.defaults.fit_verbose
    runner.search(verbose=0 if verbose == 0 else 1)
    if not isinstance(runner.oracle, keras_tuner.Oracle):
        # A worker: the chief holds the trials (and may have gone).
        return None
    result = _result(runner, path, goal)
    print(result.summary())
    return result


def _search_record(hypermodel, tuner, objective):
    # What a resumed search must share with the stopped one.
    return {
        "recipe": hypermodel.config.recipe,
        "tuner": tuner,
        "objective": objective,
        "cells": hypermodel.cells,
        "data": str(hypermodel.data),
        "fixed": json.loads(json.dumps(hypermodel.fixed, default=str)),
    }


def _check_resume(path, hypermodel, tuner, objective, overwrite):
    record = os.path.join(path, "search.json")
    if overwrite or not os.path.exists(record):
        return
    with open(record) as f:
        previous = json.load(f)
    current = _search_record(hypermodel, tuner, objective)
    changed = sorted(k for k in current if previous.get(k) != current[k])
    if changed:
        raise ValueError(
            f"'{path}' holds a search with other settings ({changed}); "
            "resume it with the same ones, pass `overwrite=True` to start "
            "over, or choose another `directory`. Received: "
            + ", ".join(f"{k}={current[k]!r}" for k in changed)
        )


def _record_search(path, hypermodel, tuner, objective):
    os.makedirs(path, exist_ok=True)
    record = os.path.join(path, "search.json")
    # The chief and each worker of a distributed search write here: each
    # its own partial file, so one replace never moves another's.
    partial = f"{record}.{os.getpid()}.partial"
    with open(partial, "w") as f:
        json.dump(_search_record(hypermodel, tuner, objective), f, indent=2)
    os.replace(partial, record)


def _result(search, path, goal):
    # Trial ids are numbers, zero-padded to the digits of max_trials,
    # which a resumed search may raise.
    trials = sorted(
        search.oracle.trials.values(), key=lambda t: int(t.trial_id)
    )
    table = [_row(trial, goal.name) for trial in trials]
    _write_csv(os.path.join(path, CSV_NAME), table)
    best = search.oracle.get_best_trials(1)
    if not best:
        raise RuntimeError(
            f"No trial of the search in '{path}' completed; see the errors "
            "keras-tuner printed for each trial."
        )
    return TuneResult(
        best_hyperparameters=search.best_settings(best[0]),
        best_score=best[0].score,
        objective=(goal.name, goal.direction),
        table=table,
        path=path,
        tuner=search,
    )


def _row(trial, objective):
    hp = trial.hyperparameters
    row = {"trial": trial.trial_id, "status": trial.status}
    metrics = trial.metrics
    for name in (objective, "train_seconds"):
        value = metrics.get_last_value(name) if metrics.exists(name) else None
        row[name] = math.nan if value is None else float(value)
    for item in hp.space:
        active = hp.is_active(item) and item.name in hp.values
        row[item.name] = hp.values[item.name] if active else ""
    return row


def _write_csv(path, table):
    names = []
    for row in table:
        names += [name for name in row if name not in names]
    partial = f"{path}.{os.getpid()}.partial"  # as in `_record_search`
    with open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, names, restval="")
        writer.writeheader()
        writer.writerows(table)
    os.replace(partial, path)
