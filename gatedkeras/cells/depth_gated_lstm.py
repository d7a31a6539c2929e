"""Depth-Gated LSTM: `DepthGatedLSTMCell` and `DepthGatedLSTM`.

Yao, Cohn, Vylomova, Duh and Dyer 2015, "Depth-Gated LSTM", arXiv 1508.03790:
a stack of LSTM layers in which a depth gate links each layer's memory cell to
the memory cell of the layer below at the same step. For layer L+1 above the
first, whose input is the output h^L of the layer below:

    d_t = σ(b_d + W_xd h_t^L + w_cd ⊙ c_{t-1}^{L+1} + w_ld ⊙ c_t^L)
    c_t^{L+1} = d_t ⊙ c_t^L + f_t ⊙ c_{t-1}^{L+1} + i_t ⊙ g_t

with i, f, g, o and h as in an LSTM; the first layer is a plain LSTM on the
input, and every layer has the same width.

Where we depart from the authors' DyNet `DGLSTMBuilder` (`cnn/dglstm.cc`,
whose depth gate these equations follow): its forget gate is coupled to the
input gate, f = 1 - i, where ours has its own weights; its peepholes on i
and o are always on and are full matrices, where ours are diagonal (as in
our `LSTM`) and off by default; its first layer also gates a linear
projection of the input into the cell, where ours has no depth gate; and it
scales each layer's input by a learned scalar, where ours does not. With
every depth gate shut the stack is then exactly a stack of
`keras.layers.LSTM`.
"""

import keras
from keras import activations
from keras import initializers
from keras import ops

from gatedkeras import registry
from gatedkeras.engine import arguments
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.loop import recurrent_loop
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent
from gatedkeras.engine.recurrent import hoist_projection


@keras.saving.register_keras_serializable(package="gatedkeras")
class DepthGatedLSTMCell(RecurrentCell):
    """Cell of the DepthGatedLSTM layer: one step of the whole stack.

    Layer 1 is an LSTM on the input x (gates i, f, c, o, as `LSTMCell`).
    Each layer l above it reads the output h^{l-1} of the layer below and
    adds a depth gate (Yao et al. 2015, arXiv 1508.03790):

    d = σ(W_d h^{l-1} + w_cd ⊙ c + w_ld ⊙ c^{l-1} + b_d),
    c' = f ⊙ c + i ⊙ g + d ⊙ c^{l-1},  h' = o ⊙ tanh(c'),

    where c^{l-1} is the cell of the layer below at the same step. The
    output is the top layer's h.

    Weights (N = `num_layers`; all layers have width `units`):
    `kernel` (input width, 4 units): layer 1's input kernel, gates i, f, c,
    o; `upper_kernel` (N - 1, units, 5 units): the input kernels of layers
    2..N, gates i, f, c, o, d; `recurrent_kernel` (N, units, 4 units);
    `bias` (N, 4 units); `depth_bias` (N - 1, units): b_d;
    `depth_peephole_kernel` (N - 1, 2 units): w_cd then w_ld;
    `peephole_kernel` (N, 3 units) with `peephole=True`: the diagonal
    weights of the cell on i and f (previous cell) and o (new cell).

    Args:
        units: Positive integer, width of every layer's h and c.
        num_layers: Positive integer, number of stacked layers. With 1 the
            cell is an LSTM. Defaults to `2`.
        activation: Activation of the candidate and the output. Defaults to
            `"tanh"`.
        recurrent_activation: Activation of the gates, depth gate included.
            Defaults to `"sigmoid"`.
        use_bias: Boolean, whether to add biases. Defaults to `True`.
        kernel_initializer: Initializer of `kernel` and `upper_kernel`,
            applied layer by layer. Defaults to `"glorot_uniform"`.
        recurrent_initializer: Initializer of each layer's recurrent
            kernel. Defaults to `"orthogonal"`.
        bias_initializer: Initializer of `bias` and `depth_bias`. Defaults
            to `"zeros"`.
        unit_forget_bias: Boolean, whether each forget gate's bias starts at
            1 (Jozefowicz et al. 2015). Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the input kernels, the recurrent kernel and the
            biases. Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the same weights. Default to `None`.
        dropout: Float in [0, 1), dropout of each layer's input, one mask
            per sequence: the input x for layer 1, the output of the layer
            below for the others. Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of each layer's h before
            its recurrent matmul, one mask per sequence and layer. Defaults
            to `0.0`.
        zoneout: Float in [0, 1), zoneout probability of every layer's h
            and c (Krueger et al. 2016); the layer above reads the zoned-out
            values. Defaults to `0.0`.
        peephole: Boolean, diagonal peephole connections from each layer's
            cell to its i, f and o gates (Gers et al. 2002). Defaults to
            `False`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Inside `keras.layers.RNN` on JAX with a mask, Keras takes the first
    state (here h_1, not the output h_N) as the output of a masked step; the
    states are right. The `DepthGatedLSTM` layer has no such limit.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h_1, c_1, ..., h_N, c_N]` of `(batch, units)`
            tensors, from the first layer up.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h_N, [h_1, c_1, ..., h_N, c_N])`.

    Example:

    >>> cell = gatedkeras.cells.DepthGatedLSTMCell(8, num_layers=3)
    >>> states = cell.get_initial_state(batch_size=2)
    >>> h, states = cell(keras.random.normal((2, 5)), states)
    >>> tuple(h.shape), len(states)
    ((2, 8), 6)
    """

    def __init__(
        self,
        units,
        num_layers=2,
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
        self.num_layers = arguments.positive_int("num_layers", num_layers)
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
        self.peephole = bool(peephole)
        self.state_size = [units, units] * self.num_layers
        self.output_size = units
        self.projection_size = 4 * units

    def build(self, input_shape):
        n, units = self.num_layers, self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], 4 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(n, units, 4 * units),
            name="recurrent_kernel",
            initializer=_per_layer(self.recurrent_initializer),
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(n, 4 * units),
                name="bias",
                initializer=_per_layer(self._gate_bias_initializer),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        if self.peephole:
            self.peephole_kernel = self.add_weight(
                shape=(n, 3 * units),
                name="peephole_kernel",
                initializer="zeros",
            )
        if n == 1:
            return
        self.upper_kernel = self.add_weight(
            shape=(n - 1, units, 5 * units),
            name="upper_kernel",
            initializer=_per_layer(self.kernel_initializer),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.depth_bias = None
        if self.use_bias:
            self.depth_bias = self.add_weight(
                shape=(n - 1, units),
                name="depth_bias",
                initializer=_per_layer(self.bias_initializer),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.depth_peephole_kernel = self.add_weight(
            shape=(n - 1, 2 * units),
            name="depth_peephole_kernel",
            initializer="zeros",
        )

    def _gate_bias_initializer(self, shape, dtype=None):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        units = self.units
        return ops.concatenate(
            [
                self.bias_initializer((units,), dtype=dtype),
                initializers.get("ones")((units,), dtype=dtype),
                self.bias_initializer((2 * units,), dtype=dtype),
            ]
        )

    def get_dropout_mask(self, step_input):
        # The input masks of all layers are drawn as one, so that a sequence
        # layer that draws the masks before its loop (Keras's RNN does, for
        # JAX) draws them all. This is layer 1's.
        return self._input_dropout_masks(ops.shape(step_input)[0])[0]

    def get_recurrent_dropout_mask(self, step_input):
        # One mask per layer, drawn as one for the same reason.
        return super().get_recurrent_dropout_mask(
            ops.tile(step_input, (1, self.num_layers))
        )

    def _input_dropout_masks(self, batch_size):
        input_dim, units = self.kernel.shape[0], self.units
        uppers = self.num_layers - 1
        width = input_dim + uppers * units
        mask = super().get_dropout_mask(
            ops.ones((batch_size, width), self.compute_dtype)
        )
        if mask is None:
            return [None] * self.num_layers
        points = [input_dim + units * k for k in range(uppers)]
        return ops.split(mask, points, axis=-1) if points else [mask]

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias[0]
        return projected

    def step_function(self, states, training=False):
        # Overrides the base class: zoneout applies layer by layer, since
        # each layer's zoned-out state is what the layer above reads, and
        # the output is the top layer's h.
        layers = self.layer_functions(ops.shape(states[0])[0], training)
        zoneout = training and self.zoneout > 0

        def step(projected, states, zoneout_mask=None):
            keep = [None] * len(states)
            if zoneout:
                keep = self.split_zoneout_mask(zoneout_mask)
            new_states, below = [], None
            for layer, (project, core) in enumerate(layers):
                if layer:
                    projected = project(new_states[-2])
                pair = slice(2 * layer, 2 * layer + 2)
                new_states += core(projected, below, states[pair], keep[pair])
                below = new_states[-1]
            return new_states[-2], new_states

        return step

    def layer_functions(self, batch_size, training=False):
        """Each layer's two halves, with the weights read once.

        Returns a list with one `(project, core)` pair per layer, from the
        first up. `project(h_below)` is the input projection of a layer
        above the first (dropout included), of one step or of a whole
        sequence; the first layer's is `None` (use the cell's `project`).
        `core(projected, c_below, [h, c], [keep_h, keep_c])` returns the
        layer's new `[h, c]`: `c_below` is the cell of the layer below at
        the same step (`None` for the first layer) and the `keep` masks are
        zoneout's (`None` entries outside training).
        """
        n, units = self.num_layers, self.units
        recurrent_masks = [None] * n
        if training and self.recurrent_dropout > 0:
            mask = self.get_recurrent_dropout_mask(
                ops.zeros((batch_size, units), self.compute_dtype)
            )
            recurrent_masks = ops.split(mask, n, axis=-1)
        input_masks = [None] * n
        if training and self.dropout > 0:
            input_masks = self._input_dropout_masks(batch_size)
        functions = [(None, self._core(0, recurrent_masks[0]))]
        for layer in range(1, n):
            functions.append(
                (
                    self._upper_projection(layer, input_masks[layer]),
                    self._core(layer, recurrent_masks[layer]),
                )
            )
        return functions

    def _upper_projection(self, layer, mask):
        kernel = self.upper_kernel[layer - 1]
        bias = None
        if self.use_bias:
            bias = ops.concatenate(
                [self.bias[layer], self.depth_bias[layer - 1]], axis=-1
            )

        def project(h_below):
            if mask is not None:
                h_below = h_below * mask
            projected = dense(h_below, kernel)
            return projected if bias is None else projected + bias

        return project

    def _core(self, layer, recurrent_mask):
        units = self.units
        peephole = None
        if self.peephole:
            peephole = ops.split(self.peephole_kernel[layer], 3)
        recurrent_kernel = self.recurrent_kernel[layer]
        act = self.activation
        gate = self.recurrent_activation
        depth = None
        if layer:
            depth = ops.split(self.depth_peephole_kernel[layer - 1], 2)
        rate = ops.cast(self.zoneout, self.compute_dtype)

        def core(projected, c_below, states, keep):
            h, c = states
            if recurrent_mask is not None:
                h = h * recurrent_mask
            if depth is not None:
                projected, z_d = ops.split(projected, [4 * units], axis=-1)
            z = projected + ops.matmul(h, recurrent_kernel)
            z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
            if peephole is not None:
                z_i = z_i + peephole[0] * c
                z_f = z_f + peephole[1] * c
            new_c = gate(z_f) * c + gate(z_i) * act(z_c)
            if depth is not None:
                d = gate(z_d + depth[0] * c + depth[1] * c_below)
                new_c = new_c + d * c_below
            if peephole is not None:
                z_o = z_o + peephole[2] * new_c
            new_h = gate(z_o) * act(new_c)
            new = [new_h, new_c]
            if keep[0] is not None:
                return [
                    ops.where(k, s, x) for k, s, x in zip(keep, states, new)
                ]
            if self.zoneout:
                return [x + rate * (s - x) for s, x in zip(states, new)]
            return new

        return core

    def get_config(self):
        config = {
            "num_layers": self.num_layers,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            "peephole": self.peephole,
        }
        base_config = super().get_config()
        return {**base_config, **config}


def _per_layer(initializer):
    """Initialises a stacked weight one layer at a time, so that fans and
    orthogonality are those of each layer's 2-D (or 1-D) weight."""

    def initialize(shape, dtype=None):
        return ops.stack(
            [initializer(shape[1:], dtype=dtype) for _ in range(shape[0])]
        )

    return initialize


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "depth_gated_lstm",
    tunables=registry.COMMON_TUNABLES
    + (
        registry.Tunable("num_layers", "int", low=1, high=4, default=2),
        registry.Tunable("peephole", "bool", default=False),
    ),
)
class DepthGatedLSTM(Recurrent):
    """Depth-Gated LSTM layer: a stack of LSTM layers whose memory cells
    are linked through depth by a gate (Yao et al. 2015, arXiv 1508.03790).

    See `DepthGatedLSTMCell` for the equations and the weights, and the
    module docstring for where we depart from the authors' code. Where the
    engine hoists input projections out of the time loop (PyTorch, GPUs),
    the layer runs the stack one layer at a time over the whole sequence, so
    that every layer's input projection is one matmul over all steps and
    each layer's loop holds only its recurrent matmul. Elsewhere
    (TensorFlow and JAX on a CPU) it runs the whole stack one step at a
    time in a single loop, as the cell does in `keras.layers.RNN` and the
    step API, which measured faster there. Both compute the same thing.

    Args:
        units: Positive integer, width of every layer's h and c.
        num_layers: Positive integer, number of stacked layers. Defaults to
            `2`.
        activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias,
            kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, seed:
            as `keras.layers.LSTM`, for every layer (defaults `"tanh"`,
            `"sigmoid"`, `True`, `"glorot_uniform"`, `"orthogonal"`,
            `"zeros"`, `True`, `None` x 6, `None`).
        dropout: Float in [0, 1), dropout of each layer's input with one
            mask per sequence, so also dropout between layers. Defaults to
            `0.0`.
        recurrent_dropout: Float in [0, 1). Defaults to `0.0`.
        zoneout: Float in [0, 1), on every layer's h and c. Defaults to
            `0.0`.
        peephole: Boolean. Defaults to `False`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        return_sequences: Boolean. Defaults to `False`.
        return_state: Boolean, whether to return every layer's final states
            after the output, in the order `[h_1, c_1, ..., h_N, c_N]`
            from the first layer up. Defaults to `False`.
        go_backwards: Boolean. Defaults to `False`.
        stateful: Boolean. Defaults to `False`.
        unroll: Boolean. Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`,
            `zero_output_for_mask`, ...).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h_1, c_1, ..., h_N, c_N]`.
        mask: Optional boolean tensor `(batch, timesteps)`; a masked step
            carries every layer's states.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The top layer's last output `(batch, units)`, or its whole sequence
        with `return_sequences=True`, followed by the final
        `h_1, c_1, ..., h_N, c_N` with `return_state=True`.

    Example:

    >>> x = keras.random.normal((4, 10, 8))
    >>> layer = gatedkeras.layers.DepthGatedLSTM(16, num_layers=3,
    ...                                          return_state=True)
    >>> output, *states = layer(x)
    >>> tuple(output.shape), len(states)
    ((4, 16), 6)
    """

    units = CellArgument()
    num_layers = CellArgument()
    activation = CellArgument()
    recurrent_activation = CellArgument()
    use_bias = CellArgument()
    unit_forget_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    peephole = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        num_layers=2,
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
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = DepthGatedLSTMCell(
            units,
            num_layers=num_layers,
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
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="depth_gated_lstm_cell",
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

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not hoist_projection():
            # Measured on a CPU (2 layers of 256, batch 64, 100 steps, 128
            # features): one loop over the whole stack beats a loop per
            # layer on TensorFlow (202 against 287 ms per training step
            # hoisted, 397 against 671 not) and ties on JAX (1186 against
            # 1156 ms not hoisted, 1285 hoisted).
            return super().inner_loop(sequences, initial_state, mask, training)
        # Layer by layer over the whole sequence, so that every layer's input
        # projection is one matmul over all steps: a layer above the first
        # reads the h and c sequences of the layer below. A masked step is
        # masked in every layer, so it carries every layer's states, as in
        # the cell's step-by-step stack.
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.stateful and keras.backend.backend() == "torch":
            # The state variables are written in place after the call; the
            # autograd graph must not hold them.
            initial_state = [ops.copy(state) for state in initial_state]
        cell, units = self.cell, self.units
        batch, timesteps = ops.shape(sequences)[0], ops.shape(sequences)[1]
        inputs = ops.transpose(sequences, (1, 0, 2))
        if mask is not None:
            mask = ops.transpose(mask, (1, 0))
        if self.go_backwards:
            inputs = ops.flip(inputs, 0)
            mask = None if mask is None else ops.flip(mask, 0)
        keep = [None] * len(initial_state)
        if training and cell.zoneout > 0:
            keep = cell.split_zoneout_mask(cell.zoneout_mask(batch, timesteps))
        states = []
        functions = cell.layer_functions(batch, training)
        for layer, (project, core) in enumerate(functions):
            top = layer == len(functions) - 1
            if layer:
                # `inputs` holds h and c of the layer below, side by side.
                step_inputs = (
                    project(inputs[..., :units]),
                    inputs[..., units:],
                )
            else:
                step_inputs = (cell.project(inputs, training, time_major=True),)
            pair = slice(2 * layer, 2 * layer + 2)
            step_inputs += tuple(k for k in keep[pair] if k is not None)
            width = units if top else 2 * units
            last_output, inputs, final = recurrent_loop(
                _layer_step(core, layer > 0, top),
                step_inputs,
                tuple(initial_state[pair]),
                ops.zeros((batch, width), cell.compute_dtype),
                mask=mask,
                unroll=self.unroll,
                zero_output_for_mask=self.zero_output_for_mask,
                return_sequences=self.return_sequences or not top,
            )
            states += final
        if inputs is None:
            outputs = ops.expand_dims(last_output, 1)
        else:
            outputs = ops.transpose(inputs, (1, 0, 2))
        return last_output, outputs, states


def _layer_step(core, upper, top):
    """The loop body of one layer, on its hoisted projection (and the cell
    below); its output is h, or h and c side by side below the top."""
    count = 2 if upper else 1

    def step(inputs_t, states):
        below = inputs_t[1] if upper else None
        keep = list(inputs_t[count:]) or [None, None]
        h, c = core(inputs_t[0], below, states, keep)
        return (h if top else ops.concatenate([h, c], axis=-1)), [h, c]

    return step
