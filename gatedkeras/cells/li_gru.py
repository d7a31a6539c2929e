"""Light Gated Recurrent Unit: `LiGRUCell` and `LiGRU`.

Ravanelli, Brakel, Omologo and Bengio 2018, "Light Gated Recurrent Units for
Speech Recognition", IEEE TETCI, arXiv 1803.10225: a GRU without its reset
gate, with a ReLU candidate, batch normalisation of the input projections
and recurrent dropout on the candidate. With `recurrent_layer_norm=True` it
is the stabilised SLi-GRU of Moumen and Parcollet 2023 (ICASSP,
arXiv 2302.10144), which layer-normalises the recurrent term. SpeechBrain's
`LiGRU` and `SLiGRU` are the reference implementations.
"""

import keras
from keras import activations
from keras import ops

from gatedkeras import registry
from gatedkeras.engine import arguments
from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.cell import dense
from gatedkeras.engine.layer_norm import layer_norm
from gatedkeras.engine.recurrent import CellArgument
from gatedkeras.engine.recurrent import Recurrent

NORMALIZATIONS = ("batch", "layer", None)


@keras.saving.register_keras_serializable(package="gatedkeras")
class LiGRUCell(RecurrentCell):
    """Cell of the LiGRU layer: one step of a light gated recurrent unit.

    z = σ(N(W_z x) + U_z h),  h̃ = ReLU(N(W_h x) + U_h h) ⊙ m,
    h' = z ⊙ h + (1 - z) ⊙ h̃

    N is the `normalization` of the input projection of both gates (batch
    norm by default; its β is the only bias, as in the paper), m the
    recurrent dropout mask. With `recurrent_layer_norm=True` (SLi-GRU),
    U h of both gates is replaced by LN(U h), a layer norm with no weights
    of its own, as SpeechBrain's `SLiGRU` by default.

    Batch norm statistics span the batch and all unmasked steps of a
    sequence, so the `LiGRU` layer projects the whole sequence before its
    loop. Called one step at a time (inside `keras.layers.RNN`, or through
    `project` on a 2-D input), a training step normalises with that step's
    batch statistics (masked rows included: a cell sees no mask) and leaves
    the moving statistics untouched; inference uses the moving statistics
    either way.

    Args:
        units: Positive integer, width of the state.
        activation: Activation of the candidate. Defaults to `"relu"`.
        recurrent_activation: Activation of the update gate. Defaults to
            `"sigmoid"`.
        normalization: `"batch"`, `"layer"` or `None`: the normalisation of
            W x (both gates jointly). Defaults to `"batch"`.
        recurrent_layer_norm: Boolean, layer-normalise U h (SLi-GRU).
            Defaults to `False`.
        use_bias: Boolean, whether to add a bias: the β of the input
            normalisation, or a plain bias with `normalization=None`.
            Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Initializer of the bias or β. Defaults to
            `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default
            to `None`.
        dropout: Float in [0, 1), input dropout, one mask per sequence.
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of the candidate h̃,
            one mask per sequence, as in the paper and SpeechBrain (not of
            h before the recurrent matmul). Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`.
        states: List `[h]`.
        training: Python boolean, whether dropout, zoneout and batch
            statistics are used.

    Returns:
        `(h, [h])`.

    Example:

    >>> cell = gatedkeras.cells.LiGRUCell(8, normalization="layer")
    >>> h, states = cell(keras.random.normal((2, 5)),
    ...                  cell.get_initial_state(batch_size=2))
    >>> tuple(h.shape)
    (2, 8)
    """

    def __init__(
        self,
        units,
        activation="relu",
        recurrent_activation="sigmoid",
        normalization="batch",
        recurrent_layer_norm=False,
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
        self.normalization = arguments.one_of(
            "normalization", normalization, NORMALIZATIONS
        )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.recurrent_layer_norm = bool(recurrent_layer_norm)
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
        self.state_size = units
        self.output_size = units
        self.projection_size = 2 * units
        self.projects_whole_sequence = normalization == "batch"
        # Set by `LiGRU` for the duration of a call: which projected steps
        # the batch statistics may see.
        self.statistics_mask = None
        if normalization == "batch":
            # Momentum and epsilon as SpeechBrain's BatchNorm1d(momentum=
            # 0.05) in Keras's convention.
            self.batch_norm = keras.layers.BatchNormalization(
                momentum=0.95,
                epsilon=1e-5,
                center=use_bias,
                beta_initializer=self.bias_initializer,
                beta_regularizer=self.bias_regularizer,
                beta_constraint=self.bias_constraint,
                dtype=self.dtype_policy,
                name="batch_norm",
            )

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
        self.bias = self.input_gamma = self.input_beta = None
        if self.normalization == "batch":
            self.batch_norm.build((None, width))
        elif self.normalization == "layer":
            self.input_gamma = self.add_weight(
                shape=(width,), name="input_gamma", initializer="ones"
            )
            if self.use_bias:
                self.input_beta = self._bias("input_beta")
        elif self.use_bias:
            self.bias = self._bias("bias")

    def _bias(self, name):
        return self.add_weight(
            shape=(self.projection_size,),
            name=name,
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )

    def project(self, inputs, training=False, time_major=False):
        projected = super().project(inputs, training, time_major)
        if self.normalization != "batch":
            return projected
        if len(projected.shape) == 2 and training and self.batch_norm.trainable:
            return self._step_batch_norm(projected)
        mask = self.statistics_mask if len(projected.shape) == 3 else None
        flat = ops.reshape(projected, (-1, self.projection_size))
        if mask is not None:
            mask = ops.reshape(mask, (-1,))
        normed = self.batch_norm(flat, training=training, mask=mask)
        return ops.reshape(normed, ops.shape(projected))

    def _step_batch_norm(self, projected):
        # A step on its own (inside keras.layers.RNN, say) is normalised
        # with its own batch statistics, which stay out of the moving
        # statistics: those describe whole sequences, and a backend loop
        # could not update them anyway (JAX's scan cannot assign).
        x = ops.cast(projected, "float32")
        mean, variance = ops.moments(x, axes=[0])
        norm = self.batch_norm
        beta = ops.cast(norm.beta, "float32") if norm.center else None
        normed = ops.batch_normalization(
            x,
            mean,
            variance,
            axis=-1,
            offset=beta,
            scale=ops.cast(norm.gamma, "float32"),
            epsilon=norm.epsilon,
        )
        return ops.cast(normed, self.compute_dtype)

    def _project(self, inputs):
        projected = dense(inputs, self.kernel)
        if self.normalization == "layer":
            return layer_norm(projected, self.input_gamma, self.input_beta)
        if self.bias is not None:
            projected = projected + self.bias
        return projected

    def _step_function(self, recurrent_mask):
        kernel = self.read_kernel(self.recurrent_kernel)
        act = self.activation
        gate = self.recurrent_activation
        normalise = self.recurrent_layer_norm

        def core(projected, states):
            h = states[0]
            recurrent = ops.matmul(h, kernel)
            if normalise:
                recurrent = layer_norm(recurrent, None)
            x_z, x_h = ops.split(projected, 2, axis=-1)
            u_z, u_h = ops.split(recurrent, 2, axis=-1)
            z = gate(x_z + u_z)
            candidate = act(x_h + u_h)
            if recurrent_mask is not None:
                candidate = candidate * recurrent_mask
            h = z * h + (1 - z) * candidate
            return h, [h]

        return core

    def get_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "normalization": self.normalization,
            "recurrent_layer_norm": self.recurrent_layer_norm,
            "use_bias": self.use_bias,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="gatedkeras")
@registry.register(
    "li_gru",
    tunables=registry.COMMON_TUNABLES
    + (
        registry.Tunable(
            "normalization", "choice", values=("batch", "layer"),
            default="batch",
        ),
        registry.Tunable("recurrent_layer_norm", "bool", default=False),
    ),
)  # fmt: skip
class LiGRU(Recurrent):
    """Light Gated Recurrent Unit layer (Ravanelli et al. 2018).

    A GRU with no reset gate, a ReLU candidate, batch normalisation of the
    input projections and recurrent dropout on the candidate (see
    `LiGRUCell` for the equations); `recurrent_layer_norm=True` gives the
    stabilised SLi-GRU (Moumen and Parcollet 2023).

    With `normalization="batch"` the input projection of the whole
    sequence runs before the loop, and its batch statistics span the batch
    and every unmasked step: padded steps are left out of them. The moving
    statistics (momentum 0.95, epsilon 1e-5) are updated by training calls,
    used by inference calls and saved with the model.

    Where we depart from the paper and SpeechBrain: the kernels hold the
    gates in the order z, h (SpeechBrain: h, z); batch statistics leave out
    masked steps (SpeechBrain normalises padding too); the moving variance
    is Keras's biased estimate (PyTorch keeps the unbiased one);
    `normalization=None` means none, with a plain bias (the paper's only
    bias is β; SpeechBrain falls back to a layer norm there); the SLi-GRU
    recurrent layer norm has no weights (SpeechBrain's default; its
    `recurrent_elementwise_affine=True` is not offered); the input kernel
    starts Glorot-uniform (SpeechBrain: PyTorch's `Linear` default);
    recurrent dropout draws one mask per sequence from the seeded
    generator (SpeechBrain cycles through a bank of pre-drawn masks).

    Args:
        units: Positive integer, width of the state.
        activation: Defaults to `"relu"`.
        recurrent_activation: Defaults to `"sigmoid"`.
        normalization: `"batch"`, `"layer"` or `None`. Defaults to
            `"batch"`.
        recurrent_layer_norm: Boolean (SLi-GRU). Defaults to `False`.
        use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint: as `LiGRUCell` (defaults `True`,
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`, `None` x 6).
        dropout: Float in [0, 1), input dropout. Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), dropout of the candidate.
            Defaults to `0.0`.
        zoneout: Float in [0, 1). Defaults to `0.0`.
        seed: Random seed for dropout and zoneout. Defaults to `None`.
        activity_regularizer: Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            Booleans, all default to `False`.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h]`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout, zoneout and batch
            statistics are used.

    Returns:
        The last output `(batch, units)`, the whole sequence with
        `return_sequences=True`, followed by the final state with
        `return_state=True`.

    Example:

    >>> ligru = gatedkeras.layers.LiGRU(16, return_sequences=True)
    >>> tuple(ligru(keras.random.normal((4, 10, 8))).shape)
    (4, 10, 16)
    """

    units = CellArgument()
    activation = CellArgument()
    recurrent_activation = CellArgument()
    normalization = CellArgument()
    recurrent_layer_norm = CellArgument()
    use_bias = CellArgument()
    dropout = CellArgument()
    recurrent_dropout = CellArgument()
    zoneout = CellArgument()
    seed = CellArgument()

    def __init__(
        self,
        units,
        activation="relu",
        recurrent_activation="sigmoid",
        normalization="batch",
        recurrent_layer_norm=False,
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
        cell = LiGRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            normalization=normalization,
            recurrent_layer_norm=recurrent_layer_norm,
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
            name="li_gru_cell",
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
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None and self.cell.normalization == "batch":
            # Aligned with the projection the engine makes: time-major, in
            # processing order.
            aligned = ops.transpose(mask, (1, 0))
            if self.go_backwards:
                aligned = ops.flip(aligned, 0)
            self.cell.statistics_mask = aligned
        try:
            return super().inner_loop(sequences, initial_state, mask, training)
        finally:
            self.cell.statistics_mask = None
