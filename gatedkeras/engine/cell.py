"""The base class of every gatedkeras cell.

A cell is split into the two halves that the engine runs separately:

- `project(inputs)`: everything that depends on the input alone (input
  dropout, the input kernel of all gates at once, input normalisation,
  biases). The sequence layer calls it once on the whole sequence: one big
  matmul instead of one per step.
- `step(projected, states)`: the recurrent part, with all gates' recurrent
  weights in one matmul.

`call(inputs, states)` chains the two, so a cell also honours the Keras cell
contract and runs inside `keras.layers.RNN` and `StackedRNNCells`.
"""

import math

import keras
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from gatedkeras.engine import arguments


class RecurrentCell(keras.Layer, DropoutRNNCell):
    """Base class of gatedkeras cells; not used directly.

    Subclasses define `build`, `state_size`, `output_size`,
    `projection_size`, `_project(inputs)` and
    `_step_function(recurrent_mask)`, which returns
    `core(projected, states) -> (output, new_states)` with the weights read
    once. The base adds input and recurrent dropout with one mask per
    sequence (Gal and Ghahramani 2016) and zoneout (Krueger et al. 2016).

    Args:
        units: Positive integer, width of the hidden state.
        dropout: Float in [0, 1). Fraction of the input units to drop, with
            one mask per sequence. Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1). Fraction of the recurrent state
            to drop before the recurrent matmul, one mask per sequence.
            Defaults to `0.0`.
        zoneout: Float in [0, 1). Probability that each unit of each state
            keeps its previous value at a training step; at inference the
            states are mixed with this weight (the expectation). Defaults to
            `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`).
    """

    # Whether `project` must see the whole sequence at once (for example a
    # batch norm whose statistics span time, as Li-GRU's): the sequence
    # layer then hoists it on every backend.
    projects_whole_sequence = False
    # Names of the `set_weight_arguments` attributes, for `get_config`.
    _weight_arguments = ()

    def __init__(
        self,
        units,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = arguments.positive_int("units", units)
        self.dropout = arguments.rate("dropout", dropout)
        self.recurrent_dropout = arguments.rate(
            "recurrent_dropout", recurrent_dropout
        )
        self.zoneout = arguments.rate("zoneout", zoneout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

    def set_weight_arguments(self, **arguments):
        """Keeps initializer, regularizer and constraint arguments.

        Each `<weight>_initializer`, `<weight>_regularizer` or
        `<weight>_constraint` argument is resolved with Keras's getter
        (`keras.initializers.get`, ...) into the attribute of the same name,
        and serialised back by `get_config`.
        """
        for name, value in arguments.items():
            setattr(self, name, _weight_argument_module(name).get(value))
        self._weight_arguments += tuple(arguments)

    @property
    def input_dim(self):
        """Width of the inputs the cell was built for, or `None`."""
        kernel = getattr(self, "kernel", None)
        return None if kernel is None else kernel.shape[0]

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in _sizes(self.state_size)
        ]

    def project(self, inputs, training=False, time_major=False):
        """Input projection of one step or of a whole sequence.

        Args:
            inputs: `(batch, features)`, or `(batch, timesteps, features)`
                (`(timesteps, batch, features)` with `time_major=True`).
            training: Python boolean, whether input dropout is active.
            time_major: whether a 3-D input has time on its first axis.

        Returns:
            The input's contribution to every gate's pre-activation, of
            width `projection_size`. Extra per-step inputs (for example an
            attention context fed to a decoder) can be added to it as their
            own projection of the same width before `step`.
        """
        if training and self.dropout > 0:
            if len(inputs.shape) == 2:
                mask = self.get_dropout_mask(inputs)
            elif time_major:
                mask = self.get_dropout_mask(inputs[0])
            else:
                mask = ops.expand_dims(self.get_dropout_mask(inputs[:, 0]), 1)
            inputs = inputs * mask
        return self._project(inputs)

    def step(self, projected, states, training=False, zoneout_mask=None):
        """One step of the recurrence on a projected input.

        Args:
            projected: `(batch, projection_size)`, from `project`.
            states: list of state tensors, as from `get_initial_state`.
            training: Python boolean, whether dropout and zoneout are
                active. The recurrent dropout mask is drawn once and kept
                until `reset_recurrent_dropout_mask()`.
            zoneout_mask: optional boolean mask of the units that keep
                their previous value: `(batch, sum of state widths)`, or a
                list with one mask per state; drawn when `None`.

        Returns:
            `(output, new_states)`.
        """
        states = list(states)
        step = self.step_function(states, training=training)
        if training and self.zoneout > 0 and zoneout_mask is None:
            zoneout_mask = self.zoneout_mask(ops.shape(states[0])[0], None)
        return step(projected, states, zoneout_mask)

    def call(self, inputs, states, training=False):
        if not isinstance(states, (list, tuple)):
            states = [states]
        return self.step(self.project(inputs, training), states, training)

    def step_function(self, states, training=False):
        """`step(projected, states, zoneout_mask=None)`, weights read once.

        The sequence layer calls this once per sequence and runs the result
        in its loop, so weights are read (and cast under mixed precision)
        once rather than at every step.
        """
        recurrent_mask = None
        if training and self.recurrent_dropout > 0:
            recurrent_mask = self.get_recurrent_dropout_mask(states[0])
        core = self._step_function(recurrent_mask)
        if not self.zoneout:
            return lambda projected, states, zoneout_mask=None: core(
                projected, states
            )
        rate = ops.cast(self.zoneout, self.compute_dtype)

        def step(projected, states, zoneout_mask=None):
            _, new_states = core(projected, states)
            if training:
                keep = self.split_zoneout_mask(zoneout_mask)
                new_states = [
                    ops.where(k, old, new)
                    for old, new, k in zip(states, new_states, keep)
                ]
            else:
                new_states = [
                    new + rate * (old - new)
                    for old, new in zip(states, new_states)
                ]
            return new_states[0], new_states

        return step

    def read_kernel(self, kernel):
        """`kernel` read out for the steps, in the compute dtype (`None`
        passes).

        Under a mixed-precision policy Keras casts a variable each time an
        op reads it, so a kernel used inside the time loop would be cast,
        and its gradient cast back and summed, at every step: about a tenth
        of a bfloat16 LSTM training step on PyTorch (benchmarks/RESULTS.md).
        `_step_function` reads its kernels here, once per sequence (and
        layer-norm weights with `layer_norm.step_weight`).
        """
        return None if kernel is None else ops.cast(kernel, self.compute_dtype)

    def zoneout_mask(self, batch_size, timesteps=None):
        """Zoneout masks for `timesteps` steps (or one step).

        A boolean tensor `(timesteps, batch, sum of state widths)`: `True`
        where a unit keeps its previous value.
        """
        shape = (batch_size, sum(_sizes(self.state_size)))
        if timesteps is not None:
            shape = (timesteps,) + shape
        return _bernoulli(shape, self.zoneout, self.seed_generator)

    def split_zoneout_mask(self, zoneout_mask):
        """The zoneout mask as a list with one mask per state."""
        if isinstance(zoneout_mask, (list, tuple)):
            return list(zoneout_mask)
        sizes = _sizes(self.state_size)
        if len(sizes) == 1:
            return [zoneout_mask]
        return ops.split(zoneout_mask, _split_points(sizes), axis=-1)

    def get_config(self):
        config = {
            "units": self.units,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "zoneout": self.zoneout,
            "seed": self.seed,
        }
        for name in self._weight_arguments:
            module = _weight_argument_module(name)
            config[name] = module.serialize(getattr(self, name))
        base_config = super().get_config()
        return {**base_config, **config}


def _weight_argument_module(name):
    kind = name.rsplit("_", 1)[-1]
    return {
        "initializer": initializers,
        "regularizer": regularizers,
        "constraint": constraints,
    }[kind]


def _bernoulli(shape, rate, seed_generator):
    """A boolean tensor of `shape`, `True` with probability `rate`.

    TensorFlow draws with Philox: its default stateless algorithm, which
    `keras.random` uses, compiles with XLA on a CPU to a generator about 180
    times slower (929 against 5 ms for the 3.3 million numbers of one
    batch's zoneout masks: batch 64, 100 steps, two states of 256).

    PyTorch draws 64-bit integers and reads each as four 16-bit ones, so
    `rate` is rounded to a multiple of 2**-16: its generator spends about
    the same time on a draw of any width, and this takes the draw of one
    batch's masks from about 15 to 5 ms, of a 190 ms training step in
    bfloat16 (benchmarks/RESULTS.md).
    """
    backend = keras.backend.backend()
    if backend == "torch":
        size = math.prod(shape)
        draws = keras.random.randint(
            ((size + 3) // 4,),
            -(2**63),
            2**63 - 1,
            "int64",
            seed=seed_generator,
        )
        draws = ops.reshape(ops.view(draws, "int16")[:size], shape)
        return draws < round(rate * 2**16) - 2**15
    if backend != "tensorflow":
        return keras.random.uniform(shape, seed=seed_generator) < rate
    import tensorflow as tf
    from keras.src.backend.tensorflow.random import _cast_seed
    from keras.src.random.seed_generator import draw_seed

    seed = _cast_seed(draw_seed(seed_generator))
    return tf.random.stateless_uniform(shape, seed=seed, alg="philox") < rate


def dense(inputs, kernel):
    """`inputs @ kernel` over the last axis, as one 2-D matmul.

    Backends run a rank-3 by rank-2 matmul as a batched matmul; flattening
    the leading axes first gives the one large GEMM that hoisting is for.
    """
    if len(inputs.shape) == 2:
        return ops.matmul(inputs, kernel)
    leading = ops.shape(inputs)[:-1]
    flat = ops.reshape(inputs, (-1, inputs.shape[-1]))
    return ops.reshape(ops.matmul(flat, kernel), (*leading, kernel.shape[-1]))


def _sizes(state_size):
    return [state_size] if isinstance(state_size, int) else list(state_size)


def _split_points(sizes):
    points, total = [], 0
    for size in sizes[:-1]:
        total += size
        points.append(total)
    return points
