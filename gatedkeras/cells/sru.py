"""Simple Recurrent Unit: `SRUCell` and `SRU`.

Lei, Zhang, Wang, Dai and Artzi 2018, "Simple Recurrent Units for Highly
Parallelizable Recurrence", EMNLP, arXiv 1709.02755, in the form of the
authors' code (`sru/modules.py` and `sru/csrc/sru_cpu_impl.cpp` in
asappresearch/sru, version 2): every matmul is in the input projection, and
the loop is elementwise only.
"""

import math

import keras
from keras import activations
from keras import initializers
from keras import ops

from gatedkeras import registry
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.layer_norm import layer_norm
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent


@keras.saving.register_keras_serializable(package="gatedkeras")
class SRUCell(RecurrentCell):
    """Cell of the SRU layer: one step of a simple recurrent unit.

    f = σ(W_f x + v_f ⊙ c + b_f),  r = σ(W_r x + v_r ⊙ c + b_r),
    c' = f ⊙ c + (1 - f) ⊙ (W x),  h' = r ⊙ g(c') + (1 - r) ⊙ s(x)

    The skip term s(x) is α x when the input width equals `units`, and a
    fourth projection W_s x otherwise. α = √(1 + 2 exp(`highway_bias`))
    with `rescale=True` (1 otherwise), as the reference code sets it. The
    state is c alone; h is the output.

    Args:
        units: Positive integer, width of the state and the output.
        activation: g, applied to c' in the output. Defaults to `"linear"`
            (the reference's default; its `use_tanh` is deprecated).
        highway_bias: Float, the initial bias of the highway gate r.
            Defaults to `0.0`.
        rescale: Boolean, scale the skip term by α. Defaults to `True`.
        layer_norm: Boolean, layer-normalise the input before the
            projections (the reference's `layer_norm`); the skip term takes
            the input as it was. Defaults to `False`.
        kernel_initializer: Initializer of `kernel`, columns W, W_f, W_r
            (and W_s). The reference's rescalings are applied on top: W_f
            and W_r by √0.5, W_s by α (with `rescale`), the whole kernel by
            √(1 - dropout) (with `dropout`) and by 0.1 (with
            `layer_norm`). Defaults to `"lecun_uniform"` (variance 1 / fan
            in, as the reference).
        recurrent_initializer: Initializer of `recurrent_kernel`, the
            vectors v_f and v_r. Defaults to `None`: uniform in ±√1.5, the
            reference's U(-√3, √3) scaled by √0.5.
        bias_initializer: Initializer of `bias` (b_f, b_r), before
            `highway_bias` is added to b_r. Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence
            (the reference's `rnn_dropout`); the skip term takes the
            undropped input, as in the reference. Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of c where it enters
            the gates (v ⊙ c), one mask per sequence; the carried c is not
            dropped. Not in the reference. Defaults to `0.0`.
        zoneout: Float in [0, 1), zoneout of c (the output is computed
            from the zoned c). Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[c]`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        `(h, [c])`.

    Example:

    >>> cell = gatedkeras.cells.SRUCell(8)
    >>> h, (c,) = cell(keras.random.normal((2, 5)),
    ...                cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 8), (2, 8))
    """

    # The engine's default placement of the projection is kept: although the
    # loop has no matmul, projecting inside it measured faster on a CPU
    # (training step, batch 64, 100 steps, 128 -> 256 units, 2 shared
    # cores, medians of 15 interleaved rounds): TensorFlow 82 against
    # 101 ms, JAX with XLA 260 against 324 ms. GPUs and PyTorch hoist it.

    def __init__(
        self,
        units,
        activation="linear",
        highway_bias=0.0,
        rescale=True,
        layer_norm=False,
        kernel_initializer="lecun_uniform",
        recurrent_initializer=None,
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
        if isinstance(highway_bias, bool) or not isinstance(
            highway_bias, (int, float)
        ):
            raise ValueError(
                "Argument `highway_bias` must be a number. "
                f"Received: highway_bias={highway_bias!r}"
            )
        self.activation = activations.get(activation)
        self.highway_bias = float(highway_bias)
        self.rescale = bool(rescale)
        self.layer_norm = bool(layer_norm)
        if recurrent_initializer is None:
            limit = math.sqrt(1.5)
            recurrent_initializer = initializers.RandomUniform(-limit, limit)
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
        self.scale = 1.0
        if self.rescale:
            self.scale = math.sqrt(1 + 2 * math.exp(self.highway_bias))
        self.state_size = units
        self.output_size = units
        # W x, W_f x, W_r x and the skip term.
        self.projection_size = 4 * units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        # Whether the skip term needs its own projection W_s.
        self.skip_projection = input_dim != self.units
        self.kernel = self.add_weight(
            shape=(input_dim, (4 if self.skip_projection else 3) * self.units),
            name="kernel",
            initializer=self._full_kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(2 * self.units,),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = self.add_weight(
            shape=(2 * self.units,),
            name="bias",
            initializer=self._full_bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )
        if self.layer_norm:
            self.input_gamma = self.add_weight(
                shape=(input_dim,), name="input_gamma", initializer="ones"
            )
            self.input_beta = self.add_weight(
                shape=(input_dim,), name="input_beta", initializer="zeros"
            )

    def _full_kernel_initializer(self, shape, dtype=None):
        scales = [1.0, math.sqrt(0.5), math.sqrt(0.5)]
        if self.skip_projection:
            scales.append(self.scale)
        common = math.sqrt(1 - self.dropout) * (0.1 if self.layer_norm else 1)
        scale = ops.repeat(
            ops.convert_to_tensor([common * s for s in scales], dtype=dtype),
            self.units,
        )
        return self.kernel_initializer(shape, dtype=dtype) * scale

    def _full_bias_initializer(self, shape, dtype=None):
        bias = self.bias_initializer(shape, dtype=dtype)
        offset = [0.0] * self.units + [self.highway_bias] * self.units
        return bias + ops.convert_to_tensor(offset, dtype=dtype)

    def project(self, inputs, training=False, time_major=False):
        normed = inputs
        if self.layer_norm:
            normed = layer_norm(inputs, self.input_gamma, self.input_beta)
        projected = super().project(normed, training, time_major)
        if self.skip_projection:
            return projected
        return ops.concatenate([projected, self.scale * inputs], axis=-1)

    def _project(self, inputs):
        # The biases of f and r, which the reference adds in its loop.
        tail = self.kernel.shape[-1] - 3 * self.units
        bias = ops.pad(self.bias, [(self.units, tail)])
        return dense(inputs, self.kernel) + bias

    def step_function(self, states, training=False):
        # Overrides the base, which zones out the states and returns the
        # first as the output: SRU's output h is not its state c, so the
        # output is computed here from the zoned c.
        recurrent_mask = None
        if training and self.recurrent_dropout > 0:
            recurrent_mask = self.get_recurrent_dropout_mask(states[0])
        v_f, v_r = ops.split(self.recurrent_kernel, 2)
        act = self.activation
        zoneout = self.zoneout
        rate = ops.cast(zoneout, self.compute_dtype)

        def step(projected, states, zoneout_mask=None):
            c = states[0]
            x_c, x_f, x_r, skip = ops.split(projected, 4, axis=-1)
            seen = c if recurrent_mask is None else c * recurrent_mask
            f = ops.sigmoid(x_f + v_f * seen)
            r = ops.sigmoid(x_r + v_r * seen)
            new_c = x_c + f * (c - x_c)
            if zoneout and training:
                keep = self.split_zoneout_mask(zoneout_mask)[0]
                new_c = ops.where(keep, c, new_c)
            elif zoneout:
                new_c = new_c + rate * (c - new_c)
            h = skip + r * (act(new_c) - skip)
            return h, [new_c]

        return step

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "highway_bias": self.highway_bias,
            "rescale": self.rescale,
            "layer_norm": self.layer_norm,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "sru",
    tunables=registry.COMMON_TUNABLES
    + (
        registry.Tunable("highway_bias", "float", low=-3.0, high=0.0,
                         default=0.0),
        registry.Tunable("layer_norm", "bool", default=False),
    ),
)  # fmt: skip
class SRU(Recurrent):
    """Simple Recurrent Unit layer (Lei et al. 2018).

    All matrix products are in the input projection (W, W_f, W_r and, when
    the input width differs from `units`, the skip projection W_s: one
    matmul); the recurrence is elementwise, with a highway connection from
    the input to the output (see `SRUCell` for the equations). The
    returned state is c.

    Where we depart from the reference code: the kernel holds the
    projections as blocks W | W_f | W_r (| W_s) (the reference interleaves
    them per unit); at a masked step the output repeats the previous one,
    as Keras's masking does (the reference outputs zeros), while c is
    carried as in the reference; `recurrent_dropout` and `zoneout` are
    additions; the reference's `n_proj`, `has_skip_term=False`,
    `normalize_after`, `custom_m`, the deprecated `v1` and its dropout of
    the output (apply `keras.layers.Dropout` after the layer instead) are
    not offered.

    Args:
        units: Positive integer, width of the state and output.
        activation: g. Defaults to `"linear"`.
        highway_bias: Float. Defaults to `0.0`.
        rescale: Boolean. Defaults to `True`.
        layer_norm: Boolean. Defaults to `False`.
        kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint: as
            `SRUCell` (defaults `"lecun_uniform"` rescaled as the
            reference, `None` (uniform in ±√1.5), `"zeros"`, `None` x 6).
        dropout: Float in [0, 1), input dropout. Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of c in the gates.
            Defaults to `0.0`.
        zoneout: Float in [0, 1), zoneout of c. Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        activity_regularizer: Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[c]`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout and zoneout are active.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final c with
        `return_state=True`.

    Example:

    >>> sru = gatedkeras.layers.SRU(16, return_sequences=True)
    >>> tuple(sru(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    highway_bias = CellArgument()
    rescale = CellArgument()
    layer_norm = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        activation="linear",
        highway_bias=0.0,
        rescale=True,
        layer_norm=False,
        kernel_initializer="lecun_uniform",
        recurrent_initializer=None,
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
        cell = SRUCell(
            units,
            activation=activation,
            highway_bias=highway_bias,
            rescale=rescale,
            layer_norm=layer_norm,
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
            name="sru_cell",
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
