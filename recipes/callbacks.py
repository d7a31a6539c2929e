"""How every recipe runs `fit`: the callbacks it adds (timing, a time
budget, a stop at the first non-finite loss, the best checkpoint written
atomically, resume, TensorBoard) and the best weights restored at the
end."""

import json
import math
import os
import time
import warnings

import keras

from recipes import distribution
from recipes import optimization
from recipes import run_folder


def standard(config, path, model):
    """The callbacks every recipe's `fit` runs, in order, and the best
    checkpoint among them: epoch timing, `BackupAndRestore` in
    `path/backup`, the best `model` in `path/model.keras`, the learning-rate
    schedule, the time budget and TensorBoard logs in `path/logs`, as
    `config` asks. Training stops at the first NaN or infinite loss: the
    steps after it would only train NaN weights, and the best checkpoint
    from before it is what `fit` restores."""
    best = BestCheckpoint(model, os.path.join(path, "model.keras"))
    callbacks = [
        EpochTimer(),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.BackupAndRestore(os.path.join(path, "backup")),
        best,
    ]
    callbacks += optimization.schedule_callbacks(config)
    if config.time_budget:
        callbacks.append(TimeBudget(config.time_budget * 60))
    if config.tensorboard:
        callbacks.append(
            keras.callbacks.TensorBoard(os.path.join(path, "logs"))
        )
    return callbacks, best


def fit(
    trainer,
    config,
    path,
    model,
    train_data,
    validation_data,
    first_callbacks=(),
    **options,
):
    """Runs `trainer.fit` over `train_data` as `config` asks, with the
    `standard` callbacks (after `first_callbacks`), then loads the best
    checkpoint's weights into `model`.

    Call it inside `config.distribution_scope()`, where `trainer` was
    created and compiled: on several replicas every batch is cut to a
    multiple of them (`recipes.distribution.even_batches`).

    Args:
        trainer: the compiled `keras.Model` that trains `model`.
        config: the recipe's `TrainingConfig`.
        path: the run folder.
        model: the model whose best weights are kept.
        train_data: a `tf.data.Dataset` of one epoch.
        validation_data: a `tf.data.Dataset` of batches, or `None`.
        first_callbacks: callbacks to run before the standard ones.
            Defaults to `()`.
        **options: further arguments of `fit`.

    Returns:
        The `keras.callbacks.History`.
    """
    callbacks, best = standard(config, path, model)
    train_data = distribution.even_batches(train_data)
    validation_data = distribution.even_batches(validation_data)
    if config.steps_per_epoch:
        # Keras epochs then end at steps_per_epoch, wherever that falls in
        # the data, and the next one goes on from there.
        train_data = train_data.repeat()
    with warnings.catch_warnings():
        # Keras says an input "ran out of data" whenever a dataset of
        # unknown length ends (cut batches have one); here training data
        # repeats when steps_per_epoch is set, so only whole passes end.
        warnings.filterwarnings("ignore", "Your input ran out of data")
        history = trainer.fit(
            train_data,
            epochs=config.epochs,
            steps_per_epoch=config.steps_per_epoch,
            validation_data=validation_data,
            shuffle=False,
            callbacks=[*first_callbacks, *callbacks],
            verbose=config.fit_verbose,
            **options,
        )
    best.restore_best()
    return history


class EpochTimer(keras.callbacks.Callback):
    """Adds `epoch_seconds` (training and validation) to the epoch logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.time() - self.start


class TimeBudget(keras.callbacks.Callback):
    """Stops training once `seconds` of training have passed.

    The clock counts this call of `fit` only (a resumed run gets a new
    budget). The epoch in progress ends after the current step, with its
    validation, checkpoint and backup, as any other.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if time.time() - self.start > self.seconds:
            self.model.stop_training = True


class BestCheckpoint(keras.callbacks.Callback):
    """Saves a model whenever `val_loss` improves, atomically.

    `.keras` saving writes in place, so the model goes to a temporary file
    that is then moved over the checkpoint: an interruption leaves the
    previous checkpoint whole. The best value is kept beside it, so a
    resumed run does not replace a better checkpoint with a worse one.

    Args:
        model: the model to save (not the trainer: no optimizer state).
        path: the `.keras` file.
        monitor: the log entry to minimise. Defaults to `"val_loss"`.
    """

    def __init__(self, model, path, monitor="val_loss"):
        super().__init__()
        self.model_to_save = model
        self.path = path
        self.monitor = monitor
        self.best = math.inf
        if os.path.exists(self._record):
            with open(self._record) as f:
                self.best = json.load(f)[monitor]

    @property
    def _record(self):
        return self.path[: -len(".keras")] + ".best.json"

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not value < self.best:
            return
        self.best = float(value)
        run_folder.save_atomically(self.model_to_save, self.path)
        run_folder.write_json_atomically(
            self._record, {self.monitor: self.best, "epoch": epoch + 1}
        )

    def restore_best(self):
        """Loads the best checkpoint's weights into the model, if any."""
        if os.path.exists(self.path):
            best = keras.saving.load_model(self.path, compile=False)
            self.model_to_save.set_weights(best.get_weights())
