"""`train()`: data, a shared subword vocabulary, the model, resume.

A run keeps everything in its output folder, as every recipe does
(`recipes.run_folder`): `model.keras` (the best validation checkpoint,
written atomically), `backup/` (`keras.callbacks.BackupAndRestore`: calling
`train()` again with the same folder resumes where the run stopped),
`logs/` (TensorBoard), `tokenizer.json` (the SentencePiece model, kept when
a run resumes), `config.json` and, when it ends, `metrics.json`.
"""

import dataclasses
import time
import warnings

import keras
from keras import ops

from gatedkeras.data import parallel
from gatedkeras.data import synthetic_parallel
from gatedkeras.data.subword import SubwordTokenizer
from recipes import callbacks as recipe_callbacks
from recipes import distribution
from recipes import optimization
from recipes import run_folder
from recipes.translation import batches
from recipes.translation import inference
from recipes.translation.config import Config
from recipes.translation.model import Translator


@dataclasses.dataclass
class TrainResult:
    """What `train()` returns.

    Args:
        model: the `Translator` with the best validation weights.
        history: per-epoch logs, as `keras.callbacks.History.history`.
        metrics: `val_*` and (where the data has a test split) `test_*`
            scores from `evaluate`, greedy (`*_greedy_bleu`) and with the
            configured beam; on the synthetic corpus also the exact-match
            accuracy of each probed construction; the training time, the
            epochs run and the training pairs left out as too long.
        path: the run's output folder.
    """

    model: Translator
    history: dict
    metrics: dict
    path: str


def train(data="synthetic", cell="gru", attention="bahdanau", **settings):
    """Trains an attention encoder-decoder on `data` with any cell.

    Args:
        data: `"synthetic"` (the package's generated parallel corpus, the
            offline default), a folder in the Multi30k layout (with
            `source_language` and `target_language`), a dict of split
            files, or `"tfds:<name>[/<config>]"`; see
            `gatedkeras.data.parallel`. Defaults to `"synthetic"`.
        cell: any name in `gatedkeras.layers.names()`. Defaults to
            `"gru"`.
        attention: `"bahdanau"`, `"luong"` or `None`. Defaults to
            `"bahdanau"`.
        **settings: any field of `Config` (units, num_layers,
            embedding_dim, bidirectional, dropout, label_smoothing,
            tie_embeddings, vocabulary_size, max_length, batch_size,
            epochs, optimizer, learning_rate, schedule, clipnorm, seed,
            output_dir, ...).

    Returns:
        A `TrainResult` with `model`, `history`, `metrics` and `path`.

    >>> result = train(epochs=1, units=32)  # doctest: +SKIP
    >>> result.metrics["test_bleu"]  # doctest: +SKIP
    """
    config = Config.make(cell=cell, attention=attention, **settings)
    started = time.time()
    with config.scope():
        return _train(data, config, started)


@keras.saving.register_keras_serializable(package="gatedkeras")
class TranslationTrainer(keras.Model):
    """Trains a `Translator` without making it the compiled model, so that
    the checkpoints of the translator carry no optimizer state.

    Args:
        translator: the `Translator`.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(self, translator, **kwargs):
        super().__init__(**kwargs)
        self.translator = translator

    def build(self, input_shape=None):
        if not self.translator.built:
            self.translator.build()
        self.built = True

    def call(self, inputs, training=False):
        return self.translator(inputs, training=training)


class SmoothedCrossEntropy(keras.losses.Loss):
    """Cross-entropy with label smoothing over non-padding tokens.

    The mean over the batch's real tokens (not over padded positions, as a
    plain mean over the batch would give); with smoothing `e`, the target
    distribution puts `1 - e` on the reference token and spreads `e`
    evenly (Szegedy et al. 2016, arXiv 1512.00567).

    Args:
        label_smoothing: `e`, in [0, 1). Defaults to `0.0`.
        pad_id: the id of padding. Defaults to `0`.
        **kwargs: base `keras.losses.Loss` arguments.
    """

    def __init__(self, label_smoothing=0.0, pad_id=0, **kwargs):
        super().__init__(**kwargs)
        self.label_smoothing = label_smoothing
        self.pad_id = pad_id

    def call(self, y_true, y_pred):
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        nll = -ops.take_along_axis(
            log_probs, ops.expand_dims(ops.cast(y_true, "int32"), -1), axis=-1
        )[..., 0]
        if self.label_smoothing:
            uniform = -ops.mean(log_probs, axis=-1)
            nll = (1.0 - self.label_smoothing) * nll + (
                self.label_smoothing * uniform
            )
        weights = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        # Over the real tokens of the global batch, under a strategy too.
        return distribution.global_mean(
            ops.sum(nll * weights), ops.sum(weights)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "label_smoothing": self.label_smoothing,
            "pad_id": self.pad_id,
        }


def _train(data, config, started):
    splits = parallel.load(
        data,
        source_language=config.source_language,
        target_language=config.target_language,
        test_split=config.test_split,
        seed=config.seed,
    )
    path = run_folder.prepare(config, ["tokenizer.json"])
    tokenizer = run_folder.cached(
        path,
        "tokenizer.json",
        lambda: SubwordTokenizer.train(
            splits.train.sources + splits.train.targets,
            vocabulary_size=config.vocabulary_size,
            seed=config.seed,
        ),
        SubwordTokenizer.from_config,
    )
    sources, targets, skipped = batches.encode_pairs(
        tokenizer, splits.train, config.max_length
    )
    if not sources:
        raise ValueError(
            f"Every training pair is longer than max_length = "
            f"{config.max_length} subword tokens. Received: "
            f"max_length={config.max_length}"
        )
    if skipped:
        warnings.warn(
            f"{skipped} of {len(splits.train)} training pairs are longer "
            f"than max_length = {config.max_length} subword tokens and are "
            "left out of training (counted in metrics['skipped_pairs']).",
            stacklevel=3,
        )
    valid_sources, valid_targets, _ = batches.encode_pairs(
        tokenizer, splits.valid, config.max_length
    )
    train_data = batches.dataset(
        sources, targets, tokenizer, config.batch_size, True, config.seed
    )
    valid_data = batches.dataset(
        valid_sources, valid_targets, tokenizer, config.batch_size
    )
    with config.distribution_scope():
        model = Translator(
            tokenizer,
            cell=config.cell,
            attention=config.attention,
            units=config.units,
            num_layers=config.num_layers,
            embedding_dim=config.embedding_dim,
            bidirectional=config.bidirectional,
            dropout=config.dropout,
            tie_embeddings=config.tie_embeddings,
            cell_options=config.cell_options,
            max_length=config.max_length,
            source_language=splits.source_language,
            target_language=splits.target_language,
            seed=config.seed,
        )
        trainer = TranslationTrainer(model)
        trainer.build()
        steps = config.steps_per_epoch or int(train_data.cardinality())
        trainer.compile(
            optimizer=optimization.optimizer(config, steps * config.epochs),
            loss=SmoothedCrossEntropy(config.label_smoothing, tokenizer.pad_id),
            jit_compile=config.fit_jit_compile,
        )
        history = recipe_callbacks.fit(
            trainer, config, path, model, train_data, valid_data
        )
    metrics = _final_metrics(model, splits, config)
    if data == "synthetic":
        metrics.update(
            probe_accuracy(
                model, config.seed, num=config.evaluation_pairs or 500
            )
        )
    metrics["skipped_pairs"] = skipped
    run_folder.finish(path, metrics, history, started, steps)
    return TrainResult(model, history.history, metrics, path)


def _final_metrics(model, splits, config):
    metrics = {}
    for name, prefix in (("valid", "val"), ("test", "test")):
        pairs = getattr(splits, name)
        if pairs is None:
            continue
        scores = inference.score_pairs(
            model,
            pairs,
            beam_width=config.beam_width,
            limit=config.evaluation_pairs,
            length_penalty=config.length_penalty,
        )
        for key, value in scores.items():
            metrics[f"{prefix}_{key}"] = value
        if config.beam_width > 1:
            greedy = inference.score_pairs(
                model, pairs, beam_width=1, limit=config.evaluation_pairs
            )
            metrics[f"{prefix}_greedy_bleu"] = greedy["bleu"]
            metrics[f"{prefix}_greedy_bleu_tokenized"] = greedy[
                "bleu_tokenized"
            ]
    return metrics


def probe_accuracy(model, seed=0, num=500, beam_width=1):
    """Exact-match accuracy on the synthetic corpus's probes, per
    construction (`probe_accuracy_<construction>`): whether the model gets
    the reordering and agreement of each construction right."""
    probes = synthetic_parallel.probes(num, seed=seed)
    translations = inference.translate(
        model, [p.source for p in probes], beam_width=beam_width
    )
    correct, total = {}, {}
    for probe, translation in zip(probes, translations):
        name = probe.construction
        total[name] = total.get(name, 0) + 1
        correct[name] = correct.get(name, 0) + (translation == probe.target)
    return {
        f"probe_accuracy_{name}": round(correct[name] / total[name], 3)
        for name in synthetic_parallel.CONSTRUCTIONS
        if name in total
    }
