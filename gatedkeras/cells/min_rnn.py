"""Minimal GRU and LSTM: `MinGRUCell`, `MinGRU`, `MinLSTMCell`, `MinLSTM`.

Feng, Tung, Ahmed, Bengio and Hajimirsadeghi 2024, "Were RNNs All We
Needed?", arXiv 2410.01201: a GRU and an LSTM whose gates and candidate
depend on the input alone, so that h_t = a_t ⊙ h_{t-1} + b_t and whole
sequences run as a parallel scan in log space (Heinsen 2023, arXiv
2311.06281; `gatedkeras.engine.scan`). The candidate is made positive by
g(x) = x + 0.5 for x ≥ 0, σ(x) otherwise, in the scan and in the step mode
alike, as the paper's log-space models do.

Where we depart from the paper: an initial (or stateful) state enters the
scan exactly, with any sign, where log-space code following the paper's
listing feeds log g(h_0) to the scan, which changes the state and makes
the parallel and sequential modes disagree (minGRU-pytorch issue 9); the
pairwise scan replaces the paper's cumsum plus logcumsumexp, which loses
float32 accuracy with length; input dropout, zoneout, masking and the
sequence-layer options are ours.
"""

import keras
from keras import ops

from gatedkeras import registry
from gatedkeras.engine.cell import dense
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.scan import ScanCell
from gatedkeras.engine.scan import ScanRecurrent


def log_g(x):
    """log g(x), with g(x) = x + 0.5 for x ≥ 0 and σ(x) otherwise."""
    # Both branches stay finite everywhere, so `where` passes finite
    # gradients.
    return ops.where(x >= 0, ops.log(ops.relu(x) + 0.5), -ops.softplus(-x))


class _MinCell(ScanCell):
    """What minGRU and minLSTM share: one kernel for all gates and the
    candidate, `gates` blocks of `units` columns, the candidate last."""

    gates = None

    def __init__(
        self,
        units,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
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
        self.use_bias = use_bias
        self.set_weight_arguments(
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
        )
        self.projection_size = self.gates * units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.projection_size),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.projection_size,),
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

    def get_config(self):
        config = {
            "use_bias": self.use_bias,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
class MinGRUCell(_MinCell):
    """Cell of the MinGRU layer (Feng et al. 2024, arXiv 2410.01201).

    z = σ(W_z x + b_z),  h̃ = W_h x + b_h,  h' = (1 - z) ⊙ h + z ⊙ g(h̃),
    with g(x) = x + 0.5 for x ≥ 0, σ(x) otherwise; the kernel holds z, h̃.

    Args:
        units: Positive integer, width of the state.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer: Default to `None`.
        kernel_constraint, bias_constraint: Default to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Must be `0.0`: there are no recurrent weights.
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

    >>> cell = gatedkeras.cells.MinGRUCell(8)
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    gates = 2

    def log_coefficients(self, projected):
        k, candidate = ops.split(ops.cast(projected, "float32"), 2, axis=-1)
        # log(1 - z) and log z + log g(h̃).
        return -ops.softplus(k), -ops.softplus(-k) + log_g(candidate)


@keras.saving.register_keras_serializable(package="gatedkeras")
class MinLSTMCell(_MinCell):
    """Cell of the MinLSTM layer (Feng et al. 2024, arXiv 2410.01201).

    f = σ(W_f x + b_f),  i = σ(W_i x + b_i),  h̃ = W_h x + b_h,
    h' = f / (f + i) ⊙ h + i / (f + i) ⊙ g(h̃),
    with g(x) = x + 0.5 for x ≥ 0, σ(x) otherwise; the kernel holds f, i, h̃.

    Args:
        units: Positive integer, width of the state.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer: Default to `None`.
        kernel_constraint, bias_constraint: Default to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Must be `0.0`: there are no recurrent weights.
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

    >>> cell = gatedkeras.cells.MinLSTMCell(8)
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    gates = 3

    def log_coefficients(self, projected):
        k_f, k_i, candidate = ops.split(
            ops.cast(projected, "float32"), 3, axis=-1
        )
        # log f - log i = -diff, so f / (f + i) = σ(-diff).
        diff = ops.softplus(-k_f) - ops.softplus(-k_i)
        return -ops.softplus(diff), -ops.softplus(-diff) + log_g(candidate)


_TUNABLES = (
    registry.Tunable("units", "int", low=32, high=1024, log=True, default=256),
    registry.Tunable("dropout", "float", low=0.0, high=0.5, default=0.0),
    registry.Tunable("zoneout", "float", low=0.0, high=0.3, default=0.0),
)
_CONSTRAINTS = (
    registry.Constraint(
        "recurrent_dropout must be 0 (no recurrent weights)",
        lambda a, _: not a.get("recurrent_dropout"),
    ),
)


class _MinRNN(ScanRecurrent):
    """What the MinGRU and MinLSTM layers share: their arguments."""

    cell_class = None
    cell_name = None

    units = CellArgument()
    use_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        zoneout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        parallel_scan="auto",
        **kwargs,
    ):
        cell = self.cell_class(
            units,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            zoneout=zoneout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=self.cell_name,
        )
        super().__init__(
            cell,
            parallel_scan=parallel_scan,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register("min_gru", tunables=_TUNABLES, constraints=_CONSTRAINTS)
class MinGRU(_MinRNN):
    """Minimal GRU layer (Feng et al. 2024, arXiv 2410.01201).

    A GRU whose update gate and candidate depend on the input alone:
    h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ g(h̃_t). Whole sequences run as a
    parallel scan in log space; the step mode (`layer.cell.step`) serves
    generation. Where we depart from the paper: see
    `gatedkeras.cells.min_rnn`.

    Args:
        units: Positive integer, width of the state.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer:
            Default to `None`.
        kernel_constraint, bias_constraint: Default to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Must be `0.0`: the gates depend on the input
            alone, so there are no recurrent weights to drop.
        zoneout: Float in [0, 1): in training each unit keeps its state
            with this probability at each step, at inference the states are
            mixed with this weight. Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful: Booleans,
            all default to `False`.
        unroll: Boolean, whether the sequential loop, where it runs, is
            unrolled in Python. Defaults to `False`.
        parallel_scan: `"auto"`, `True` or `False`. Whether whole
            sequences run as a parallel scan rather than the sequential
            loop over the cell's step (the same equations). `"auto"` runs
            the scan on a GPU or TPU and the loop on a CPU, where the loop
            measured 1.6 to 2.7 times as fast. TensorFlow runs the loop
            anyway under XLA (`jit_compile=True`), where Keras's scan does
            not compile, and in graphs of unknown length. Defaults to
            `"auto"`.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h]`, of any sign.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final state with
        `return_state=True`.
    Example:

    >>> gru = gatedkeras.layers.MinGRU(16, return_sequences=True)
    >>> tuple(gru(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 16)
    """

    cell_class = MinGRUCell
    cell_name = "min_gru_cell"


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register("min_lstm", tunables=_TUNABLES, constraints=_CONSTRAINTS)
class MinLSTM(_MinRNN):
    """Minimal LSTM layer (Feng et al. 2024, arXiv 2410.01201).

    An LSTM without output gate, whose gates and candidate depend on the
    input alone and whose forget and input gates are normalised to sum to
    one: h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ g(h̃_t). Whole sequences run as a
    parallel scan in log space; the step mode (`layer.cell.step`) serves
    generation. Where we depart from the paper: see
    `gatedkeras.cells.min_rnn`.

    Args:
        units: Positive integer, width of the state.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer:
            Default to `None`.
        kernel_constraint, bias_constraint: Default to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Must be `0.0`: the gates depend on the input
            alone, so there are no recurrent weights to drop.
        zoneout: Float in [0, 1): in training each unit keeps its state
            with this probability at each step, at inference the states are
            mixed with this weight. Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful: Booleans,
            all default to `False`.
        unroll: Boolean, whether the sequential loop, where it runs, is
            unrolled in Python. Defaults to `False`.
        parallel_scan: `"auto"`, `True` or `False`. Whether whole
            sequences run as a parallel scan rather than the sequential
            loop over the cell's step (the same equations). `"auto"` runs
            the scan on a GPU or TPU and the loop on a CPU, where the loop
            measured 1.6 to 2.7 times as fast. TensorFlow runs the loop
            anyway under XLA (`jit_compile=True`), where Keras's scan does
            not compile, and in graphs of unknown length. Defaults to
            `"auto"`.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h]`, of any sign.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final state with
        `return_state=True`.
    Example:

    >>> lstm = gatedkeras.layers.MinLSTM(16, return_state=True)
    >>> output, h = lstm(keras.random.normal((4, 10, 8)))
    >>> tuple(output.shape), tuple(h.shape)
    ((4, 16), (4, 16))
    """

    cell_class = MinLSTMCell
    cell_name = "min_lstm_cell"
