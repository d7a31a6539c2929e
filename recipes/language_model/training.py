"""`train()`: data, model, truncated backpropagation through time, resume.

Two batchings. "contiguous" cuts the token stream into `batch_size`
parallel streams; batch k holds window k of every stream and the final
states of one batch start the next (truncated BPTT with the state carried,
as Zaremba et al. 2014), reset at each epoch. "windows" trains on shuffled
independent windows from a zero state.

A run keeps everything in its output folder: `model.keras` (the best
validation checkpoint so far, written to a temporary file and moved into
place, so an interruption never leaves half a model), `backup/`
(`keras.callbacks.BackupAndRestore`: calling `train()` again with the same
folder resumes where the run stopped), `logs/` (TensorBoard), the
tokenizer and settings, and `metrics.json` when it ends.
"""

import dataclasses
import time

import keras
import numpy as np
from keras import ops

from gatedkeras.data import text as text_source
from gatedkeras.data.tokenizer import Tokenizer
from recipes import callbacks as recipe_callbacks
from recipes import distribution
from recipes import optimization
from recipes import run_folder
from recipes.language_model import inference
from recipes.language_model import probes
from recipes.language_model.config import Config
from recipes.language_model.model import LanguageModel


@dataclasses.dataclass
class TrainResult:
    """What `train()` returns.

    Args:
        model: the `LanguageModel` with the best validation weights.
        history: per-epoch logs, as `keras.callbacks.History.history`.
        metrics: validation (and test, where the data has it) loss in nats
            per token, perplexity and, at char level, bits per character,
            from one contiguous pass with the state carried; also the mean
            over independent windows of `validation_length` tokens, the
            training time and the steps run.
        path: the run's output folder.
    """

    model: LanguageModel
    history: dict
    metrics: dict
    path: str


def train(data="synthetic", level="char", cell="lstm", **settings):
    """Trains a recurrent language model on `data` with any cell.

    Args:
        data: `"synthetic"` (the package's generated corpus, the offline
            default), a text file, a folder or list of split files
            (Penn Treebank layout), or `"tfds:<name>"`; see
            `gatedkeras.data.text`. Defaults to `"synthetic"`.
        level: `"char"` or `"word"`. Defaults to `"char"`.
        cell: any name in `gatedkeras.layers.names()`. Defaults to
            `"lstm"`.
        **settings: any field of `Config` (units, num_layers, dropout,
            sequence_length, batch_size, epochs, optimizer, learning_rate,
            schedule, clipnorm, tie_weights, seed, output_dir, ...).

    Returns:
        A `TrainResult` with `model`, `history`, `metrics` and `path`.

    >>> result = train(epochs=1, units=32, num_layers=1)  # doctest: +SKIP
    >>> result.metrics["val_bits_per_character"]  # doctest: +SKIP
    """
    config = Config.make(level=level, cell=cell, **settings)
    started = time.time()
    with config.scope():
        return _train(data, config, started)


def _train(data, config, started):
    splits = text_source.load(data, config.level, seed=config.seed)
    path = run_folder.prepare(config, ["tokenizer.json"])
    tokenizer = run_folder.cached(
        path,
        "tokenizer.json",
        lambda: Tokenizer.adapt(
            splits.train, config.level, max_tokens=config.max_vocabulary
        ),
        Tokenizer.from_config,
    )
    ids = {"train": tokenizer.encode(splits.train)}
    ids["valid"] = tokenizer.encode(splits.valid)
    if splits.test is not None:
        ids["test"] = tokenizer.encode(splits.test)
    train_data = _training_batches(ids["train"], config)
    valid_data = _windows(ids["valid"], config.validation_length)
    if valid_data is None:
        raise ValueError(
            f"The validation text has {len(ids['valid'])} tokens, fewer than "
            f"validation_length + 1 = {config.validation_length + 1}. Use "
            "more validation text or a shorter `validation_length`."
        )
    valid_x, valid_y = valid_data

    with config.distribution_scope():
        model = LanguageModel(
            tokenizer,
            cell=config.cell,
            units=config.units,
            num_layers=config.num_layers,
            embedding_dim=config.embedding_dim,
            dropout=config.dropout,
            tie_weights=config.tied,
            cell_options=config.cell_options,
            init_scale=config.init_scale,
        )
        carry = config.batching == "contiguous"
        trainer = StateCarryingTrainer(model, config.batch_size, carry)
        trainer.build()
        steps = config.steps_per_epoch or train_data.steps
        trainer.compile(
            optimizer=optimization.optimizer(config, steps * config.epochs),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=config.fit_jit_compile,
        )
        history = recipe_callbacks.fit(
            trainer,
            config,
            path,
            model,
            train_data.dataset(config.seed),
            _validation_batches(valid_x, valid_y, config.batch_size),
            first_callbacks=[ResetStates(trainer)] if carry else (),
        )
    metrics = _final_metrics(model, ids, config)
    if data == "synthetic":
        metrics.update(_synthetic_metrics(model, splits, config))
    run_folder.finish(path, metrics, history, started, steps)
    return TrainResult(model, history.history, metrics, path)


@keras.saving.register_keras_serializable(package="gatedkeras")
class StateCarryingTrainer(keras.Model):
    """Trains a `LanguageModel`, carrying its states across batches.

    In training with `carry_state=True` the final states of a batch are
    kept in non-trainable variables (without gradient: the truncation of
    truncated BPTT) and start the next batch; row i of every batch must
    continue row i of the previous one. In inference it calls the model
    from a zero state, so Keras's validation sees independent windows.

    Under a `tf.distribute` strategy (create the trainer in its scope) each
    replica carries the states of its own rows: the variables hold one
    replica's slice of the batch and are synchronised on read, so every
    replica keeps its own copy. The strategy gives each replica the same
    slice of every batch (rows `r * B / R` to `(r + 1) * B / R` of the
    global batch `B` on replica `r` of `R`), so each row still continues
    itself. On JAX the variables hold the whole batch, as one device's do.

    Args:
        language_model: the `LanguageModel` to train.
        batch_size: the fixed number of rows per (global) batch.
        carry_state: whether states carry across training batches.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(self, language_model, batch_size, carry_state, **kwargs):
        super().__init__(**kwargs)
        self.language_model = language_model
        self.batch_size = batch_size
        self.carry_state = carry_state
        self.state_variables = []
        if carry_state:
            rows = distribution.replica_batch_size(batch_size)
            for index, states in enumerate(
                language_model.get_initial_state(rows)
            ):
                self.state_variables.append(
                    [
                        keras.Variable(
                            ops.zeros(state.shape, "float32"),
                            trainable=False,
                            autocast=False,
                            # One copy per replica; a read outside the
                            # step (a backup) sees the first replica's.
                            synchronization="on_read",
                            aggregation="only_first_replica",
                            name=f"carried_state_{index}_{i}",
                        )
                        for i, state in enumerate(states)
                    ]
                )

    def build(self, input_shape=None):
        if not self.language_model.built:
            self.language_model.build()
        self.built = True

    def call(self, token_ids, training=False):
        if not (training and self.carry_state):
            return self.language_model(token_ids, training=training)
        dtype = self.language_model.compute_dtype
        # A copy: the variables are overwritten below, before the
        # backward pass that (on PyTorch) holds these tensors.
        states = [
            [ops.copy(ops.cast(v.value, dtype)) for v in layer]
            for layer in self.state_variables
        ]
        logits, final = self.language_model(
            token_ids, initial_state=states, training=True, return_state=True
        )
        for variables, values in zip(self.state_variables, final):
            for variable, value in zip(variables, values):
                variable.assign(ops.stop_gradient(ops.cast(value, "float32")))
        return logits

    def reset_states(self):
        for variables in self.state_variables:
            for variable in variables:
                variable.assign(ops.zeros(variable.shape, variable.dtype))


class ResetStates(keras.callbacks.Callback):
    """Zeroes the carried states at the start of every epoch."""

    def __init__(self, trainer):
        super().__init__()
        self.trainer = trainer

    def on_epoch_begin(self, epoch, logs=None):
        self.trainer.reset_states()


@dataclasses.dataclass
class _Batches:
    x: np.ndarray
    y: np.ndarray
    shuffle: bool
    batch_size: int

    @property
    def steps(self):
        if self.shuffle:
            return len(self.x) // self.batch_size
        return len(self.x)

    def dataset(self, seed):
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices((self.x, self.y))
        if self.shuffle:
            data = data.shuffle(len(self.x), seed=seed).batch(
                self.batch_size, drop_remainder=True
            )
        return _without_autotuning(data.prefetch(2))


def _training_batches(ids, config):
    length, batch = config.sequence_length, config.batch_size
    if config.batching == "windows":
        windows = _windows(ids, length)
        if windows is None or len(windows[0]) < batch:
            raise ValueError(
                f"The training text has {len(ids)} tokens: too few for one "
                f"batch of {batch} windows of {length} + 1 tokens. Use more "
                "text, a smaller `batch_size` or `sequence_length`."
            )
        return _Batches(*windows, shuffle=True, batch_size=batch)
    stream = (len(ids) - 1) // batch
    count = stream // length
    if count < 1:
        raise ValueError(
            f"The training text has {len(ids)} tokens: too few for "
            f"{batch} streams of {length} + 1 tokens. Use more text, a "
            "smaller `batch_size` or `sequence_length`."
        )
    x = ids[: batch * stream].reshape(batch, stream)
    y = ids[1 : batch * stream + 1].reshape(batch, stream)
    cut = count * length
    # (count, batch, length): element k is window k of every stream.
    x = x[:, :cut].reshape(batch, count, length).transpose(1, 0, 2)
    y = y[:, :cut].reshape(batch, count, length).transpose(1, 0, 2)
    return _Batches(x, y, shuffle=False, batch_size=batch)


def _validation_batches(x, y, batch_size):
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    return _without_autotuning(data)


def _without_autotuning(data):
    # Keras makes a new iterator of the data each epoch, and deleting the
    # old one waits for tf.data's autotuning thread, which is not woken and
    # sleeps on (about 36 s here): on PyTorch, epochs of 45 s took 83 s.
    # Batches already in memory have nothing to tune.
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)


def _windows(ids, length):
    count = (len(ids) - 1) // length
    if count < 1:
        return None
    x = ids[: count * length].reshape(count, length)
    y = ids[1 : count * length + 1].reshape(count, length)
    return x, y


def _final_metrics(model, ids, config):
    metrics = {}
    for split, prefix in (("valid", "val"), ("test", "test")):
        if split not in ids:
            continue
        for key, value in inference.evaluate_ids(model, ids[split]).items():
            metrics[f"{prefix}_{key}"] = value
    windowed = inference.evaluate_ids(
        model, ids["valid"], window=config.validation_length
    )
    for key, value in windowed.items():
        metrics[f"val_windowed_{key}"] = value
    return metrics


def _synthetic_metrics(model, splits, config):
    metrics = {
        "trigram_val_loss": round(
            probes.ngram_baseline(splits, config.level, order=3), 5
        )
    }
    if config.level == "char":
        accuracy = probes.agreement_accuracy(model)
        for depth, value in accuracy.items():
            metrics[f"agreement_accuracy_depth_{depth}"] = round(value, 3)
    return metrics
