"""Training batches: clips encoded for a model, bucketed by length.

FSDD's clips run from 0.14 to 2.28 s, connected digits to several seconds:
padding every batch to the longest clip would spend most of the recurrent
steps on silence. Clips are therefore grouped with clips of similar length
(`tf.data.Dataset.bucket_by_sequence_length`) and each batch is padded to
its bucket's bound, a multiple of `bucket_seconds`, so a compiled step sees
a handful of shapes rather than one per batch. Keras reads `tf.data` on
every backend.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class Encoded:
    """Clips as a model trains on them.

    Args:
        waves: float32 waveforms, one array per clip.
        targets: per clip, the class index (classify) or the symbol ids,
            1-based since CTC's blank is 0 (transcribe).
        left_out: clips left out, with why: `{"unknown_label": n,
            "too_short": m}` (a label the model has no output for; a
            transcript longer than CTC can align to the clip's frames).
        fastest: per clip, the fastest speed it may play at in speed
            perturbation: for transcription, the speed at which CTC can
            still align its transcript to its frames; `inf` for
            classification. `None` for no limit.
    """

    waves: list
    targets: list
    left_out: dict
    fastest: list = None

    def __len__(self):
        return len(self.waves)


def encode(model, clips):
    """Encodes `clips` (a `gatedkeras.data.audio.Clips`) for `model`.

    Clips the model cannot be trained or scored on by its loss are left out
    and counted in `Encoded.left_out`, never dropped silently: the recipe
    warns about them, and `evaluate` still scores them by accuracy or WER.
    """
    index = label_index(model)
    waves, targets, fastest = [], [], []
    left_out = {"unknown_label": 0, "too_short": 0}
    for wave, label in zip(clips.audio, clips.labels):
        target, reason = target_of(model, index, wave, label)
        if reason:
            left_out[reason] += 1
            continue
        waves.append(np.asarray(wave, "float32"))
        targets.append(target)
        fastest.append(_fastest(model, target, len(wave)))
    return Encoded(waves, targets, left_out, fastest)


def _fastest(model, target, samples):
    if model.task == "classify":
        return math.inf
    # The fewest samples whose frames CTC can align the target to, and one
    # more, so that float32 rounding of the speed never floors below it.
    frames = ctc_frames_needed(target)
    if model.front_end:
        frames = (frames - 1) * model.subsampling + 1
    return samples / ((frames - 1) * model.hop + 1)


def label_index(model):
    """`{label: output index}` of `model`'s labels, for `target_of`."""
    return {label: i for i, label in enumerate(model.labels)}


def target_of(model, index, wave, label):
    """`(target, None)` for a clip the model's loss can score, else
    `(None, reason)` with the `Encoded.left_out` reason; `index` is
    `label_index(model)`."""
    if model.task == "classify":
        if label not in index:
            return None, "unknown_label"
        return index[label], None
    symbols = model.symbols(label)
    if any(symbol not in index for symbol in symbols):
        return None, "unknown_label"
    target = [index[symbol] + 1 for symbol in symbols]
    if ctc_frames_needed(target) > frame_count(model, len(wave)):
        return None, "too_short"
    return target, None


def ctc_frames_needed(target):
    """The fewest frames CTC can align `target` to: one per symbol, and a
    blank between each pair of repeated symbols."""
    repeats = sum(a == b for a, b in zip(target, target[1:]))
    return len(target) + repeats


def frame_count(model, samples):
    """`model.frame_lengths` of one clip, in NumPy."""
    frames = samples // model.hop + 1
    if model.front_end:
        frames = -(-frames // model.subsampling)
    return frames


def bucket_samples(model, bucket_seconds):
    """The padding granularity of `bucket_seconds`, in samples."""
    return max(1, int(round(bucket_seconds * model.sample_rate)))


def dataset(encoded, batch_size, bucket, shuffle=False, seed=0, speed=0.0):
    """A `tf.data.Dataset` of `((waves, lengths), targets)` batches.

    Args:
        encoded: an `Encoded`.
        batch_size: clips per batch (fewer in a bucket's last batch).
        bucket: pad each batch to a multiple of this many samples.
        shuffle: reshuffle the clips every epoch (seeded). Defaults to
            `False`.
        seed: the seed of the shuffle and of the speeds. Defaults to `0`.
        speed: speed perturbation (Ko et al. 2015): every clip plays at a
            speed drawn anew each epoch from `[1 - speed, 1 + speed]`
            (no faster than its `Encoded.fastest`), which scales its length
            and its pitch, as `resample`. Clips are bucketed by their own
            length, and a batch is padded to a multiple of `bucket` that
            holds its slowest possible clip. Defaults to `0.0` (none).

    Returns:
        The dataset; `steps(encoded, batch_size, bucket)` batches long.
        Transcription targets are padded with 0 to the longest transcript
        of `encoded`, so their width is the same in every batch.
    """
    lengths = np.array([len(w) for w in encoded.waves], "int32")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype("int32")
    samples = tf.constant(np.concatenate(encoded.waves))
    classify = not isinstance(encoded.targets[0], list)
    if classify:
        targets = np.array(encoded.targets, "int32")
        target_shape = []
    else:
        width = max(1, max(len(t) for t in encoded.targets))
        targets = np.zeros((len(encoded.targets), width), "int32")
        for row, target in enumerate(encoded.targets):
            targets[row, : len(target)] = target
        target_shape = [width]
    fastest = encoded.fastest or [math.inf] * len(lengths)
    fastest = np.array(fastest, "float32")
    data = tf.data.Dataset.from_tensor_slices(
        (starts, lengths, fastest, targets)
    )
    if shuffle:
        data = data.shuffle(len(lengths), seed=seed)
    data = data.map(
        lambda start, length, fastest, target: (
            (samples[start : start + length], length, fastest),
            target,
        )
    )
    boundaries = _boundaries(lengths, bucket)
    data = data.bucket_by_sequence_length(
        lambda inputs, target: tf.shape(inputs[0])[0],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=(([None], [], []), target_shape),
        pad_to_bucket_boundary=True,
    )
    if speed:
        data = _perturb_speed(data, speed, bucket, seed)
    else:
        data = data.map(lambda inputs, target: (inputs[:2], target))
    # Known, Keras shows the epoch's progress and expects its end.
    count = steps(encoded, batch_size, bucket)
    data = data.apply(tf.data.experimental.assert_cardinality(count))
    return data.prefetch(tf.data.AUTOTUNE)


def _perturb_speed(data, speed, bucket, seed):
    # One stateless seed per batch, drawn anew each epoch: seeded runs
    # repeat, and tf.data's random ops stay out of the model's own seeds.
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def perturb(batch, draw):
        (waves, lengths, fastest), targets = batch
        rows, width = tf.shape(waves)[0], tf.shape(waves)[1]
        factors = tf.random.stateless_uniform(
            [rows], tf.stack([draw, 0]), 1.0 - speed, 1.0 + speed
        )
        factors = tf.minimum(factors, fastest)
        slowest = tf.cast(width, "float32") / (1.0 - speed)
        width = tf.cast(tf.math.ceil(slowest / bucket), "int32") * bucket
        return resample(waves, lengths, factors, width), targets

    return tf.data.Dataset.zip(data, draws).map(
        perturb, num_parallel_calls=tf.data.AUTOTUNE
    )


def resample(waves, lengths, factors, width):
    """Plays each clip of a batch `factors` times as fast.

    Clip i's new sample t is its old signal at `t * factors[i]`, linearly
    interpolated: length and pitch both scale, as in the speed perturbation
    of Ko, Peddinti, Povey and Khudanpur 2015 ("Audio augmentation for
    speech recognition", Interspeech), which resamples with sox. Linear
    interpolation has no anti-aliasing filter, so a clip sped up by a
    factor a folds its content above `Nyquist / a` back below Nyquist;
    speech holds little energy there.

    Args:
        waves: float tensor `(batch, samples)`, zero-padded clips.
        lengths: int tensor `(batch,)`, each clip's samples (at least 1).
        factors: float tensor `(batch,)`, each clip's speed; above 0.
        width: samples of the result; at least the longest new clip.

    Returns:
        `(waves, lengths)`: `(batch, width)` zero-padded after each clip's
        new `floor(length / factor)` samples (at least 1), and those
        lengths.
    """
    waves = tf.convert_to_tensor(waves, "float32")
    lengths = tf.cast(lengths, "int32")
    factors = tf.cast(factors, "float32")
    new_lengths = tf.maximum(
        tf.cast(tf.floor(tf.cast(lengths, "float32") / factors), "int32"), 1
    )
    last = tf.cast(lengths - 1, "float32")[:, None]
    times = tf.cast(tf.range(width), "float32")[None, :] * factors[:, None]
    times = tf.minimum(times, last)
    low = tf.floor(times)
    fraction = times - low
    low = tf.cast(low, "int32")
    high = tf.minimum(low + 1, lengths[:, None] - 1)
    values = tf.gather(waves, low, batch_dims=1) * (1.0 - fraction)
    values += tf.gather(waves, high, batch_dims=1) * fraction
    inside = tf.range(width)[None, :] < new_lengths[:, None]
    return tf.where(inside, values, 0.0), new_lengths


def steps(encoded, batch_size, bucket):
    """The number of batches `dataset` makes of `encoded`."""
    lengths = np.array([len(w) for w in encoded.waves])
    boundaries = np.array(_boundaries(lengths, bucket))
    buckets = np.searchsorted(boundaries, lengths, side="right")
    return sum(
        math.ceil(count / batch_size) for count in np.bincount(buckets) if count
    )


def _boundaries(lengths, bucket):
    # A clip of length L goes to the first bound b with L < b and is padded
    # to b - 1: bounds of k * bucket + 1 pad to whole multiples.
    top = -(-int(lengths.max()) // bucket)
    return [k * bucket + 1 for k in range(1, top + 1)]


def pad(waves, bucket):
    """Zero-pads a list of waveforms to one batch, its length a multiple of
    `bucket`; returns `(batch, lengths)`."""
    lengths = np.array([len(w) for w in waves], "int32")
    width = max(1, -(-int(lengths.max()) // bucket) * bucket)
    batch = np.zeros((len(waves), width), "float32")
    for row, wave in enumerate(waves):
        batch[row, : len(wave)] = wave
    return batch, lengths
