"""Classifying and transcribing raw audio, and scoring a model on a split."""

import os

import keras
import numpy as np
from keras import ops

from gatedkeras import metrics
from gatedkeras.data import audio as audio_source
from gatedkeras.engine.compiled import compile_function
from recipes.speech import batches

_BATCH = 32
# Inference pads clips to multiples of a quarter second: few shapes to
# compile, little padding.
_BUCKET_SECONDS = 0.25


def predict(model, audio):
    """Classifies clips of raw audio.

    Args:
        model: a `SpeechModel` with `task="classify"`.
        audio: a wav path, a 1-D NumPy array, a list of either, or a 2-D
            array or tensor `(clips, samples)`; arrays at the model's
            `sample_rate`, wav files at any rate (resampled).

    Returns:
        The label of each clip, a list of strings.

    >>> model = from_preset("fsdd_digits_gru")  # doctest: +SKIP
    >>> predict(model, ["3_theo_0.wav"])  # doctest: +SKIP
    ['3']
    """
    _check_task(model, "classify", "predict")
    return _decode(model, _waves(model, audio))


def transcribe(model, audio, beam_width=1):
    """Transcribes clips of raw audio with CTC decoding.

    Greedy decoding (`beam_width=1`) takes the best symbol of each frame,
    merges repeats and drops blanks; beam search (`keras.ops.ctc_decode`)
    keeps `beam_width` prefixes.

    Args:
        model: a `SpeechModel` with `task="transcribe"`.
        audio: as `predict` takes.
        beam_width: prefixes kept; `1` decodes greedily. Defaults to `1`.

    Returns:
        The transcript of each clip, a list of strings (words joined by
        spaces for a word-level model).

    >>> model = from_preset("fsdd_connected_digits_gru")  # doctest: +SKIP
    >>> transcribe(model, ["digits.wav"], beam_width=8)  # doctest: +SKIP
    ['3 1 4']
    """
    _check_task(model, "transcribe", "transcribe")
    _check_beam(beam_width)
    return _decode(model, _waves(model, audio), beam_width)


def evaluate(model, data="synthetic", split="test", beam_width=1, **options):
    """Scores a model on a split of an audio source.

    Args:
        model: a `SpeechModel`.
        data: `"synthetic"`, a folder of wav files, `"tfds:<name>"` (read
            at the model's sample rate, for its task) or a
            `gatedkeras.data.audio.Clips`. Defaults to `"synthetic"`.
        split: `"train"`, `"valid"` or `"test"`. Defaults to `"test"`.
        beam_width: the CTC beam; `1` decodes greedily. Defaults to `1`.
        **options: further arguments of `gatedkeras.data.audio.load`
            (`split_by`, `test_speakers`, `labels_csv`, ...), which must
            match how the model was trained for the split to be held out.

    Returns:
        A dict. To classify: `accuracy` (a fraction), `loss` (mean
        cross-entropy, nats) and `clips`. To transcribe: `wer` and `cer`
        (percent, jiwer), `loss` (mean CTC loss per clip) and `clips`.
        Clips with a label the model has no output for count as errors
        and are left out of the loss only.

    >>> evaluate(model, "data/fsdd", test_speakers=["theo"])  # doctest: +SKIP
    {'accuracy': 0.968, 'loss': 0.11, 'clips': 500}
    """
    if isinstance(data, audio_source.Clips):
        clips = data
    else:
        if split not in audio_source.SPLITS:
            raise ValueError(
                f"`split` must be one of {audio_source.SPLITS}. Received: "
                f"split={split!r}"
            )
        splits = audio_source.load(
            data, task=model.task, sample_rate=model.sample_rate, **options
        )
        clips = getattr(splits, split)
    _check_beam(beam_width)
    return score_clips(model, clips, beam_width)


def score_clips(model, clips, beam_width=1):
    """`evaluate` on a `gatedkeras.data.audio.Clips`."""
    if not len(clips):
        raise ValueError("Expected at least one clip to score. Received: 0")
    waves = [np.asarray(wave, "float32") for wave in clips.audio]
    index = batches.label_index(model)
    targets = [
        batches.target_of(model, index, wave, label)[0]
        for wave, label in zip(waves, clips.labels)
    ]
    outputs = [None] * len(waves)
    total, scored = 0.0, 0
    # One pass: the logits that are decoded also give the loss.
    for rows, logits, lengths in _decoded(model, waves, outputs, beam_width):
        keep = [k for k, row in enumerate(rows) if targets[row] is not None]
        if keep:
            total += _loss_sum(
                model,
                [targets[rows[k]] for k in keep],
                ops.take(logits, np.array(keep), axis=0),
                lengths[keep],
            )
            scored += len(keep)
    loss = total / scored if scored else float("nan")
    if model.task == "classify":
        correct = sum(o == r for o, r in zip(outputs, clips.labels))
        return {
            "accuracy": round(correct / len(clips), 4),
            "loss": round(loss, 5),
            "clips": len(clips),
        }
    references = [" ".join(label.split()) for label in clips.labels]
    return {
        "wer": metrics.wer(outputs, references),
        "cer": metrics.cer(outputs, references),
        "loss": round(loss, 5),
        "clips": len(clips),
    }


def _check_task(model, task, function):
    if getattr(model, "task", None) != task:
        raise ValueError(
            f"`{function}` needs a SpeechModel with task={task!r}. Received: "
            f"{type(model).__name__} with task="
            f"{getattr(model, 'task', None)!r}"
        )


def _check_beam(beam_width):
    if (
        isinstance(beam_width, bool)
        or not isinstance(beam_width, int)
        or beam_width < 1
    ):
        raise ValueError(
            "`beam_width` must be a positive integer. Received: "
            f"beam_width={beam_width!r}"
        )


def _waves(model, audio):
    """The clips of `audio` as float32 arrays at the model's rate."""
    if isinstance(audio, (str, os.PathLike)):
        audio = [audio]
    elif isinstance(audio, np.ndarray) and audio.ndim == 1:
        audio = [audio]
    elif not isinstance(audio, (list, tuple, np.ndarray)):
        try:
            audio = ops.convert_to_numpy(audio)
        except Exception:
            raise ValueError(
                "`audio` must be wav paths, NumPy arrays or a tensor batch "
                f"(clips, samples). Received: {type(audio).__name__}"
            ) from None
        if audio.ndim == 1:
            audio = [audio]
    waves = []
    for index, clip in enumerate(audio):
        if isinstance(clip, (str, os.PathLike)):
            wave = audio_source.read_wav(clip, model.sample_rate)
        else:
            wave = np.asarray(clip)
            if wave.ndim != 1 or not np.issubdtype(wave.dtype, np.number):
                raise ValueError(
                    "Each clip must be a 1-D array of samples or a wav "
                    f"path. Received: audio[{index}] of shape "
                    f"{wave.shape} and dtype {wave.dtype}"
                )
            wave = wave.astype("float32")
        if not len(wave):
            raise ValueError(
                f"Clip {index} is empty: expected at least one sample. "
                f"Received: audio[{index}] of length 0"
            )
        waves.append(wave)
    if not waves:
        raise ValueError("Expected at least one clip. Received: none")
    return waves


def _batches(model, waves):
    """Yields `(rows, logits, lengths)` for batches of clips of similar
    length: the clips' indices, their logits and their lengths in
    samples."""
    run = _logits_function(model)
    bucket = batches.bucket_samples(model, _BUCKET_SECONDS)
    order = np.argsort([len(w) for w in waves], kind="stable")
    for start in range(0, len(order), _BATCH):
        rows = order[start : start + _BATCH]
        batch, lengths = batches.pad([waves[i] for i in rows], bucket)
        yield rows, run(batch, lengths), lengths


def _outputs(model, logits, lengths, beam_width=1):
    """The label, or transcript, of each row of a batch's logits."""
    if model.task == "classify":
        best = np.argmax(ops.convert_to_numpy(logits), axis=-1)
        return [model.labels[index] for index in best]
    frames = model.frame_lengths(lengths)
    return ctc_transcripts(model, logits, frames, beam_width)


def _decoded(model, waves, outputs, beam_width=1):
    """`_batches`, each batch's labels or transcripts first written into
    `outputs` at its rows."""
    for rows, logits, lengths in _batches(model, waves):
        found = _outputs(model, logits, lengths, beam_width)
        for row, output in zip(rows, found):
            outputs[row] = output
        yield rows, logits, lengths


def _decode(model, waves, beam_width=1):
    outputs = [None] * len(waves)
    for _ in _decoded(model, waves, outputs, beam_width):
        pass
    return outputs


def ctc_transcripts(model, logits, frames, beam_width=1):
    """The transcripts of a batch of CTC logits.

    Args:
        model: the `SpeechModel` whose symbols the logits score.
        logits: `(batch, frames, len(model.labels) + 1)`, the blank first.
        frames: int `(batch,)`, the valid frames of each row.
        beam_width: `1` decodes greedily (best symbol per frame, repeats
            merged, blanks dropped); more runs a beam search over
            prefixes. Defaults to `1`.

    Returns:
        A list of strings, one per row.
    """
    decoded, _ = ops.ctc_decode(
        ops.cast(logits, "float32"),
        ops.cast(frames, "int32"),
        strategy="greedy" if beam_width == 1 else "beam_search",
        beam_width=beam_width,
        top_paths=1,
        mask_index=0,
    )
    decoded = ops.convert_to_numpy(decoded)[0]
    return [
        model.join([model.labels[i - 1] for i in ids if i > 0])
        for ids in decoded
    ]


def _loss_sum(model, targets, logits, lengths):
    """The summed loss of a batch of clips with targets."""
    if model.task == "classify":
        losses = keras.losses.sparse_categorical_crossentropy(
            np.array(targets, "int32"), logits, from_logits=True
        )
    else:
        width = max(1, max(len(target) for target in targets))
        padded = np.zeros((len(targets), width), "int32")
        for row, target in enumerate(targets):
            padded[row, : len(target)] = target
        losses = model.ctc_loss(lengths, padded, logits)
    return float(ops.convert_to_numpy(ops.sum(losses)))


def _logits_function(model):
    fn = getattr(model, "_logits_function", None)
    if fn is None:
        # Clip lengths vary, so a batch's width does too: on TensorFlow,
        # one shape-relaxed graph serves every width, where XLA would
        # compile each (seconds apiece, more than scoring a split takes).
        fn = compile_function(
            lambda waves, lengths: model((waves, lengths)),
            model,
            jit_compile=False,
        )
        model._logits_function = fn
    return fn
