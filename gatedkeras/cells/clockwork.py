"""Clockwork RNN: `ClockworkRNNCell` and `ClockworkRNN`.

Koutník, Greff, Gomez and Schmidhuber 2014, "A Clockwork RNN", ICML,
arXiv 1402.3511. The hidden units are split into modules of equal size, each
with its own clock period T; at step t a module is updated only when
t mod T = 0 and otherwise keeps its state. Each module reads itself and the
slower modules, never the faster ones, so the recurrent matrix is
block-triangular and only its nonzero blocks are stored.
"""

import math

import keras
import numpy as np
from keras import activations
from keras import ops

from gatedkeras import registry
from gatedkeras.engine import arguments
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.loop import recurrent_loop
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent

# The largest integer each compute dtype counts exactly: the clock is a
# float state like the others, so it is carried modulo the least common
# multiple of the periods and that must stay within this bound.
_EXACT_INTEGERS = {"float16": 2**11, "bfloat16": 2**8}
_DEFAULT_MODULES = 8


def resolve_periods(units, periods=None, num_modules=None):
    """The sorted periods of a Clockwork RNN, from its arguments.

    `periods=None` gives the exponential periods 1, 2, 4, ... over
    `num_modules` modules (default 8). Raises `ValueError` in the Keras
    style for bad arguments.
    """
    if periods is None:
        modules = arguments.positive_int(
            "num_modules", _DEFAULT_MODULES if num_modules is None
            else num_modules
        )  # fmt: skip
        periods = [2**i for i in range(modules)]
    else:
        if (
            not isinstance(periods, (list, tuple))
            or not periods
            or any(
                isinstance(p, bool) or not isinstance(p, (int, np.integer))
                or p <= 0
                for p in periods
            )
        ):  # fmt: skip
            raise ValueError(
                "Argument `periods` must be a non-empty list of positive "
                f"integers. Received: periods={periods!r}"
            )
        if len(set(periods)) != len(periods):
            raise ValueError(
                "Argument `periods` must hold distinct periods, one per "
                f"module. Received: periods={list(periods)}"
            )
        if num_modules is not None and num_modules != len(periods):
            raise ValueError(
                "Arguments `num_modules` and `periods` disagree: "
                "`num_modules` must be `len(periods)` or `None`. "
                f"Received: num_modules={num_modules!r}, "
                f"periods={list(periods)}"
            )
    if units % len(periods):
        raise ValueError(
            f"Argument `units` must be a multiple of the number of modules, "
            f"{len(periods)} (`len(periods)`, or `num_modules`, which "
            f"defaults to {_DEFAULT_MODULES}). Received: units={units}"
        )
    return sorted(int(p) for p in periods)


@keras.saving.register_keras_serializable(package="gatedkeras")
class ClockworkRNNCell(RecurrentCell):
    """Cell of the ClockworkRNN layer: one step of a Clockwork RNN.

    The state h is split into g modules of k = units / g units, sorted fast
    to slow (module i has the i-th smallest period T_i and holds units
    i k to (i + 1) k). With t the clock state (the number of steps this
    state has processed, counted from 0):

        h'_i = φ(W_i x + Σ_{j >= i} U_ij h_j + b_i)   if t mod T_i = 0
        h'_i = h_i                                     otherwise
        t' = t + 1

    (Koutník et al. 2014: W_H is block-triangular, module i reads only the
    modules j with T_j >= T_i). The output is h'; the paper's output layer
    y = f_O(W_O h) is left to the next layer.

    Where we depart from or add to the paper: t counts from 0, so every
    module is updated at the first step (counting from 1 would update only
    the modules of period 1 there); the modules are sorted fast to slow
    whatever the order of `periods`; the clock is carried modulo the least
    common multiple of the periods (which leaves every t mod T_i unchanged)
    so that it counts exactly in the compute dtype; dropout, recurrent
    dropout and zoneout (of h only; the clock is never zoned out) are
    additions. There is no layer norm: the paper has none, and a norm
    across modules would couple idle modules to the active ones.

    Args:
        units: Positive integer, width of h; a multiple of the number of
            modules.
        periods: List of distinct positive integers, one clock period per
            module, or `None` for 1, 2, 4, ... over `num_modules` modules.
            Defaults to `None`.
        num_modules: Positive integer, the number of modules when `periods`
            is `None` (then 8 when also `None`); if both are given it must
            equal `len(periods)`. Defaults to `None`.
        activation: φ. Defaults to `"tanh"`.
        use_bias: Boolean. Defaults to `True`.
        kernel_initializer: Initializer of the input kernel W. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: Initializer of each module's recurrent
            kernel. Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of h before the
            recurrent matmul, one mask per sequence. Defaults to `0.0`.
        zoneout: Float in [0, 1), zoneout of h. Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Weights: `kernel` `(features, units)`, then `recurrent_kernel_i` of
    shape `((g - i) k, k)` for each module i, the blocks U_ij (j >= i)
    stacked over j, then `bias` `(units,)`.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h, t]`: h `(batch, units)` and the clock t
            `(batch, 1)`, a whole number in the compute dtype.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h', [h', t'])`.

    Example:

    >>> cell = gatedkeras.cells.ClockworkRNNCell(8, periods=[1, 2, 4, 8])
    >>> h, (_, clock) = cell(keras.random.normal((2, 5)),
    ...                      cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape), keras.ops.convert_to_numpy(clock).ravel().tolist()
    ((2, 8), [1.0, 1.0])
    """

    def __init__(
        self,
        units,
        periods=None,
        num_modules=None,
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
        self.periods = resolve_periods(units, periods, num_modules)
        self.num_modules = len(self.periods)
        self.period_lcm = math.lcm(*self.periods)
        # The longest run of steps (at most 16, unrolled) over which every
        # module's schedule repeats: each period divides it or is a multiple
        # of it. `None` when there is none.
        self.chunk = next(
            (
                c
                for c in range(16, 1, -1)
                if all(c % p == 0 or p % c == 0 for p in self.periods)
            ),
            None,
        )
        exact = _EXACT_INTEGERS.get(self.compute_dtype, 2**24)
        if self.period_lcm > exact:
            raise ValueError(
                f"The clock counts modulo lcm(periods) = {self.period_lcm}, "
                f"but {self.compute_dtype} (the compute dtype) counts "
                f"exactly only up to {exact}: choose periods with a smaller "
                "least common multiple, or a wider compute dtype. "
                f"Received: periods={self.periods}, "
                f"dtype={self.dtype_policy.name}"
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
        self.state_size = [units, 1]
        self.output_size = units
        self.projection_size = units

    def build(self, input_shape):
        k = self.units // self.num_modules
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernels = [
            self.add_weight(
                shape=(self.units - i * k, k),
                name=f"recurrent_kernel_{i}",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
            for i in range(self.num_modules)
        ]
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

    def step_function(self, states, training=False):
        # As the base class, but zoneout acts on h only: the clock is exact.
        core = self._step_function(self._recurrent_mask(states, training))
        rate = ops.cast(self.zoneout, self.compute_dtype)

        def step(projected, states, zoneout_mask=None):
            h, (_, clock) = core(projected, states)
            if self.zoneout and training:
                keep = self.split_zoneout_mask(zoneout_mask)[0]
                h = ops.where(keep, states[0], h)
            elif self.zoneout:
                h = h + rate * (states[0] - h)
            return h, [h, clock]

        return step

    def _recurrent_mask(self, states, training):
        if training and self.recurrent_dropout > 0:
            return self.get_recurrent_dropout_mask(states[0])
        return None

    def _step_function(self, recurrent_mask):
        update = self._update_function(recurrent_mask, [self.num_modules])
        return self._core(update)

    def _core(self, update):
        """The dense masked step: every module computed, the idle ones kept
        with a mask."""
        unit_periods = ops.convert_to_tensor(
            np.repeat(self.periods, self.units // self.num_modules), "int32"
        )

        def core(projected, states):
            h, clock = states
            t = ops.cast(clock, "int32")
            due = ops.equal(ops.mod(t, unit_periods), 0)
            h = update(projected, h, self.num_modules, due)
            clock = ops.cast(ops.mod(t + 1, self.period_lcm), clock.dtype)
            return h, [h, clock]

        return core

    def chunk_function(self, states, training=False):
        """`run(projected, states) -> (outputs, new_states)` over at most
        `chunk` steps, time-major, from a clock that is a multiple of
        `chunk` in every sample.

        Which modules are due is then known when tracing at every step but
        the first, so only their columns are computed: idle modules cost
        nothing, as in the paper. The first step is the dense masked step.
        """
        k = self.units // self.num_modules
        schedule = []  # (width, keep) of steps 1 to chunk - 1
        for offset in range(1, self.chunk):
            due = [offset % period == 0 for period in self.periods]
            width = max((i + 1 for i, d in enumerate(due) if d), default=0)
            keep = None if all(due[:width]) else np.repeat(due[:width], k)
            schedule.append((width, keep))
        update = self._update_function(
            self._recurrent_mask(states, training),
            {width for width, _ in schedule} | {self.num_modules},
        )
        core = self._core(update)

        def run(projected, states):
            projected = ops.unstack(projected)
            h, _ = core(projected[0], states)
            outputs = [h]
            for (width, keep), projected_t in zip(schedule, projected[1:]):
                if width:
                    h = update(projected_t, h, width, keep)
                outputs.append(h)
            t = ops.cast(states[1], "int32") + len(projected)
            clock = ops.cast(ops.mod(t, self.period_lcm), states[1].dtype)
            return ops.stack(outputs), [h, clock]

        return run

    def _update_function(self, recurrent_mask, widths):
        """`update(projected, h, width, due=None)`: h with its first `width`
        modules (one of `widths`) updated where `due` (all if `None`)."""
        units, k = self.units, self.units // self.num_modules
        # The dense recurrent matrix, zero below each module's blocks,
        # assembled once per sequence, and the column prefixes needed.
        kernel = ops.concatenate(
            [
                ops.pad(block, [[i * k, 0], [0, 0]])
                for i, block in enumerate(self.recurrent_kernels)
            ],
            axis=1,
        )
        prefixes = {w: kernel[:, : w * k] for w in widths if w}
        act = self.activation

        def update(projected, h, width, due=None):
            cols = width * k
            dropped = h if recurrent_mask is None else h * recurrent_mask
            new = act(
                projected[:, :cols] + ops.matmul(dropped, prefixes[width])
            )
            if due is not None:
                new = ops.where(due, new, h[:, :cols])
            if cols == units:
                return new
            return ops.concatenate([new, h[:, cols:]], axis=-1)

        return update

    def get_config(self):
        config = {
            "periods": self.periods,
            "num_modules": self.num_modules,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }
        base_config = super().get_config()
        return {**base_config, **config}


def _num_modules(a):
    if a.get("periods") is not None:
        return len(a["periods"])
    return a.get("num_modules") or _DEFAULT_MODULES


def _valid_periods(a):
    periods = a.get("periods")
    return periods is None or (
        isinstance(periods, (list, tuple))
        and len(set(periods)) == len(periods) > 0
        and all(isinstance(p, int) and p > 0 for p in periods)
    )


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "clockwork_rnn",
    tunables=(
        registry.Tunable(
            "units",
            "choice",
            values=(32, 64, 128, 256, 512, 1024),
            default=256,
        ),
        registry.Tunable("num_modules", "choice", values=(2, 4, 8), default=8),
    )
    + registry.COMMON_TUNABLES[1:],
    constraints=(
        registry.Constraint(
            "units must be a multiple of the number of modules "
            "(len(periods), or num_modules, default 8)",
            lambda a, _: a.get("units", 256) % _num_modules(a) == 0,
        ),
        registry.Constraint(
            "periods must be distinct positive integers",
            lambda a, _: _valid_periods(a),
        ),
        registry.Constraint(
            "num_modules must equal len(periods) when both are given",
            lambda a, _: (
                a.get("periods") is None
                or a.get("num_modules") is None
                or a["num_modules"] == len(a["periods"])
            ),
        ),
    ),
)
class ClockworkRNN(Recurrent):
    """Clockwork RNN layer (Koutník et al. 2014, arXiv 1402.3511).

    The `units` hidden units form g modules of equal size with clock periods
    T_1 < ... < T_g (sorted fast to slow whatever the order given); module i
    is updated at step t only when t mod T_i = 0 and otherwise keeps its
    state, and reads only itself and the slower modules (a block-triangular
    recurrent matrix, of which only the nonzero blocks are weights). See
    `gatedkeras.cells.ClockworkRNNCell` for the equations.

    The clock t counts the steps processed from 0 and is the layer's second
    state: it continues across batches with `stateful=True` and across a
    prompt and its continuation through the step API, starts at the first
    processed step under `go_backwards`, and stands still, with h, at a
    masked step. It is carried modulo the least common multiple of the
    periods, which must be a whole number the compute dtype holds exactly
    (up to 2048 under float16, 256 under bfloat16).

    Idle modules cost nothing where the schedule is the same for the whole
    batch: on a sequence without a mask that starts at a clock of 0 (no
    `initial_state`, or `initial_state=[h]`, and `stateful=False`) and
    without zoneout, the steps run in unrolled chunks of c <= 16 steps, c
    such that every period divides c or is a multiple of it (16 for the
    exponential periods), and each step computes only its due modules.
    Elsewhere (masks, a given clock, stateful layers, zoneout, periods with
    no such c) each step computes every module and keeps the idle ones with
    a mask, which costs 1.0 to 1.4 times a SimpleRNN step of the same width.

    Args:
        units: Positive integer, width of the state; a multiple of the
            number of modules.
        periods: List of distinct positive integers, one period per module,
            or `None` for 1, 2, 4, ... over `num_modules` modules. Defaults
            to `None`.
        num_modules: Positive integer, the number of exponential periods
            when `periods` is `None` (8 when also `None`). Defaults to
            `None`.
        activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed: as
            `gatedkeras.layers.SimpleRNN` (defaults `"tanh"`, `True`,
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`, `None` x 6,
            `0.0`, `0.0`, `None`); the recurrent ones apply to each module's
            recurrent kernel.
        zoneout: Float in [0, 1), zoneout of h (not of the clock). Defaults
            to `0.0`.
        activity_regularizer: Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h, t]`, or `[h]` for a clock at 0.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final states `h, t` with
        `return_state=True` (t of shape `(batch, 1)`).

    Example:

    >>> rnn = gatedkeras.layers.ClockworkRNN(64, periods=[1, 2, 4, 8, 16,
    ...                                                   32, 64, 128])
    >>> model = keras.Sequential([keras.Input((None, 1)), rnn,
    ...                           keras.layers.Dense(1)])
    >>> model.count_params()  # the paper's count
    2497
    """

    units = CellArgument()
    periods = CellArgument()
    num_modules = CellArgument()
    activation = CellArgument()
    use_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        periods=None,
        num_modules=None,
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
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = ClockworkRNNCell(
            units,
            periods=periods,
            num_modules=num_modules,
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
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="clockwork_rnn_cell",
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
        self._clock_at_zero = False

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if initial_state is not None and not isinstance(
            initial_state, (list, tuple)
        ):
            initial_state = [initial_state]
        # Whether every sample's clock starts at 0, which `inner_loop` needs
        # for its static schedule.
        self._clock_at_zero = not self.stateful and (
            initial_state is None or len(initial_state) == 1
        )
        if initial_state is not None and len(initial_state) == 1:
            h = initial_state[0]
            clock = ops.zeros((ops.shape(h)[0], 1), self.compute_dtype)
            initial_state = [h, clock]
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        timesteps = sequences.shape[1]
        if (
            mask is not None
            or not self._clock_at_zero
            or cell.chunk is None
            or cell.zoneout
            or timesteps is None
        ):
            return super().inner_loop(sequences, initial_state, mask, training)
        # Without a mask and from a clock at 0, every sample's clock is the
        # step count: the steps run in chunks of `cell.chunk`, unrolled, each
        # computing only the modules due at it. Training step, batch 32,
        # 1,000 steps, 32 -> 256 units, 8 modules of periods 1 to 128, 2 CPU
        # cores, median of 5 (ms, this path / the dense masked step /
        # SimpleRNN(256)): JAX 235 / 287 / 288, TensorFlow 176 / 281 / 211,
        # TensorFlow with XLA 318 / 3646 / 3778, PyTorch (1 thread) 273 /
        # 454 / 325. Choosing the due modules' width at run time instead
        # (`ops.switch` over the 9 widths in every step) was slower than the
        # dense step: JAX saves the whole recurrent kernel as a residual of
        # every step's switch (3.4 against 1.1 s), and TensorFlow's XLA
        # fails on the switch's gradient when the batch size is unknown.
        inputs = ops.transpose(sequences, (1, 0, 2))
        if self.go_backwards:
            inputs = ops.flip(inputs, 0)
        run_chunk = cell.chunk_function(initial_state, training)

        def run(chunk, states):
            return run_chunk(
                cell.project(chunk, training, time_major=True), states
            )

        size = cell.chunk
        count, rest = divmod(timesteps, size)
        batch = ops.shape(sequences)[0]
        states, outputs = list(initial_state), []
        if count:
            chunks = ops.reshape(
                inputs[: count * size], (count, size, -1, inputs.shape[-1])
            )
            _, stacked, states = recurrent_loop(
                lambda chunk, states: run(chunk[0], states),
                (chunks,),
                tuple(states),
                ops.zeros((size, batch, cell.units), cell.compute_dtype),
                unroll=self.unroll,
                return_sequences=self.return_sequences,
            )
            if stacked is not None:
                outputs.append(ops.reshape(stacked, (count * size, batch, -1)))
        if rest:
            last, states = run(inputs[count * size :], states)
            outputs.append(last)
        if not self.return_sequences:
            return states[0], ops.expand_dims(states[0], 1), states
        outputs = ops.transpose(ops.concatenate(outputs, 0), (1, 0, 2))
        return states[0], outputs, states
