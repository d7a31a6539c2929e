"""Carries an unfinished recipe run to the next session through git.

A run folder (`runs/...`) resumes with `keras.callbacks.BackupAndRestore`,
but only on a machine that still has it, and these machines are not kept
between sessions. `save` copies what a resume needs into a folder small
enough to commit: the settings, the vocabulary, the backup's training
position, and its weights in float16 (half the size; rounding changes a
weight by at most 2**-11 of itself, less than one SGD step typically
moves it). `restore` writes them back as a run folder with a float32
backup, which the recipe's command resumes. The best checkpoint
(`model.keras`) is left behind: the resumed run starts its best-checkpoint
record afresh.

    python benchmarks/run_snapshot.py save runs/ptb_medium \
        benchmarks/snapshots/ptb_medium
    python benchmarks/run_snapshot.py restore \
        benchmarks/snapshots/ptb_medium runs/ptb_medium
"""

import argparse
import os
import shutil

import h5py
import numpy as np

FILES = ("config.json", "tokenizer.json")
BACKUP = ("latest.weights.h5", "training_metadata.json")


def save(run, snapshot):
    backup = os.path.join(run, "backup")
    missing = [
        name
        for name in [*FILES, *(os.path.join("backup", b) for b in BACKUP)]
        if not os.path.exists(os.path.join(run, name))
    ]
    if missing:
        raise ValueError(
            f"'{run}' is not an unfinished run folder: it lacks {missing}. "
            f"Received: run={run!r}"
        )
    partial = snapshot + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    _copy_run(run, backup, partial, partial, "float16")
    shutil.rmtree(snapshot, ignore_errors=True)
    os.replace(partial, snapshot)


def restore(snapshot, run):
    if os.path.exists(os.path.join(run, "backup")):
        raise ValueError(
            f"'{run}' already holds a backup; resume it as it is, or remove "
            f"it first. Received: run={run!r}"
        )
    backup = os.path.join(run, "backup")
    os.makedirs(backup)
    _copy_run(snapshot, snapshot, run, backup, "float32")


def _copy_run(folder, backup, to_folder, to_backup, float_dtype):
    """Settings and vocabulary from `folder` to `to_folder`, the backup
    from `backup` to `to_backup`, its weights cast to `float_dtype`."""
    for name in FILES:
        shutil.copy(os.path.join(folder, name), to_folder)
    shutil.copy(os.path.join(backup, BACKUP[1]), to_backup)
    _copy_weights(
        os.path.join(backup, BACKUP[0]),
        os.path.join(to_backup, BACKUP[0]),
        float_dtype,
    )


def _copy_weights(source, target, float_dtype):
    """The Keras weights file `source` as `target`, its floating-point
    arrays (not the step counters) cast to `float_dtype`."""
    with h5py.File(source, "r") as old, h5py.File(target, "w") as new:
        old.visititems(lambda name, item: _copy(name, item, new, float_dtype))
        for key, value in old.attrs.items():
            new.attrs[key] = value


def _copy(name, item, new, float_dtype):
    if isinstance(item, h5py.Group):
        group = new.require_group(name)
        for key, value in item.attrs.items():
            group.attrs[key] = value
        return
    data = item[()]
    if np.issubdtype(item.dtype, np.floating) and data.ndim:
        data = data.astype(float_dtype)
    new.create_dataset(name, data=data)
    for key, value in item.attrs.items():
        new[name].attrs[key] = value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("save", "restore"))
    parser.add_argument("source")
    parser.add_argument("target")
    args = parser.parse_args()
    {"save": save, "restore": restore}[args.what](args.source, args.target)


if __name__ == "__main__":
    main()
