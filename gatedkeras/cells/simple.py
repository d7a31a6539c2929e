"""Elman recurrent network: `SimpleRNNCell` and `SimpleRNN`.

Elman 1990, "Finding Structure in Time": h' = φ(W x + U h + b). Beyond Keras's
SimpleRNN: layer normalisation of the input and recurrent pre-activations
(Ba et al. 2016) and zoneout (Krueger et al. 2016). With the default
arguments the weights are exactly those of `keras.layers.SimpleRNN`.
"""

import keras
from keras import activations
from keras import ops

from gatedkeras import registry
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.layer_norm import layer_norm
from gatedkeras.engine.layer_norm import step_weight
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent


@keras.saving.register_keras_serializable(package="gatedkeras")
class SimpleRNNCell(RecurrentCell):
    """Cell of the SimpleRNN layer: h' = φ(W x + U h + b) (Elman 1990).

    With `layer_norm=True`: h' = φ(LN(W x) + LN(U h) + b).

    Args:
        units: Positive integer, width of the state.
        activation: φ. Defaults to `"tanh"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before the
            recurrent matmul, one mask per sequence. Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        layer_norm: Boolean. Defaults to `False`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h]`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h, [h])`.

    Example:

    >>> cell = gatedkeras.cells.SimpleRNNCell(8)
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        layer_norm=False,
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
        self.layer_norm = bool(layer_norm)
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
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
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
        if self.layer_norm:
            self.input_gamma = self.add_weight(
                shape=(self.units,), name="input_gamma", initializer="ones"
            )
            self.recurrent_gamma = self.add_weight(
                shape=(self.units,), name="recurrent_gamma", initializer="ones"
            )

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.layer_norm:
            projected = layer_norm(projected, self.input_gamma)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def _step_function(self, recurrent_mask):
        kernel = self.read_kernel(self.recurrent_kernel)
        act = self.activation
        gamma = step_weight(
            self.recurrent_gamma if self.layer_norm else None,
            self.compute_dtype,
        )

        def core(projected, states):
            h = states[0]
            if recurrent_mask is not None:
                h = h * recurrent_mask
            recurrent = ops.matmul(h, kernel)
            if gamma is not None:
                recurrent = layer_norm(recurrent, gamma)
            h = act(projected + recurrent)
            return h, [h]

        return core

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "layer_norm": self.layer_norm,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "simple_rnn",
    tunables=registry.COMMON_TUNABLES
    + (registry.Tunable("layer_norm", "bool", default=False),),
)
class SimpleRNN(Recurrent):
    """Fully connected recurrent layer (Elman 1990).

    A drop-in for `keras.layers.SimpleRNN` (same arguments and weights),
    running on the gatedkeras engine: one input matmul for all steps, a
    loop over the recurrent part only.

    Args:
        units: Positive integer, width of the state.
        activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed: as
            `keras.layers.SimpleRNN` (defaults `"tanh"`, `True`,
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`, `None` x 6,
            `0.0`, `0.0`, `None`).
        zoneout: Float in [0, 1). Defaults to `0.0`.
        layer_norm: Boolean. Defaults to `False`.
        activity_regularizer: Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        **kwargs: Base layer arguments.

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

    >>> rnn = gatedkeras.layers.SimpleRNN(16, layer_norm=True)
    >>> tuple(rnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    use_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    layer_norm = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        layer_norm=False,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = SimpleRNNCell(
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
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            zoneout=zoneout,
            layer_norm=layer_norm,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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
