"""Independently Recurrent Neural Network: `IndRNNCell` and `IndRNN`.

Li, Li, Cook, Zhu and Gao 2018, "Independently Recurrent Neural Network
(IndRNN): Building A Longer and Deeper RNN", CVPR, arXiv 1803.04831:
h' = φ(W x + u ⊙ h + b) with a recurrent weight vector u, so that each unit
sees only its own past and a step has no recurrent matmul. Also here: the
paper's bound on |u| as a weight constraint (`MaxAbs`), and zoneout
(Krueger et al. 2016), off by default.
"""

import keras
from keras import activations
from keras import initializers
from keras import ops

from gatedkeras import registry
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent


def _positive_number(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
    ):
        raise ValueError(
            f"Argument `{name}` must be a positive number. "
            f"Received: {name}={value!r}"
        )
    return float(value)


@keras.saving.register_keras_serializable(package="gatedkeras")
class MaxAbs(keras.constraints.Constraint):
    """Clips every weight to [-max_value, max_value].

    The recurrent-weight constraint of IndRNN (Li et al. 2018): with ReLU,
    the gradient that flows back through T steps scales as u^T, so
    |u| <= gamma^(1 / T) keeps it below gamma (no explosion) over sequences
    of length T; the authors use gamma = 2 or 10.

    Args:
        max_value: Positive float, the largest absolute value allowed.

    Example:

    >>> clip = gatedkeras.cells.ind_rnn.MaxAbs(1.0)
    >>> keras.ops.convert_to_numpy(clip(keras.ops.array([-3.0, 0.5, 2.0])))
    array([-1. ,  0.5,  1. ], dtype=float32)
    """

    def __init__(self, max_value):
        self.max_value = _positive_number("max_value", max_value)

    def __call__(self, w):
        return ops.clip(w, -self.max_value, self.max_value)

    def get_config(self):
        return {"max_value": self.max_value}


@keras.saving.register_keras_serializable(package="gatedkeras")
class IndRNNCell(RecurrentCell):
    """Cell of the IndRNN layer: h' = φ(W x + u ⊙ h + b) (Li et al. 2018).

    `recurrent_kernel` is the vector u, of shape `(units,)`: the recurrent
    part of a step is elementwise.

    Args:
        units: Positive integer, width of the state.
        activation: φ. Defaults to `"relu"`, as the paper favours.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Initializer of u. Defaults to `None`: uniform
            in [0, 1], as the authors initialise u for ReLU, so that
            different units keep memories of different lengths.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        recurrent_max_abs: Optional positive float: after each update, u is
            clipped to [-recurrent_max_abs, recurrent_max_abs] (`MaxAbs`),
            the paper's constraint. Not together with
            `recurrent_constraint`. Defaults to `None` (no clipping).
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before u ⊙ h, one
            mask per sequence. Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h]`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h, [h])`.

    Example:

    >>> cell = gatedkeras.cells.IndRNNCell(8)
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    def __init__(
        self,
        units,
        activation="relu",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer=None,
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        recurrent_max_abs=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            units,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            zoneout=zoneout,
            seed=seed,
            **kwargs,
        )
        if recurrent_max_abs is not None:
            recurrent_max_abs = _positive_number(
                "recurrent_max_abs", recurrent_max_abs
            )
            if recurrent_constraint is not None:
                raise ValueError(
                    "Pass either `recurrent_max_abs` or "
                    "`recurrent_constraint`, not both: `recurrent_max_abs` "
                    "is itself the constraint on u. "
                    f"Received: recurrent_max_abs={recurrent_max_abs}, "
                    f"recurrent_constraint={recurrent_constraint!r}"
                )
        if recurrent_initializer is None:
            # A new instance per cell: an unseeded Keras initializer draws
            # the same values at every call.
            recurrent_initializer = initializers.RandomUniform(0.0, 1.0)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.set_weight_arguments(
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        self.recurrent_max_abs = recurrent_max_abs
        self.state_size = units
        self.output_size = units
        self.projection_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        recurrent_constraint = self.recurrent_constraint
        if self.recurrent_max_abs is not None:
            recurrent_constraint = MaxAbs(self.recurrent_max_abs)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units,),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def _step_function(self, recurrent_mask):
        u = self.read_kernel(self.recurrent_kernel)
        act = self.activation

        def core(projected, states):
            h = states[0]
            if recurrent_mask is not None:
                h = h * recurrent_mask
            h = act(projected + u * h)
            return h, [h]

        return core

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "recurrent_max_abs": self.recurrent_max_abs,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "ind_rnn",
    tunables=registry.COMMON_TUNABLES
    + (
        registry.Tunable(
            "activation", "choice", values=("relu", "tanh"), default="relu"
        ),
    ),
    constraints=(
        registry.Constraint(
            "recurrent_max_abs and recurrent_constraint cannot both be set",
            lambda a, _: (
                a.get("recurrent_max_abs") is None
                or a.get("recurrent_constraint") is None
            ),
        ),
    ),
)
class IndRNN(Recurrent):
    """Independently Recurrent Neural Network layer (Li et al. 2018).

    h' = φ(W x + u ⊙ h + b), arXiv 1803.04831: each unit has one recurrent
    weight, its own, so a step costs elementwise work only beyond the input
    projection, and the gradient through time is governed per unit by u.
    It equals `keras.layers.SimpleRNN` with `recurrent_kernel = diag(u)`.

    The paper's recipe, for ReLU and sequences of length T:

    - Bound u: `recurrent_max_abs=gamma ** (1 / T)` with gamma = 2 (or 10)
      keeps the gradient through T steps from exploding. For T around 20
      the authors use no bound; for very long T, 1. For tanh they use
      `(gamma / 0.9 ** (T / 10)) ** (1 / T)`.
    - Initialise u uniform in [0, 1] (the default). For the last layer of
      a model that reads only the last step (classification, the adding
      problem), start near 1 for long memory:
      `recurrent_initializer=keras.initializers.RandomUniform(
      0.5 ** (1 / T), 2 ** (1 / T))`.
    - Stack several layers (the paper's deep IndRNNs add batch
      normalisation between them: `keras.layers.BatchNormalization`).

    Where we differ from the paper and its code: the bound is applied by
    Keras after each update rather than before each step (the same
    sequence of clipped weights); the input kernel starts Glorot-uniform
    (the authors' adding-problem script draws it from a normal with
    standard deviation 0.001); recurrent dropout and zoneout are our
    additions. No layer norm option: normalising across units would couple
    the units, whose independence is the point of the model.

    Args:
        units: Positive integer, width of the state.
        activation: φ. Defaults to `"relu"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Initializer of u. Defaults to `None`
            (uniform in [0, 1]).
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        activity_regularizer: Defaults to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        recurrent_max_abs: Optional positive float, the bound on |u| (see
            above). Defaults to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before u ⊙ h, one
            mask per sequence. Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`,
            `zero_output_for_mask`, ...).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h]`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final state with
        `return_state=True`.

    Example:

    >>> T = 100
    >>> rnn = gatedkeras.layers.IndRNN(16, recurrent_max_abs=2 ** (1 / T))
    >>> tuple(rnn(keras.random.normal((4, T, 8))).shape)
    (4, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    use_bias = CellArgument()
    recurrent_max_abs = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        activation="relu",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer=None,
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        recurrent_max_abs=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = IndRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            recurrent_max_abs=recurrent_max_abs,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            zoneout=zoneout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="ind_rnn_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
