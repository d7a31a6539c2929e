"""Gated Recurrent Unit: `GRUCell` and `GRU`.

Cho et al. 2014, arXiv 1406.1078, in both of its published forms:
`reset_after=True` applies the reset gate after the recurrent matmul
(1406.1078v1, as cuDNN; all three gates' recurrent terms are then one
matmul), `reset_after=False` before it (1406.1078v3). Beyond Keras's GRU:
layer normalisation of the input and the recurrent pre-activations (Ba et al.
2016) and zoneout (Krueger et al. 2016). With the default arguments the
weights are exactly those of `keras.layers.GRU` (gates in the order z, r, h).
"""

import keras
from keras import activations
from keras import ops

from gatedkeras import registry
from gatedkeras.engine import arguments
from gatedkeras.engine import fused
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.layer_norm import layer_norm
from gatedkeras.engine.layer_norm import step_weight
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent


@keras.saving.register_keras_serializable(package="gatedkeras")
class GRUCell(RecurrentCell):
    """Cell of the GRU layer: one step of a gated recurrent unit.

    z = σ(W_z x + U_z h + b_z),  r = σ(W_r x + U_r h + b_r),
    h̃ = tanh(W_h x + b_xh + r ⊙ (U_h h + b_hh))   (`reset_after=True`)
    h̃ = tanh(W_h x + U_h (r ⊙ h) + b_h)            (`reset_after=False`)
    h' = z ⊙ h + (1 - z) ⊙ h̃

    With `layer_norm=True`, W x and U h (all three gates together) are each
    layer-normalised before the biases are added; this needs
    `reset_after=True`, since only then are the recurrent terms of all
    gates one product to normalise.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to
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
            update z ⊙ h uses the undropped h. Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        reset_after: Boolean, the form of the reset gate (see above).
            Defaults to `True`.
        layer_norm: Boolean. Defaults to `False`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        implementation: Accepted for compatibility with Keras, ignored.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h]`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h, [h])`.

    Example:

    >>> cell = gatedkeras.cells.GRUCell(8)
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
        reset_after=True,
        layer_norm=False,
        seed=None,
        implementation=2,
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
        if layer_norm and not reset_after:
            raise ValueError(
                "`layer_norm=True` needs `reset_after=True`: only then are "
                "the recurrent terms of all gates one product to normalise. "
                f"Received: layer_norm={layer_norm}, reset_after={reset_after}"
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
        self.reset_after = reset_after
        self.layer_norm = bool(layer_norm)
        self.implementation = implementation
        self.state_size = units
        self.output_size = units
        self.projection_size = 3 * units

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
                shape=(2, width) if self.reset_after else (width,),
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
            projected += self.bias[0] if self.reset_after else self.bias
        return projected

    def _step_function(self, recurrent_mask):
        units = self.units
        kernel = self.read_kernel(self.recurrent_kernel)
        act = self.activation
        gate = self.recurrent_activation
        recurrent_bias = None
        if self.use_bias and self.reset_after:
            recurrent_bias = self.bias[1]
        gamma = step_weight(
            self.recurrent_gamma if self.layer_norm else None,
            self.compute_dtype,
        )
        if not self.reset_after:
            kernel_zr, kernel_h = kernel[:, : 2 * units], kernel[:, 2 * units :]

        def core(projected, states):
            h = states[0]
            dropped = h if recurrent_mask is None else h * recurrent_mask
            x_z, x_r, x_h = ops.split(projected, 3, axis=-1)
            if self.reset_after:
                recurrent = ops.matmul(dropped, kernel)
                if gamma is not None:
                    recurrent = layer_norm(recurrent, gamma)
                if recurrent_bias is not None:
                    recurrent = recurrent + recurrent_bias
                u_z, u_r, u_h = ops.split(recurrent, 3, axis=-1)
                z = gate(x_z + u_z)
                r = gate(x_r + u_r)
                candidate = act(x_h + r * u_h)
            else:
                u_z, u_r = ops.split(ops.matmul(dropped, kernel_zr), 2, -1)
                z = gate(x_z + u_z)
                r = gate(x_r + u_r)
                candidate = act(x_h + ops.matmul(r * dropped, kernel_h))
            h = z * h + (1 - z) * candidate
            return h, [h]

        return core

    @property
    def is_keras_gru(self):
        """Whether this cell computes exactly `keras.layers.GRUCell`."""
        return not (self.layer_norm or self.zoneout)

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "reset_after": self.reset_after,
            "layer_norm": self.layer_norm,
            "implementation": self.implementation,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "gru",
    tunables=registry.COMMON_TUNABLES
    + (registry.Tunable("layer_norm", "bool", default=False),),
    constraints=(
        registry.Constraint(
            "layer_norm=True needs reset_after=True",
            lambda a, _: not a.get("layer_norm") or a.get("reset_after", True),
        ),
    ),
)
class GRU(Recurrent):
    """Gated Recurrent Unit layer (Cho et al. 2014).

    A drop-in for `keras.layers.GRU`: the same arguments with the same
    meaning and, by default, the same weights (bias of shape
    `(2, 3 * units)` with `reset_after=True`, `(3 * units,)` without). On a
    GPU the configurations Keras runs with cuDNN (`reset_after=True`, tanh,
    sigmoid, no recurrent dropout, no layer norm or zoneout) use the same
    cuDNN kernel; everything else runs the gatedkeras engine (one input
    matmul for all steps, a loop over the recurrent part only).

    Args:
        units: Positive integer, width of the state.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, reset_after: as `keras.layers.GRU`
            (defaults `"tanh"`, `"sigmoid"`, `True`, `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`, `None` x 6, `0.0`, `0.0`, `None`,
            `True`).
        zoneout: Float in [0, 1). Defaults to `0.0`.
        layer_norm: Boolean (needs `reset_after=True`). Defaults to `False`.
        activity_regularizer: Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        use_cudnn: `"auto"`, `True` or `False`. Defaults to `"auto"`.
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

    >>> gru = gatedkeras.layers.GRU(16, return_sequences=True)
    >>> tuple(gru(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    recurrent_activation = CellArgument()
    use_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    reset_after = CellArgument()
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
        reset_after=True,
        layer_norm=False,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = GRUCell(
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
            reset_after=reset_after,
            layer_norm=layer_norm,
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
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
        self.use_cudnn = arguments.one_of(
            "use_cudnn", use_cudnn, ("auto", True, False)
        )
        self._disable_jit_for_cudnn()

    def fused_inner_loop(self, sequences, initial_state, mask, training):
        cell = self.cell
        if not self._may_use_cudnn(cell.is_keras_gru):
            return None
        try:
            result = fused.gru(
                self._dropped_inputs(sequences, training),
                initial_state,
                mask,
                cell,
                self.return_sequences,
                self.go_backwards,
                self.unroll,
            )
        except NotImplementedError:
            return self._no_cudnn()
        if keras.backend.backend() == "tensorflow":
            self.supports_jit = False
        return result

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
