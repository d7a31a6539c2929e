"""Sequence classification whose label depends on the first steps only.

In the spirit of the two-sequence problem of Bengio, Simard and Frasconi
1994 ("Learning long-term dependencies with gradient descent is difficult",
IEEE Transactions on Neural Networks 5(2)): the class is decided at the
start of the sequence and everything after it is noise, so the network
must keep a few bits for the whole length. Each sequence has two channels:
the value, which is +1 or -1 on the first `key_steps` steps and Gaussian
noise (standard deviation `noise`) afterwards, and a marker that is 1 on
the key steps. The label is the key read as a binary number,
sum over i of [value_i > 0] * 2**i: `2 ** key_steps` balanced classes.

Always answering the most frequent class errs on about
1 - 2**-key_steps of the sequences (0.75 with the default two key steps);
a classification error below 0.01 counts as solved.
"""

import keras
import numpy as np

from gatedkeras.tasks.task import Task

KEY_STEPS = 2


def first_steps_task(num_samples, length, seed=0, key_steps=KEY_STEPS,
                     noise=1.0):  # fmt: skip
    """Generates the first-steps classification task.

    Args:
        num_samples: Positive integer, the number of sequences.
        length: Integer > `key_steps`, the length of each sequence.
        seed: Seed of `numpy.random.default_rng`. Defaults to `0`.
        key_steps: Positive integer, the steps that decide the label.
            Defaults to `2`.
        noise: Non-negative float, the standard deviation of the values
            after the key. Defaults to `1.0`.

    Returns:
        `(inputs, labels)`: float32 inputs `(num_samples, length, 2)` and
        int32 labels `(num_samples,)` in `[0, 2 ** key_steps)`.

    >>> x, y = gatedkeras.tasks.first_steps_task(4, 30, seed=1)
    >>> x.shape, y.shape
    ((4, 30, 2), (4,))
    >>> bits = (x[:, :2, 0] > 0).astype(int)
    >>> bool((y == bits[:, 0] + 2 * bits[:, 1]).all())
    True
    """
    for name, value, low in (
        ("num_samples", num_samples, 1),
        ("key_steps", key_steps, 1),
        ("length", length, key_steps + 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(
                f"Argument `{name}` must be an integer of at least {low}. "
                f"Received: {name}={value!r}"
            )
    if not noise >= 0:
        raise ValueError(
            f"Argument `noise` must be >= 0. Received: noise={noise!r}"
        )
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(num_samples, key_steps))
    values = noise * rng.standard_normal((num_samples, length))
    values[:, :key_steps] = 2.0 * bits - 1.0
    markers = np.zeros((num_samples, length))
    markers[:, :key_steps] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype("float32")
    labels = (bits * 2 ** np.arange(key_steps)).sum(-1).astype("int32")
    return inputs, labels


def class_error(labels, logits):
    """Fraction of misclassified sequences."""
    return float(np.mean(np.asarray(logits).argmax(-1) != labels))


def majority_error(labels):
    """Error of always answering the most frequent class."""
    labels = np.asarray(labels)
    return float(1.0 - np.bincount(labels).max() / labels.size)


FIRST_STEPS = Task(
    name="first_steps",
    generate=first_steps_task,
    input_width=2,
    outputs=2**KEY_STEPS,
    sequence_output=False,
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    error=class_error,
    baseline=majority_error,
    solved_below=0.01,
    error_name="class error",
    min_length=KEY_STEPS + 1,
    reference="after Bengio, Simard and Frasconi 1994",
)
