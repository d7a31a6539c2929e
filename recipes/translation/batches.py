"""Sentence pairs to padded, length-bucketed `tf.data` batches.

A source sentence is its subword ids and the end id; the decoder reads the
start id and the target ids (teacher forcing) and predicts the target ids
and the end id. Pairs of similar length are batched together
(`tf.data.Dataset.bucket_by_sequence_length`), each batch padded to its
bucket's boundary, a multiple of 8: little padding, and few distinct
shapes for XLA and `jax.jit` to compile.
"""

import numpy as np

_BUCKET = 8


def encode_pairs(tokenizer, pairs, max_length):
    """Token ids of sentence pairs, and the pairs too long to keep.

    Args:
        tokenizer: the `SubwordTokenizer`.
        pairs: a `gatedkeras.data.parallel.Pairs`.
        max_length: the longest sentence, in subword tokens, to keep.

    Returns:
        `(sources, targets, skipped)`: lists of int32 arrays (sources end
        with the end id; targets carry no special ids) and the number of
        pairs left out because a side was longer than `max_length`.
    """
    sources = tokenizer.encode(list(pairs.sources))
    targets = tokenizer.encode(list(pairs.targets))
    kept_sources, kept_targets = [], []
    for source, target in zip(sources, targets):
        if len(source) > max_length or len(target) > max_length:
            continue
        kept_sources.append(np.append(source, tokenizer.end_id))
        kept_targets.append(target)
    return kept_sources, kept_targets, len(sources) - len(kept_sources)


def dataset(sources, targets, tokenizer, batch_size, shuffle=False, seed=0):
    """A `tf.data.Dataset` of `((source, target_in), target_out)` batches.

    Args:
        sources: list of int32 source id arrays, from `encode_pairs`.
        targets: list of int32 target id arrays, from `encode_pairs`.
        tokenizer: the `SubwordTokenizer` (for its special ids).
        batch_size: pairs per batch (fewer in a bucket's last batch).
        shuffle: whether to shuffle the pairs anew every epoch.
        seed: seed of the shuffle.

    Returns:
        The dataset; every pair appears in exactly one batch per pass.
    """
    import tensorflow as tf

    start = np.full((len(targets), 1), tokenizer.start_id, "int32")
    target_in = [np.concatenate([s, t]) for s, t in zip(start, targets)]
    target_out = [np.append(t, tokenizer.end_id) for t in targets]
    columns = [_flat(rows) for rows in (sources, target_in, target_out)]

    def pair(index):
        # Slices of three flat arrays: dense 1-D tensors, which
        # `padded_batch` needs (slices of a ragged tensor are not).
        return tuple(
            values[offsets[index] : offsets[index + 1]]
            for values, offsets in columns
        )

    data = tf.data.Dataset.range(len(sources))
    if shuffle:
        data = data.shuffle(
            len(sources), seed=seed, reshuffle_each_iteration=True
        )
    data = data.map(pair, num_parallel_calls=tf.data.AUTOTUNE)
    longest = max(max(len(r) for r in sources), max(len(r) for r in target_in))
    boundaries = list(range(_BUCKET, longest + _BUCKET + 1, _BUCKET))
    data = data.bucket_by_sequence_length(
        lambda source, target_in, target_out: tf.maximum(
            tf.shape(source)[0], tf.shape(target_in)[0]
        ),
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padding_values=(
            np.int32(tokenizer.pad_id),
            np.int32(tokenizer.pad_id),
            np.int32(tokenizer.pad_id),
        ),
        pad_to_bucket_boundary=True,
    )
    data = data.map(lambda s, t_in, t_out: ((s, t_in), t_out))
    # The number of batches is the same every pass (each bucket holds the
    # same pairs, whatever the order); stated, Keras knows an epoch's
    # length instead of warning that the data "ran out" after the first.
    count = int(data.reduce(np.int64(0), lambda count, _: count + 1))
    data = data.apply(tf.data.experimental.assert_cardinality(count))
    return data.prefetch(tf.data.AUTOTUNE)


def _flat(rows):
    import tensorflow as tf

    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    values = np.concatenate(rows).astype("int32")
    return tf.constant(values), tf.constant(offsets, tf.int64)


def pad(rows, pad_id, multiple=_BUCKET):
    """Rows of ids as one array, right-padded to a multiple of `multiple`
    (few distinct shapes for the compiled decoder)."""
    width = max(len(r) for r in rows)
    width = -(-width // multiple) * multiple
    out = np.full((len(rows), width), pad_id, "int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out
