"""Update-Gate RNN: `UGRNNCell` and `UGRNN`.

Collins, Sohl-Dickstein and Sussillo 2017, "Capacity and Trainability in
Recurrent Neural Networks", ICLR, arXiv 1611.09913: a vanilla RNN whose
state is mixed with its previous value by one update gate, as in a highway
network. Beyond the paper: layer normalisation (Ba et al. 2016) and zoneout
(Krueger et al. 2016), both off by default.
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
class UGRNNCell(RecurrentCell):
    """Cell of the UGRNN layer: one step of an update-gate RNN.

    g = σ(W_g x + U_g h + b_g),  c = tanh(W_c x + U_c h + b_c),
    h' = g ⊙ h + (1 - g) ⊙ c                  (Collins et al. 2017).

    The weights hold the two parts side by side, in the order g, c, as
    TensorFlow 1's `UGRNNCell`: `kernel` `(features, 2 * units)`,
    `recurrent_kernel` `(units, 2 * units)`, `bias` `(2 * units,)`. Both
    parts' recurrent terms are one matmul per step.

    With `layer_norm=True` (not in the paper): W x and U h (both parts
    together) are each layer-normalised before the bias is added, as in our
    LSTM and GRU.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate c. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gate g. Defaults to
            `"sigmoid"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Boolean. Whether the gate's bias b_g starts at 1
            (the rest from `bias_initializer`), so that at first the state
            leans towards keeping its value; TensorFlow 1's `UGRNNCell`
            adds the same 1 (`forget_bias=1.0`). No effect without a bias.
            Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before the
            recurrent matmul, one mask per sequence (Gal and Ghahramani
            2016); the update g ⊙ h uses the undropped h. Defaults to
            `0.0`.
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

    >>> cell = gatedkeras.cells.UGRNNCell(8)
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
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
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
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
        self.projection_size = 2 * units

    def build(self, input_shape):
        width = self.projection_size
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._full_bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        if self.layer_norm:
            self.input_gamma = self.add_weight(
                shape=(width,), name="input_gamma", initializer="ones"
            )
            self.recurrent_gamma = self.add_weight(
                shape=(width,), name="recurrent_gamma", initializer="ones"
            )

    def _full_bias_initializer(self, shape, dtype=None):
        bias = self.bias_initializer(shape, dtype=dtype)
        if not self.unit_forget_bias:
            return bias
        ones = ops.ones((self.units,), dtype=dtype)
        return ops.concatenate([ones, bias[self.units :]])

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
        gate = self.recurrent_activation
        gamma = step_weight(
            self.recurrent_gamma if self.layer_norm else None,
            self.compute_dtype,
        )

        def core(projected, states):
            h = states[0]
            dropped = h if recurrent_mask is None else h * recurrent_mask
            recurrent = ops.matmul(dropped, kernel)
            if gamma is not None:
                recurrent = layer_norm(recurrent, gamma)
            z_g, z_c = ops.split(projected + recurrent, 2, axis=-1)
            g = gate(z_g)
            h = g * h + (1 - g) * act(z_c)
            return h, [h]

        return core

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            "layer_norm": self.layer_norm,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "ugrnn",
    tunables=registry.COMMON_TUNABLES
    + (registry.Tunable("layer_norm", "bool", default=False),),
)
class UGRNN(Recurrent):
    """Update-Gate RNN layer (Collins et al. 2017, arXiv 1611.09913).

    g = σ(W_g x + U_g h + b_g), c = tanh(W_c x + U_c h + b_c),
    h' = g ⊙ h + (1 - g) ⊙ c: a GRU without its reset gate, so the
    recurrent terms of both parts are one matmul per step. The equations
    are the paper's; the gate's bias starting at 1 (`unit_forget_bias`,
    from TensorFlow 1's `UGRNNCell`, which the paper does not specify),
    layer normalisation and zoneout are our additions (see `UGRNNCell`).
    The UGRNN is exactly `keras.layers.GRU(reset_after=False)` with its
    reset gate held open.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gate. Defaults to
            `"sigmoid"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Boolean, whether the gate's bias starts at 1.
            Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        activity_regularizer: Defaults to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before the
            recurrent matmul, one mask per sequence. Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        layer_norm: Boolean. Defaults to `False`.
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

    >>> ugrnn = gatedkeras.layers.UGRNN(16, layer_norm=True)
    >>> tuple(ugrnn(keras.random.normal((4, 10, 8))).shape)
    (4, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    recurrent_activation = CellArgument()
    use_bias = CellArgument()
    unit_forget_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    layer_norm = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
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
        cell = UGRNNCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
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
            name="ugrnn_cell",
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
