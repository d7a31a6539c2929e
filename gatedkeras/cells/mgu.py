"""Minimal Gated Unit: `MGUCell` and `MGU`.

Zhou, Wu, Zhang and Zhou 2016, "Minimal Gated Unit for Recurrent Neural
Networks", arXiv 1603.09420 (International Journal of Automation and
Computing 13(3)): a GRU with a single gate, the forget gate f, which plays
both the reset and the update role. Beyond the paper: layer normalisation
(Ba et al. 2016) and zoneout (Krueger et al. 2016), both off by default.
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
class MGUCell(RecurrentCell):
    """Cell of the MGU layer: one step of a Minimal Gated Unit.

    f = σ(W_f x + U_f h + b_f),
    h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h),
    h' = (1 - f) ⊙ h + f ⊙ h̃                  (Zhou et al. 2016).

    The weights hold the two parts side by side, in the order f, h:
    `kernel` `(features, 2 * units)`, `recurrent_kernel`
    `(units, 2 * units)`, `bias` `(2 * units,)`. The candidate needs f ⊙ h,
    so a step has two recurrent products, U_f h and then U_h (f ⊙ h), as
    the GRU does with `reset_after=False`.

    With `layer_norm=True` (not in the paper): W x is layer-normalised over
    both parts at once, as our GRU and LSTM do, and each recurrent product
    is normalised on its own, since the two cannot be one product; the
    biases are added after the norms.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gate. Defaults to
            `"sigmoid"`.
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
        recurrent_dropout: Float in [0, 1), dropout of h in the recurrent
            products, one mask per sequence (Gal and Ghahramani 2016); the
            update (1 - f) ⊙ h uses the undropped h. Defaults to `0.0`.
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

    >>> cell = gatedkeras.cells.MGUCell(8)
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
                initializer=self.bias_initializer,
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

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.layer_norm:
            projected = layer_norm(projected, self.input_gamma)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def _step_function(self, recurrent_mask):
        units = self.units
        kernel = self.read_kernel(self.recurrent_kernel)
        kernel_f, kernel_h = kernel[:, :units], kernel[:, units:]
        act = self.activation
        gate = self.recurrent_activation
        if self.layer_norm:
            gamma = step_weight(self.recurrent_gamma, self.compute_dtype)
            gamma_f, gamma_h = ops.split(gamma, 2)

        def core(projected, states):
            h = states[0]
            dropped = h if recurrent_mask is None else h * recurrent_mask
            x_f, x_h = ops.split(projected, 2, axis=-1)
            u_f = ops.matmul(dropped, kernel_f)
            if self.layer_norm:
                u_f = layer_norm(u_f, gamma_f)
            f = gate(x_f + u_f)
            u_h = ops.matmul(f * dropped, kernel_h)
            if self.layer_norm:
                u_h = layer_norm(u_h, gamma_h)
            h = (1 - f) * h + f * act(x_h + u_h)
            return h, [h]

        return core

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "layer_norm": self.layer_norm,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "mgu",
    tunables=registry.COMMON_TUNABLES
    + (registry.Tunable("layer_norm", "bool", default=False),),
)
class MGU(Recurrent):
    """Minimal Gated Unit layer (Zhou et al. 2016, arXiv 1603.09420).

    A GRU reduced to one gate: f = σ(W_f x + U_f h + b_f),
    h̃ = tanh(W_h x + U_h (f ⊙ h) + b_h), h' = (1 - f) ⊙ h + f ⊙ h̃. It has
    two thirds of the GRU's weights. The equations are the paper's; layer
    normalisation and zoneout are our additions, off by default (see
    `MGUCell`). The MGU is exactly `keras.layers.GRU(reset_after=False)`
    with the weights [-W_f, W_f, W_h], [-U_f, U_f, U_h] and
    [-b_f, b_f, b_h] (then z = 1 - f and r = f). It runs on the gatedkeras
    engine: the input projection of all gates in one matmul, a loop over
    the recurrent part only.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gate. Defaults to
            `"sigmoid"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        activity_regularizer: Defaults to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h in the recurrent
            products, one mask per sequence. Defaults to `0.0`.
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

    >>> mgu = gatedkeras.layers.MGU(16, return_sequences=True)
    >>> tuple(mgu(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    recurrent_activation = CellArgument()
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
        recurrent_activation="sigmoid",
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
        cell = MGUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
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
            name="mgu_cell",
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
