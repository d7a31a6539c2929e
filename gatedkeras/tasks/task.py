"""What a long-range task is: a generator, a model head, an error, and the
two numbers that make a result readable (the trivial baseline and the
error below which the task counts as solved)."""

import dataclasses
from typing import Any
from typing import Callable

import keras

from gatedkeras import layers


@dataclasses.dataclass(frozen=True)
class Task:
    """A generated sequence task, parameterised by its length.

    Args:
        name: the task's name, as `gatedkeras.tasks.get` takes it.
        generate: `generate(num_samples, length, seed) -> (inputs, targets)`,
            NumPy arrays; `seed` is anything `numpy.random.default_rng`
            takes.
        input_width: the width of the inputs' last axis.
        outputs: units of the linear readout.
        sequence_output: whether the readout acts on every step (the
            copy task) or on the last output only.
        loss: the Keras loss the model trains with.
        error: `error(targets, predictions) -> float`, NumPy, on the test
            set; lower is better.
        baseline: `baseline(targets) -> float`, the error of the trivial
            answer (the best constant) on the same targets.
        solved_below: an error below this counts as solving the task.
        error_name: what `error` measures, for tables.
        min_length: the shortest length the task allows.
        reference: where the task comes from.
    """

    name: str
    generate: Callable
    input_width: int
    outputs: int
    sequence_output: bool
    loss: Any
    error: Callable
    baseline: Callable
    solved_below: float
    error_name: str
    min_length: int
    reference: str

    def build_model(self, cell, units, length, cell_options=None):
        """One recurrent layer of `cell` and a linear readout.

        Args:
            cell: a registered layer name.
            units: width of the recurrent layer.
            length: the sequence length.
            cell_options: further arguments of the layer. Defaults to
                `None`.

        Returns:
            An uncompiled `keras.Sequential`.
        """
        name = layers.spec(cell).name
        return keras.Sequential(
            [
                keras.Input((length, self.input_width)),
                layers.get(name)(
                    units,
                    return_sequences=self.sequence_output,
                    name=name,
                    **(cell_options or {}),
                ),
                keras.layers.Dense(self.outputs, name="readout"),
            ],
            name=f"{self.name}_{name}",
        )
