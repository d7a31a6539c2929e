"""The copy (memory) task (Hochreiter and Schmidhuber 1997; in the form of
Arjovsky, Shah and Bengio 2016, "Unitary Evolution Recurrent Neural
Networks", arXiv 1511.06464).

A sequence opens with `num_symbols` symbols drawn from an alphabet of
`alphabet` (1 to 8 by default), continues with blanks (0), then a delimiter
(`alphabet + 1`) `num_symbols + 1` steps before the end, and ends with
blanks. The network must output blanks until the delimiter has passed, then
the opening symbols in order. The length here is the whole sequence:
Arjovsky et al.'s delay T is `length - 2 * num_symbols`.

A network without memory outputs the right blanks and guesses the symbols:
at best the most frequent one, a symbol error rate of about 1 - 1/8 =
0.875 over the recalled positions, which is how the error is measured
(blanks would inflate an accuracy over all steps). Above 99% per-symbol
accuracy (an error below 0.01) we call the task solved.
"""

import keras
import numpy as np

from gatedkeras.tasks.task import Task


def copy_task(num_samples, length, seed=0, num_symbols=10, alphabet=8):
    """Generates the copy task.

    Args:
        num_samples: Positive integer, the number of sequences.
        length: Integer >= `2 * num_symbols + 1`, the length of each
            sequence.
        seed: Seed of `numpy.random.default_rng`. Defaults to `0`.
        num_symbols: Positive integer, symbols to copy. Defaults to `10`.
        alphabet: Positive integer, the number of distinct symbols.
            Defaults to `8`.

    Returns:
        `(inputs, targets)`: float32 one-hot inputs of shape
        `(num_samples, length, alphabet + 2)` (category 0 is the blank,
        `alphabet + 1` the delimiter) and int32 targets of shape
        `(num_samples, length)`: blanks, then the symbols in the last
        `num_symbols` steps.

    >>> x, y = gatedkeras.tasks.copy_task(2, 25, num_symbols=3)
    >>> x.shape, y.shape
    ((2, 25, 10), (2, 25))
    >>> bool((y[:, -3:] == x[:, :3].argmax(-1)).all())
    True
    """
    for name, value, low in (
        ("num_samples", num_samples, 1),
        ("num_symbols", num_symbols, 1),
        ("alphabet", alphabet, 1),
        ("length", length, 2 * num_symbols + 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(
                f"Argument `{name}` must be an integer of at least {low}. "
                f"Received: {name}={value!r}"
            )
    rng = np.random.default_rng(seed)
    symbols = rng.integers(1, alphabet + 1, size=(num_samples, num_symbols))
    categories = np.zeros((num_samples, length), "int32")
    categories[:, :num_symbols] = symbols
    categories[:, length - num_symbols - 1] = alphabet + 1
    targets = np.zeros((num_samples, length), "int32")
    targets[:, length - num_symbols :] = symbols
    inputs = np.eye(alphabet + 2, dtype="float32")[categories]
    return inputs, targets


def _recall(targets, num_symbols=10):
    return np.asarray(targets)[:, -num_symbols:]


def symbol_error(targets, logits, num_symbols=10):
    """Fraction of wrongly recalled symbols (the last `num_symbols` steps).

    >>> y = np.array([[0, 0, 3, 4]])
    >>> logits = np.eye(10)[[[0, 0, 3, 5]]]
    >>> gatedkeras.tasks.copy_memory.symbol_error(y, logits, num_symbols=2)
    0.5
    """
    predicted = np.asarray(logits)[:, -num_symbols:].argmax(-1)
    return float(np.mean(predicted != _recall(targets, num_symbols)))


def constant_guess_error(targets, num_symbols=10):
    """Symbol error of always recalling the most frequent symbol."""
    recalled = _recall(targets, num_symbols).ravel()
    return float(1.0 - np.bincount(recalled).max() / recalled.size)


COPY = Task(
    name="copy",
    generate=copy_task,
    input_width=10,
    outputs=10,
    sequence_output=True,
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    error=symbol_error,
    baseline=constant_guess_error,
    solved_below=0.01,
    error_name="symbol error",
    min_length=21,
    reference="Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016",
)
