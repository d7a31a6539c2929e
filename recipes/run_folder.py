"""A training run's output folder: its settings, resume, atomic files.

Every recipe keeps a run in one folder: `config.json` (the settings),
`backup/` (`keras.callbacks.BackupAndRestore`), the best `model.keras`,
the preprocessing's state and `metrics.json`. Calling `train()` again with
the same folder resumes an unfinished run, and refuses other settings
rather than mixing two runs in one folder. Files are written to a
temporary name and moved into place with `os.replace`, so an interruption
never leaves half a file (`.keras` saving writes in place).
"""

import json
import os
import time

# Settings a resumed run may change: they do not change what is trained.
RESUMABLE = ("epochs", "output_dir", "overwrite", "verbose", "tensorboard")
# Dtype policies a resumed run may move between: each keeps float32
# weights and no loss scale, so the backup loads unchanged. A run started
# where bfloat16 arithmetic is fast can go on where it is emulated (25
# times slower on a CPU without AVX-512 BF16), and back.
INTERCHANGEABLE_POLICIES = (None, "float32", "mixed_bfloat16")
# The files of a finished run, removed when `overwrite=True` replaces it.
FINISHED = ("model.keras", "model.best.json", "metrics.json")


def prepare(config, preprocessing_files=()):
    """Creates or reopens the run folder of `config` and returns its path.

    Args:
        config: a `recipes.training_config.TrainingConfig`.
        preprocessing_files: names of files in the folder that hold fitted
            preprocessing (a vocabulary): removed with a finished run that
            `overwrite=True` replaces, kept when a run resumes.

    Returns:
        The folder's path, with `config.json` written.
    """
    path = config.output_dir or os.path.join(
        "runs",
        f"{config.recipe}-{config.cell}-{time.strftime('%Y%m%d-%H%M%S')}",
    )
    backup = os.path.join(path, "backup")
    settings_path = os.path.join(path, "config.json")
    settings = config.to_dict()
    if os.path.isdir(backup) and os.path.exists(settings_path):
        with open(settings_path) as f:
            previous = json.load(f)
        changed = sorted(
            key
            for key in settings
            if key not in RESUMABLE
            and previous.get(key) != settings[key]
            and not _interchangeable(key, previous.get(key), settings[key])
        )
        if changed:
            raise ValueError(
                f"'{path}' holds an unfinished run with other settings "
                f"({changed}); resume it with the same settings or choose "
                "another `output_dir`. Received: "
                + ", ".join(f"{k}={settings[k]!r}" for k in changed)
            )
    elif os.path.exists(os.path.join(path, "model.keras")):
        if not config.overwrite:
            raise ValueError(
                f"'{path}' already holds a finished model. Pass "
                "`overwrite=True` to replace it, or another `output_dir`. "
                f"Received: output_dir={path!r}"
            )
        for name in FINISHED + tuple(preprocessing_files):
            if os.path.exists(os.path.join(path, name)):
                os.remove(os.path.join(path, name))
    os.makedirs(path, exist_ok=True)
    write_json_atomically(settings_path, settings)
    return path


def _interchangeable(key, old, new):
    return (
        key == "dtype_policy"
        and old in INTERCHANGEABLE_POLICIES
        and new in INTERCHANGEABLE_POLICIES
    )


def finish(path, metrics, history, started, steps_per_epoch):
    """Adds the run's time, epochs and steps to `metrics` and writes them
    to `path/metrics.json`; returns `metrics`."""
    metrics["train_seconds"] = round(time.time() - started, 1)
    metrics["epochs"] = len(history.history.get("loss", []))
    metrics["steps_per_epoch"] = steps_per_epoch
    write_json_atomically(os.path.join(path, "metrics.json"), metrics)
    return metrics


def cached(path, name, build, from_config):
    """Preprocessing fitted once per run: read back when a run resumes.

    A resumed run must keep its vocabulary, whatever the data now holds.

    Args:
        path: the run folder.
        name: the JSON file in it, e.g. `"tokenizer.json"`.
        build: `build()` fits the object; it has `get_config()`.
        from_config: `from_config(config)` rebuilds it.
    """
    saved = os.path.join(path, name)
    if os.path.exists(saved):
        with open(saved) as f:
            return from_config(json.load(f))
    value = build()
    write_json_atomically(saved, value.get_config())
    return value


def save_atomically(model, path):
    """`model.save(path)` through a temporary file and `os.replace`."""
    partial = path[: -len(".keras")] + ".partial.keras"
    model.save(partial)
    os.replace(partial, path)


def write_json_atomically(path, value):
    """`json.dump(value)` to `path` through a temporary file."""
    partial = path + ".partial"
    with open(partial, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(partial, path)
