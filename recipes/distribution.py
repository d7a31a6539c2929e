"""Training on more than one device: the `distribute` setting of every
recipe's `train()`.

Data parallelism with the frameworks' own machinery, nothing home-made:
`tf.distribute` strategies on the TensorFlow backend and
`keras.distribution.DataParallel` on JAX. Every device holds a copy of the
weights and a slice of each batch; `batch_size` stays the global batch
(the rows of one step over all devices), so it must divide evenly among
them, and a run on two devices takes the same steps as on one.

Names (the command line's `--distribute`; `None` is one device):

- `"mirrored"` (TensorFlow): `tf.distribute.MirroredStrategy()`, over
  every local GPU, or the CPU.
- `"multi_worker_mirrored"` (TensorFlow):
  `tf.distribute.MultiWorkerMirroredStrategy()`, over the machines that
  `TF_CONFIG` names; every worker runs the same `train()`.
- `"tpu"` (TensorFlow): `tf.distribute.TPUStrategy` on the TPU that
  `tf.distribute.cluster_resolver.TPUClusterResolver()` finds.
- `"data_parallel"` (JAX): `keras.distribution.DataParallel()`, over every
  device JAX sees (after `keras.distribution.initialize()` on several
  machines).

From Python, `distribute` also takes the object itself: any
`tf.distribute.Strategy` on TensorFlow, a `keras.distribution.DataParallel`
or `ModelParallel` on JAX. PyTorch has no Keras distribution support, so
it is refused.
"""

import contextlib
import functools

import keras
from keras import ops

TENSORFLOW_NAMES = ("mirrored", "multi_worker_mirrored", "tpu")
JAX_NAMES = ("data_parallel",)
NAMES = TENSORFLOW_NAMES + JAX_NAMES


def check(distribute):
    """Raises `ValueError` unless `distribute` is `None`, one of `NAMES` or
    a strategy or distribution object (which backend it suits is checked
    when training starts, by `resolve`)."""
    if distribute is None or not isinstance(distribute, str):
        return
    if distribute not in NAMES:
        raise ValueError(
            f"`distribute` must be None, one of {NAMES}, a "
            "tf.distribute.Strategy (TensorFlow) or a "
            "keras.distribution.DataParallel or ModelParallel (JAX). "
            "Received: "
            f"distribute={distribute!r}"
        )


def describe(distribute):
    """The JSON-able record of `distribute` for a run's `config.json`: the
    name, or an object's class name."""
    if distribute is None or isinstance(distribute, str):
        return distribute
    return type(distribute).__name__


def resolve(distribute):
    """The strategy or distribution object that `distribute` names.

    Args:
        distribute: `None`, one of `NAMES`, a `tf.distribute.Strategy` or a
            `keras.distribution.DataParallel or ModelParallel`.

    Returns:
        `None` for one device, else a `tf.distribute.Strategy` (TensorFlow
        backend) or a `keras.distribution.DataParallel` or
        `ModelParallel` (JAX backend).
        A name makes its object once per process (a TPU system or the
        workers' collectives are set up only once) and returns it again
        after that.

    Raises:
        ValueError: if the backend cannot run `distribute`.
    """
    check(distribute)
    if distribute is None:
        return None
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if isinstance(distribute, tf.distribute.Strategy):
            return distribute
        if distribute in TENSORFLOW_NAMES:
            return _tensorflow_strategy(distribute)
    elif backend == "jax":
        if _is_keras_distribution(distribute):
            return distribute
        if distribute in JAX_NAMES:
            return _data_parallel()
    supported = {
        "tensorflow": f"one of {TENSORFLOW_NAMES} or a tf.distribute.Strategy",
        "jax": f"one of {JAX_NAMES} or a keras.distribution.DataParallel "
        "or ModelParallel",
    }
    if backend not in supported:
        raise ValueError(
            f"Training on several devices needs the TensorFlow backend "
            f"({supported['tensorflow']}) or the JAX backend "
            f"({supported['jax']}); the {backend} backend has no Keras "
            "distribution support. Set KERAS_BACKEND, or train on one "
            f"device with distribute=None. Received: "
            f"distribute={describe(distribute)!r}"
        )
    raise ValueError(
        f"On the {backend} backend `distribute` must be None or "
        f"{supported[backend]}. Received: distribute={describe(distribute)!r}"
    )


def replicas(target):
    """How many slices each batch is cut into under `target` (a result of
    `resolve`): 1 for `None`."""
    if target is None:
        return 1
    if _is_keras_distribution(target):
        mesh = target.device_mesh
        return mesh.shape[list(mesh.axis_names).index(target.batch_dim_name)]
    return target.num_replicas_in_sync


@contextlib.contextmanager
def scope(distribute, batch_size):
    """Creates, compiles and trains models on the devices of `distribute`.

    Under a `tf.distribute` strategy it is the strategy's scope; under a
    Keras distribution that distribution is set (and the previous one put
    back at the end); with `None`, nothing changes.

    Args:
        distribute: what `resolve` takes.
        batch_size: the global batch, which must divide evenly among the
            replicas.

    Yields:
        The number of replicas.

    >>> from recipes import distribution
    >>> with distribution.scope(None, batch_size=32) as replicas:
    ...     print(replicas)
    1
    """
    target = resolve(distribute)
    count = replicas(target)
    if batch_size % count:
        raise ValueError(
            f"`batch_size` is the global batch, split evenly among the "
            f"{count} replicas of distribute={describe(distribute)!r}: it "
            f"must be a multiple of {count}. Received: "
            f"batch_size={batch_size}"
        )
    if target is None:
        yield count
        return
    with target.scope():
        yield count


def even_batches(dataset):
    """`dataset` with every batch cut to a multiple of the replicas of the
    strategy or distribution in effect, if any.

    JAX shards each batch evenly among the devices and cannot take a batch
    that does not divide (the last, partial batch of an epoch, a length
    bucket's last batch); `tf.distribute` splits such a batch unevenly,
    down to an empty slice for some replica when the batch is smaller
    than the replicas, which not every layer takes (a spectrogram of no
    clips). So such a batch loses its last rows (fewer than the
    replicas), and a batch of fewer rows than replicas is left out. On
    one device `dataset` comes back unchanged.

    Args:
        dataset: a batched `tf.data.Dataset`, or `None`.

    Returns:
        The dataset to train or validate on.
    """
    if dataset is None:
        return dataset
    if keras.backend.backend() == "jax":
        count = replicas(keras.distribution.distribution())
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        count = tf.distribute.get_strategy().num_replicas_in_sync
    else:
        count = 1
    if count == 1:
        return dataset
    import tensorflow as tf

    def rows(batch):
        return tf.shape(tf.nest.flatten(batch)[0])[0]

    def cut(*batch):
        keep = rows(batch) // count * count
        batch = tf.nest.map_structure(lambda x: x[:keep], batch)
        return batch if len(batch) > 1 else batch[0]

    return dataset.map(cut).filter(lambda *batch: rows(batch) > 0)


def replica_batch_size(batch_size):
    """The rows of a `batch_size` batch that one replica sees, inside a
    replica's step: the global batch over the `tf.distribute` strategy's
    replicas on TensorFlow, else the whole batch (JAX shards arrays of
    the global shape)."""
    if keras.backend.backend() != "tensorflow":
        return batch_size
    import tensorflow as tf

    return batch_size // tf.distribute.get_strategy().num_replicas_in_sync


def global_mean(total, count):
    """`total / count` summed over the batch of every replica: the mean of
    a loss over the global batch, as each replica's share of it.

    A `tf.distribute` strategy sums the replicas' gradients, so a loss
    that a replica computes from its own slice must be its share of the
    global mean, not the mean of its slice (which would count twice with
    two replicas, and weigh the rows of an unevenly split batch unevenly).
    Elsewhere (one device, or JAX, whose arrays are global) this is
    `total / count`.

    Args:
        total: the sum of the loss over this replica's rows (or tokens).
        count: how many rows (or tokens) `total` sums over.

    Returns:
        A scalar tensor.
    """
    count = ops.cast(count, total.dtype)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            count = context.all_reduce("sum", count)
    return total / ops.maximum(count, ops.cast(1, count.dtype))


def replica_share(loss):
    """A loss that is already a mean over the global batch (a weight
    penalty), as one replica's share of it: divided by the replicas of a
    `tf.distribute` strategy, whose gradients are summed; unchanged
    elsewhere."""
    if keras.backend.backend() != "tensorflow":
        return loss
    import tensorflow as tf

    count = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / count if count > 1 else loss


def _is_keras_distribution(value):
    # Keras exports its two distributions, not their base class.
    return isinstance(
        value,
        (keras.distribution.DataParallel, keras.distribution.ModelParallel),
    )


@functools.cache
def _tensorflow_strategy(name):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


@functools.cache
def _data_parallel():
    return keras.distribution.DataParallel()
