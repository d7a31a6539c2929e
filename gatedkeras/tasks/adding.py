"""The adding problem (Hochreiter and Schmidhuber 1997).

"Long Short-Term Memory", Neural Computation 9(8):1735-1780, experiment 4,
in the form of Le, Jaitly and Hinton 2015 (arXiv 1504.00941). Each input is
a sequence of `length` pairs: a value drawn uniformly from [0, 1], and a
marker that is 1 at exactly two steps (one in the first half of the
sequence, one in the second half) and 0 elsewhere. The target is the sum of
the two marked values.

Predicting the mean target, 1.0, whatever the input, gives a mean squared
error of 1/6 (about 0.167: the variance of a sum of two uniform values); a
network that scores well below that has learned to find the markers and to
remember the first marked value until the second. Below 0.01 we call the
task solved.
"""

import numpy as np

from gatedkeras.tasks.task import Task

# A test MSE below this counts as solving the task (the trivial baseline
# scores about 0.167).
SOLVED_MSE = 0.01


def adding_problem(num_samples, timesteps, seed=0):
    """Generates the adding problem.

    Args:
        num_samples: Positive integer, the number of sequences.
        timesteps: Integer >= 2, the length of each sequence.
        seed: Seed of `numpy.random.default_rng`. Defaults to `0`.

    Returns:
        `(inputs, targets)`: float32 arrays of shapes
        `(num_samples, timesteps, 2)` and `(num_samples, 1)`. Channel 0 of
        the inputs holds the values, channel 1 the two markers; the target
        is the sum of the two marked values.

    >>> x, y = gatedkeras.tasks.adding_problem(3, 10)
    >>> x.shape, y.shape
    ((3, 10, 2), (3, 1))
    """
    if not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(
            "Argument `num_samples` must be a positive integer. "
            f"Received: num_samples={num_samples!r}"
        )
    if not isinstance(timesteps, int) or timesteps < 2:
        raise ValueError(
            "Argument `timesteps` must be an integer of at least 2. "
            f"Received: timesteps={timesteps!r}"
        )
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(num_samples, timesteps))
    half = timesteps // 2
    rows = np.arange(num_samples)
    first = rng.integers(0, half, size=num_samples)
    second = rng.integers(half, timesteps, size=num_samples)
    markers = np.zeros((num_samples, timesteps))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype("float32")
    targets = (values[rows, first] + values[rows, second])[:, None]
    return inputs, targets.astype("float32")


def _mse(targets, predictions):
    return float(np.mean((np.asarray(predictions) - targets) ** 2))


ADDING = Task(
    name="adding",
    generate=adding_problem,
    input_width=2,
    outputs=1,
    sequence_output=False,
    loss="mse",
    error=_mse,
    baseline=lambda targets: _mse(targets, np.ones_like(targets)),
    solved_below=SOLVED_MSE,
    error_name="test MSE",
    min_length=2,
    reference="Hochreiter and Schmidhuber 1997; Le et al. 2015",
)
