"""Long Short-Term Memory: `LSTMCell` and `LSTM`.

Hochreiter and Schmidhuber 1997, with the forget gate of Gers, Schmidhuber
and Cummins 2000 ("Learning to Forget"). Options beyond Keras's LSTM, each
off by default:

- peepholes (Gers, Schraudolph and Schmidhuber 2002, JMLR 3:115-143);
- coupled input and forget gates, CIFG (Greff et al. 2015, arXiv 1503.04069);
- layer normalisation (Ba, Kiros and Hinton 2016, arXiv 1607.06450), in the
  form Haste uses: one norm over all gates' input pre-activations, one over
  all gates' recurrent pre-activations, one on the cell before the output
  activation; the carried cell state is not normalised;
- a recurrent projection, LSTMP (Sak, Senior and Beaufays 2014,
  arXiv 1402.1128), as `torch.nn.LSTM(proj_size=...)`;
- zoneout (Krueger et al. 2016, arXiv 1606.01305) on both states.

With the default arguments the weights are exactly those of
`keras.layers.LSTM` (gates in the order i, f, c, o).
"""

import keras
from keras import activations
from keras import initializers
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
class LSTMCell(RecurrentCell):
    """Cell of the LSTM layer: one step of an LSTM with a forget gate.

    i = σ(W_i x + U_i h + p_i ⊙ c + b_i),  f = σ(W_f x + U_f h + p_f ⊙ c + b_f)
    (f = 1 - i with `coupled_gates`), g = tanh(W_c x + U_c h + b_c),
    c' = f ⊙ c + i ⊙ g,  o = σ(W_o x + U_o h + p_o ⊙ c' + b_o),
    h' = o ⊙ tanh(c') (times `projection_kernel` with `proj_units`).
    The p terms exist only with `peephole=True`.

    Args:
        units: Positive integer, width of the cell state.
        activation: Activation of the candidate and the output. Defaults to
            `"tanh"`.
        recurrent_activation: Activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: Boolean, whether to add a bias. Defaults to `True`.
        kernel_initializer: Initializer of `kernel`. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: Initializer of `recurrent_kernel`. Defaults
            to `"orthogonal"`.
        bias_initializer: Initializer of `bias`. Defaults to `"zeros"`.
        unit_forget_bias: Boolean. Whether the forget gate's bias starts at
            1 (Jozefowicz et al. 2015). With `coupled_gates=True`, the input
            gate's bias starts at -1 instead, which opens the coupled forget
            gate the same way. Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the weights. Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the weights. Default to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before the
            recurrent matmul, one mask per sequence (Gal and Ghahramani
            2016). Defaults to `0.0`.
        zoneout: Float in [0, 1), zoneout probability of h and c (Krueger
            et al. 2016). Defaults to `0.0`.
        peephole: Boolean, diagonal peephole connections from the cell to
            the gates (Gers et al. 2002). Defaults to `False`.
        coupled_gates: Boolean, couple the forget gate to the input gate,
            f = 1 - i (CIFG, Greff et al. 2015); the kernels then hold three
            gates, i, c, o. Defaults to `False`.
        layer_norm: Boolean, layer normalisation as in Ba et al. 2016 (see
            the module docstring). Defaults to `False`.
        proj_units: Optional positive integer smaller than `units`: project
            h to this width (LSTMP, Sak et al. 2014); the projection is the
            output and the recurrent input. Defaults to `None`.
        projection_initializer: Initializer of `projection_kernel`.
            Defaults to `"glorot_uniform"`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        implementation: Accepted for compatibility with Keras and ignored:
            gates are always fused. Defaults to `2`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h, c]` of `(batch, proj_units or units)` and
            `(batch, units)` tensors.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h, [h, c])`.

    Example:

    >>> cell = gatedkeras.cells.LSTMCell(8, peephole=True)
    >>> x = keras.random.normal((2, 5))
    >>> h, (h, c) = cell(x, cell.get_initial_state(batch_size=2))
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
        peephole=False,
        coupled_gates=False,
        layer_norm=False,
        proj_units=None,
        projection_initializer="glorot_uniform",
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
        if proj_units is not None:
            arguments.positive_int("proj_units", proj_units)
            if proj_units >= units:
                raise ValueError(
                    "Argument `proj_units` must be smaller than `units` "
                    f"({units}). Received: proj_units={proj_units}"
                )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
        self.peephole = bool(peephole)
        self.coupled_gates = bool(coupled_gates)
        self.layer_norm = bool(layer_norm)
        self.proj_units = proj_units
        self.set_weight_arguments(
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            projection_initializer=projection_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        self.implementation = implementation
        self.num_gates = 3 if self.coupled_gates else 4
        output_units = proj_units or units
        self.state_size = [output_units, units]
        self.output_size = output_units
        self.projection_size = self.num_gates * units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        width = self.projection_size
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.output_size, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._full_bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        if self.peephole:
            self.peephole_kernel = self.add_weight(
                shape=((self.num_gates - 1) * self.units,),
                name="peephole_kernel",
                initializer="zeros",
            )
        if self.layer_norm:
            self.input_gamma = self.add_weight(
                shape=(width,), name="input_gamma", initializer="ones"
            )
            self.recurrent_gamma = self.add_weight(
                shape=(width,), name="recurrent_gamma", initializer="ones"
            )
            self.cell_gamma = self.add_weight(
                shape=(self.units,), name="cell_gamma", initializer="ones"
            )
            self.cell_beta = self.add_weight(
                shape=(self.units,), name="cell_beta", initializer="zeros"
            )
        if self.proj_units:
            self.projection_kernel = self.add_weight(
                shape=(self.units, self.proj_units),
                name="projection_kernel",
                initializer=self.projection_initializer,
            )

    def _full_bias_initializer(self, shape, dtype=None):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        units = self.units
        if self.coupled_gates:
            # Gate order i, c, o: the coupled forget gate 1 - i starts open.
            first = -initializers.get("ones")((units,), dtype=dtype)
            rest = self.bias_initializer((2 * units,), dtype=dtype)
            return ops.concatenate([first, rest])
        return ops.concatenate(
            [
                self.bias_initializer((units,), dtype=dtype),
                initializers.get("ones")((units,), dtype=dtype),
                self.bias_initializer((2 * units,), dtype=dtype),
            ]
        )

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.layer_norm:
            projected = layer_norm(projected, self.input_gamma)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def _step_function(self, recurrent_mask):
        recurrent_kernel = self.read_kernel(self.recurrent_kernel)
        act = self.activation
        gate = self.recurrent_activation
        coupled = self.coupled_gates
        peephole = self.peephole_kernel if self.peephole else None
        if peephole is not None:
            peephole = ops.split(peephole, self.num_gates - 1)
        if self.layer_norm:
            dtype = self.compute_dtype
            recurrent_gamma = step_weight(self.recurrent_gamma, dtype)
            cell_gamma = step_weight(self.cell_gamma, dtype)
            cell_beta = step_weight(self.cell_beta, dtype)
        projection = self.read_kernel(
            self.projection_kernel if self.proj_units else None
        )

        def core(projected, states):
            h, c = states[0], states[1]
            if recurrent_mask is not None:
                h = h * recurrent_mask
            recurrent = ops.matmul(h, recurrent_kernel)
            if self.layer_norm:
                recurrent = layer_norm(recurrent, recurrent_gamma)
            z = projected + recurrent
            if coupled:
                z_i, z_c, z_o = ops.split(z, 3, axis=-1)
            else:
                z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
            if peephole is not None:
                z_i = z_i + peephole[0] * c
                if not coupled:
                    z_f = z_f + peephole[1] * c
            i = gate(z_i)
            f = 1 - i if coupled else gate(z_f)
            c = f * c + i * act(z_c)
            if peephole is not None:
                z_o = z_o + peephole[-1] * c
            o = gate(z_o)
            normed = (
                layer_norm(c, cell_gamma, cell_beta) if self.layer_norm else c
            )
            h = o * act(normed)
            if projection is not None:
                h = ops.matmul(h, projection)
            return h, [h, c]

        return core

    @property
    def is_keras_lstm(self):
        """Whether this cell computes exactly `keras.layers.LSTMCell`."""
        return not (
            self.peephole
            or self.coupled_gates
            or self.layer_norm
            or self.proj_units
            or self.zoneout
        )

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            "peephole": self.peephole,
            "coupled_gates": self.coupled_gates,
            "layer_norm": self.layer_norm,
            "proj_units": self.proj_units,
            "implementation": self.implementation,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "lstm",
    tunables=registry.COMMON_TUNABLES
    + (
        registry.Tunable("layer_norm", "bool", default=False),
        registry.Tunable("peephole", "bool", default=False),
        registry.Tunable("coupled_gates", "bool", default=False),
    ),
    constraints=(
        registry.Constraint(
            "proj_units must be smaller than units",
            lambda a, _: (
                not a.get("proj_units")
                or "units" not in a
                or a["proj_units"] < a["units"]
            ),
        ),
    ),
)
class LSTM(Recurrent):
    """Long Short-Term Memory layer (Hochreiter and Schmidhuber 1997).

    A drop-in for `keras.layers.LSTM`: the same arguments with the same
    meaning and, by default, the same weights, so
    `layer.set_weights(keras_lstm.get_weights())` gives the same outputs. On
    a GPU the configurations that Keras runs with cuDNN (tanh, sigmoid, no
    recurrent dropout and none of the options below) run with the same
    cuDNN kernel; everything else runs the gatedkeras engine, which projects
    the inputs of all steps in one matmul and loops only over the recurrent
    part. Recurrent dropout, zoneout, peepholes, CIFG, layer norm and
    projections are not cuDNN features, so they take the engine on a GPU
    too.

    See `LSTMCell` for the equations and the options beyond Keras
    (`peephole`, `coupled_gates`, `layer_norm`, `proj_units`, `zoneout`).

    Args:
        units: Positive integer, width of the cell state.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias,
            kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint,
            dropout, recurrent_dropout, seed: as `keras.layers.LSTM`
            (defaults `"tanh"`, `"sigmoid"`, `True`, `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`, `True`, `None` x 6, `0.0`, `0.0`,
            `None`).
        zoneout: Float in [0, 1). Defaults to `0.0`.
        peephole: Boolean. Defaults to `False`.
        coupled_gates: Boolean. Defaults to `False`.
        layer_norm: Boolean. Defaults to `False`.
        proj_units: Optional integer < `units`. Defaults to `None`.
        projection_initializer: Defaults to `"glorot_uniform"`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        return_sequences: Boolean. Defaults to `False`.
        return_state: Boolean. Defaults to `False`.
        go_backwards: Boolean. Defaults to `False`.
        stateful: Boolean. Defaults to `False`.
        unroll: Boolean. Defaults to `False`.
        use_cudnn: `"auto"`, `True` or `False`: whether to use Keras's cuDNN
            kernel when the configuration and device allow. `True` raises
            when it cannot. Defaults to `"auto"`.
        **kwargs: Base layer arguments (`name`, `dtype`,
            `zero_output_for_mask`, ...).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h, c]`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)` (or `proj_units`), the whole
        sequence with `return_sequences=True`, followed by the final `h`
        and `c` with `return_state=True`.

    Example:

    >>> x = keras.random.normal((4, 10, 8))
    >>> lstm = gatedkeras.layers.LSTM(16, layer_norm=True, zoneout=0.1)
    >>> tuple(lstm(x).shape)
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
    peephole = CellArgument()
    coupled_gates = CellArgument()
    layer_norm = CellArgument()
    proj_units = CellArgument()
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
        peephole=False,
        coupled_gates=False,
        layer_norm=False,
        proj_units=None,
        projection_initializer="glorot_uniform",
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = LSTMCell(
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
            peephole=peephole,
            coupled_gates=coupled_gates,
            layer_norm=layer_norm,
            proj_units=proj_units,
            projection_initializer=projection_initializer,
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
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
        if not self._may_use_cudnn(cell.is_keras_lstm):
            return None
        try:
            result = fused.lstm(
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
