"""`train()`: audio, the label set, the model, CTC, resume.

A run keeps everything in its output folder, as every recipe does
(`recipes.run_folder`): `model.keras` (the best validation checkpoint,
written atomically), `backup/` (`keras.callbacks.BackupAndRestore`: calling
`train()` again with the same folder resumes where the run stopped),
`logs/` (TensorBoard), `labels.json` (the classes or transcript symbols,
kept when a run resumes), `config.json` and, when it ends, `metrics.json`.
"""

import dataclasses
import time
import warnings

import keras
from keras import ops

from gatedkeras.data import audio
from recipes import callbacks as recipe_callbacks
from recipes import distribution
from recipes import optimization
from recipes import run_folder
from recipes.speech import batches
from recipes.speech import inference
from recipes.speech.config import Config
from recipes.speech.model import SpeechModel
from recipes.speech.model import symbols as model_symbols


@dataclasses.dataclass
class TrainResult:
    """What `train()` returns.

    Args:
        model: the `SpeechModel` with the best validation weights.
        history: per-epoch logs, as `keras.callbacks.History.history`.
        metrics: `val_*` and `test_*` scores from `evaluate` (accuracy, or
            WER and CER, and loss), the training time, the epochs run and
            the training clips left out (`left_out_*`).
        path: the run's output folder.
    """

    model: SpeechModel
    history: dict
    metrics: dict
    path: str


def train(task="classify", data="synthetic", cell="gru", **settings):
    """Trains a spoken-word classifier or a CTC transcriber on raw audio.

    Args:
        task: `"classify"` (one label per clip) or `"transcribe"` (a
            sequence of words or characters per clip, trained with CTC).
            Defaults to `"classify"`.
        data: `"synthetic"` (the package's generated speech, the offline
            default), a folder of wav files (FSDD names, or `labels_csv`),
            or `"tfds:<name>"`; see `gatedkeras.data.audio`. Single-digit
            clips are joined into connected-digit utterances to
            transcribe. Defaults to `"synthetic"`.
        cell: any name in `gatedkeras.layers.names()`. Defaults to
            `"gru"`.
        **settings: any field of `Config` (sample_rate, mel_bins,
            frame_length, frame_step, time_masks, frequency_masks,
            conv_filters, subsampling, units, num_layers, bidirectional,
            dropout, batch_size, epochs, optimizer, learning_rate,
            clipnorm, split_by, test_speakers, seed, output_dir, ...).

    Returns:
        A `TrainResult` with `model`, `history`, `metrics` and `path`.

    >>> result = train(epochs=1, units=16)  # doctest: +SKIP
    >>> result.metrics["test_accuracy"]  # doctest: +SKIP
    """
    config = Config.make(task=task, cell=cell, **settings)
    started = time.time()
    with config.scope():
        return _train(data, config, started)


@keras.saving.register_keras_serializable(package="gatedkeras")
class SpeechTrainer(keras.Model):
    """Trains a `SpeechModel` without making it the compiled model, so that
    its checkpoints carry no optimizer state; computes the CTC loss, which
    needs each clip's frame count, from the inputs.

    Args:
        speech_model: the `SpeechModel`.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(self, speech_model, **kwargs):
        super().__init__(**kwargs)
        self.speech_model = speech_model

    def build(self, input_shape=None):
        if not self.speech_model.built:
            self.speech_model.build()
        self.built = True

    def call(self, inputs, training=False):
        return self.speech_model(inputs, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if self.speech_model.task == "classify":
            return super().compute_loss(
                x, y, y_pred, sample_weight, training=training
            )
        losses = self.speech_model.ctc_loss(x[1], y, y_pred)
        # The mean over the clips of the global batch, as this replica's
        # share of it under a strategy.
        loss = distribution.global_mean(ops.sum(losses), ops.shape(losses)[0])
        for extra in self.losses:
            extra = distribution.replica_share(ops.sum(extra))
            loss = loss + ops.cast(extra, loss.dtype)
        return loss


def _train(data, config, started):
    splits = audio.load(data, **config.load_options())
    path = run_folder.prepare(config, ["labels.json"])
    labels = run_folder.cached(
        path,
        "labels.json",
        lambda: _Labels(_label_set(splits.train, config)),
        lambda saved: _Labels(saved["labels"]),
    ).labels
    with config.distribution_scope():
        model = SpeechModel(
            labels,
            task=config.task,
            level=config.level,
            cell=config.cell,
            sample_rate=config.sample_rate,
            mel_bins=config.mel_bins,
            frame_length=config.frame_length,
            frame_step=config.frame_step,
            time_masks=config.time_masks,
            time_mask_frames=config.time_mask_frames,
            time_mask_ratio=config.time_mask_ratio,
            frequency_masks=config.frequency_masks,
            frequency_mask_bins=config.frequency_mask_bins,
            frequency_warp=config.frequency_warp,
            noise_snr=config.noise_snr,
            conv_filters=config.conv_filters,
            subsampling=config.subsampling,
            units=config.units,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            dropout=config.dropout,
            cell_options=config.cell_options,
            seed=config.seed,
        )
        bucket = batches.bucket_samples(model, config.bucket_seconds)
        train_clips = batches.encode(model, splits.train)
        valid_clips = batches.encode(model, splits.valid)
        for name, encoded, clips in (
            ("training", train_clips, splits.train),
            ("validation", valid_clips, splits.valid),
        ):
            _warn_left_out(name, encoded, clips)
        if not len(train_clips):
            raise ValueError(
                "No training clip can be trained on: "
                f"{train_clips.left_out}. Received: data={data!r}"
            )
        train_data = batches.dataset(
            train_clips,
            config.batch_size,
            bucket,
            shuffle=True,
            seed=config.seed,
            speed=config.speed_perturbation,
        )
        valid_data = (
            batches.dataset(valid_clips, config.batch_size, bucket)
            if len(valid_clips)
            else None
        )
        trainer = SpeechTrainer(model)
        trainer.build()
        steps = config.steps_per_epoch or batches.steps(
            train_clips, config.batch_size, bucket
        )
        classify = config.task == "classify"
        trainer.compile(
            optimizer=optimization.optimizer(config, steps * config.epochs),
            loss=(
                keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                if classify
                else None
            ),
            metrics=["accuracy"] if classify else None,
            jit_compile=config.fit_jit_compile,
        )
        history = recipe_callbacks.fit(
            trainer, config, path, model, train_data, valid_data
        )
    metrics = {}
    for name, prefix in (("valid", "val"), ("test", "test")):
        clips = getattr(splits, name)
        if len(clips):
            scores = inference.score_clips(
                model, clips, beam_width=config.beam_width
            )
            metrics.update({f"{prefix}_{k}": v for k, v in scores.items()})
    for reason, count in train_clips.left_out.items():
        metrics[f"left_out_{reason}"] = count
    run_folder.finish(path, metrics, history, started, steps)
    return TrainResult(model, history.history, metrics, path)


@dataclasses.dataclass
class _Labels:
    # `run_folder.cached` keeps what has `get_config`.
    labels: list

    def get_config(self):
        return {"labels": self.labels}


def _label_set(clips, config):
    """The classes, or the transcript symbols, of the training clips."""
    if config.task == "classify":
        found = set(clips.labels)
    else:
        found = {
            symbol
            for label in clips.labels
            for symbol in model_symbols(label, config.level)
        }
    if not found:
        raise ValueError(
            f"The training clips have no labels. Received: {len(clips)} clips"
        )
    return sorted(found, key=_natural)


def _natural(label):
    # Digits in numeric order ("2" before "10"), then names.
    return (0, int(label), "") if label.isdigit() else (1, 0, label)


def _warn_left_out(name, encoded, clips):
    if encoded.left_out["unknown_label"]:
        warnings.warn(
            f"{encoded.left_out['unknown_label']} of {len(clips)} {name} "
            "clips have a label, or transcript symbol, that no training "
            "clip has: the loss leaves them out; accuracy and WER count "
            "them as errors.",
            stacklevel=4,
        )
    if encoded.left_out["too_short"]:
        warnings.warn(
            f"{encoded.left_out['too_short']} of {len(clips)} {name} clips "
            "are too short for CTC to align their transcript to their "
            "frames (one frame per symbol, plus one between repeats): the "
            "loss leaves them out. A smaller `frame_step` or "
            "`subsampling` gives more frames.",
            stacklevel=4,
        )
