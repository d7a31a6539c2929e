"""The sequence layer that runs any gatedkeras cell over a sequence."""

import keras
from keras import ops
from keras.src import backend as keras_backend
from keras.src.utils import tracking

from gatedkeras.engine.loop import recurrent_loop


def on_accelerator():
    """Whether the backend computes on a GPU or TPU rather than the CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def hoist_projection():
    """Whether to project all steps' inputs in one matmul before the loop.

    Measured, not assumed (LSTM training step, batch 64, 100 steps,
    128 -> 256 units, 2 CPU cores; benchmarks/RESULTS.md):

    - TensorFlow and JAX on a CPU: no. The wide projected sequence then has
      to pass through the loop's TensorArrays or scan slices, forward and
      backward, which costs more than the per-step input matmul saves:
      91.8 against 103.2 ms per step (TensorFlow), 81.1 against 90.7 ms
      (TensorFlow with XLA), 88 against 102 ms (JAX). The cell still runs
      its `project` and `step` halves, `project` inside the loop.
    - PyTorch (a Python loop, where each step's dispatch counts): yes.
    - GPUs: yes, as cuDNN, Haste and SRU do.
    """
    return keras.backend.backend() == "torch" or on_accelerator()


class Recurrent(keras.layers.RNN):
    """Runs a `RecurrentCell` over a sequence, with the input projection of
    all steps hoisted out of the time loop.

    It keeps the whole `keras.layers.RNN` contract (`return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll`, masking,
    `initial_state`, `reset_state()`, `keras.layers.Bidirectional`) and
    replaces its inner loop: the sequence is projected by the cell's input
    kernel in one matmul, then `gatedkeras.engine.recurrent_loop` runs only
    the recurrent half of the cell. Subclasses may offer a fused backend
    kernel (cuDNN) through `fused_inner_loop`.

    Layers built on it take their cell's arguments and build the cell
    themselves; their config is the cell's config plus this layer's flags.

    Args:
        cell: a `gatedkeras.engine.RecurrentCell`.
        return_sequences: Boolean. Whether to return the whole output
            sequence rather than the last output. Defaults to `False`.
        return_state: Boolean. Whether to return the final states after
            the output. Defaults to `False`.
        go_backwards: Boolean. Whether to process the sequence backwards
            and return the reversed sequence. Defaults to `False`.
        stateful: Boolean. Whether the last state of each sample is the
            initial state of the same sample in the next batch. Needs a
            fixed batch size. Defaults to `False`.
        unroll: Boolean. Whether to unroll the time loop in Python.
            Defaults to `False`.
        zero_output_for_mask: Boolean. Whether a masked step outputs zeros
            rather than the previous output. Defaults to `False`
            (`keras.layers.Bidirectional` sets it when returning sequences).
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list of initial state tensors.
        mask: Optional boolean tensor `(batch, timesteps)`; a masked step
            carries the previous states.
        training: Python boolean, whether dropout and zoneout are active.
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_sequences_shape(sequences_shape)
        if self.stateful and sequences_shape[0] is None:
            raise ValueError(
                f"Layer '{self.name}' has `stateful=True`, which needs a "
                "fixed batch size: pass `batch_size=` to `keras.Input` (or "
                "`batch_shape=`). "
                f"Received: inputs.shape={tuple(sequences_shape)}"
            )
        super().build(sequences_shape, initial_state_shape)

    @tracking.no_automatic_dependency_tracking
    def _create_state_variables(self, batch_size):
        # As keras.layers.RNN, but without autocasting: under mixed precision
        # on PyTorch an autocast variable is assigned through a cast copy,
        # and the stateful states were lost (Keras's own layers lose them).
        # `call` casts the states it reads to the compute dtype anyway.
        with keras_backend.name_scope(self.name, caller=self):
            self.states = [
                keras.Variable(
                    value,
                    trainable=False,
                    dtype=self.variable_dtype,
                    autocast=False,
                    name="rnn_state",
                )
                for value in self.get_initial_state(batch_size)
            ]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_sequences_shape(sequences.shape)
        if mask is not None:
            mask = self._check_mask(mask, sequences)
        if initial_state is not None:
            initial_state = self._check_initial_state(initial_state, sequences)
        return super().call(
            sequences,
            initial_state=initial_state,
            mask=mask,
            training=training,
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.stateful and keras.backend.backend() == "torch":
            # The state variables are written in place after the call; the
            # autograd graph must not hold them.
            initial_state = [ops.copy(state) for state in initial_state]
        fused = self.fused_inner_loop(sequences, initial_state, mask, training)
        if fused is not None:
            return fused
        cell = self.cell
        # Time-major before projecting: the transpose then moves the narrow
        # input rather than the (gates x units)-wide projection.
        inputs = ops.transpose(sequences, (1, 0, 2))
        if mask is not None:
            mask = ops.transpose(mask, (1, 0))
        if self.go_backwards:
            inputs = ops.flip(inputs, 0)
            mask = None if mask is None else ops.flip(mask, 0)
        step = cell.step_function(initial_state, training=training)
        if cell.projects_whole_sequence or hoist_projection():
            step_inputs = (cell.project(inputs, training, time_major=True),)

            def run_step(inputs_t, states):
                return step(inputs_t[0], states, list(inputs_t[1:]))
        else:
            step_inputs = (inputs,)

            def run_step(inputs_t, states):
                projected = cell.project(inputs_t[0], training)
                return step(projected, states, list(inputs_t[1:]))

        if training and cell.zoneout > 0:
            mask_all = cell.zoneout_mask(
                ops.shape(sequences)[0], ops.shape(sequences)[1]
            )
            step_inputs += tuple(cell.split_zoneout_mask(mask_all))
        batch = ops.shape(sequences)[0]
        last_output, outputs, states = recurrent_loop(
            run_step,
            step_inputs,
            tuple(initial_state),
            ops.zeros((batch, cell.output_size), cell.compute_dtype),
            mask=mask,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
        )
        if outputs is None:
            outputs = ops.expand_dims(last_output, 1)
        else:
            outputs = ops.transpose(outputs, (1, 0, 2))
        return last_output, outputs, states

    def fused_inner_loop(self, sequences, initial_state, mask, training):
        """A fused backend kernel (cuDNN) for this call, or `None`."""
        return None

    # Layers with a `use_cudnn` argument (LSTM, GRU) reach Keras's cuDNN
    # kernels through `keras.src.backend.lstm/gru`, which raise
    # NotImplementedError where they cannot serve (no GPU, a mask on JAX...).

    def _may_use_cudnn(self, cell_matches_keras):
        usable = (
            self.use_cudnn in ("auto", True)
            and cell_matches_keras
            and not self.cell.recurrent_dropout
        )
        return usable or self._no_cudnn()

    def _no_cudnn(self):
        if self.use_cudnn is True:
            raise ValueError(
                f"Layer '{self.name}' has `use_cudnn=True`, but cuDNN cannot "
                "serve this configuration on this backend and device (it "
                "needs a GPU, the default activations and none of recurrent "
                "dropout, zoneout, peepholes, coupled gates, layer norm or "
                "projection). Pass use_cudnn='auto' to fall back to the "
                "gatedkeras engine. Received: use_cudnn=True"
            )
        return None

    def _dropped_inputs(self, sequences, training):
        if training and self.cell.dropout > 0:
            mask = self.cell.get_dropout_mask(sequences[:, 0, :])
            return sequences * ops.expand_dims(mask, 1)
        return sequences

    def _disable_jit_for_cudnn(self):
        # As in Keras: TensorFlow's cuDNN ops do not compile with XLA.
        cell = self.cell
        if (
            keras.backend.backend() == "tensorflow"
            and self.use_cudnn in ("auto", True)
            and keras_backend.cudnn_ok(
                cell.activation,
                cell.recurrent_activation,
                self.unroll,
                cell.use_bias,
            )
        ):
            self.supports_jit = False

    def _check_sequences_shape(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"Layer '{self.name}' expects a 3-D input "
                "(batch, timesteps, features). "
                f"Received: inputs.shape={tuple(shape)}"
            )
        input_dim = getattr(self.cell, "input_dim", None)
        if input_dim is not None and shape[-1] is not None:
            if shape[-1] != input_dim:
                raise ValueError(
                    f"Layer '{self.name}' was built for inputs with "
                    f"{input_dim} features on the last axis. "
                    f"Received: inputs.shape={tuple(shape)}"
                )

    def _check_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        expected = tuple(sequences.shape[:2])
        shape = tuple(mask.shape)
        compatible = len(shape) == 2 and all(
            a is None or b is None or a == b for a, b in zip(shape, expected)
        )
        if not compatible:
            raise ValueError(
                f"Layer '{self.name}' expects a mask of shape "
                f"(batch, timesteps) = {expected}. "
                f"Received: mask.shape={shape}"
            )
        return mask

    def _check_initial_state(self, initial_state, sequences):
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        sizes = self.state_size
        if len(initial_state) != len(sizes):
            raise ValueError(
                f"Layer '{self.name}' expects `initial_state` to hold "
                f"{len(sizes)} state(s), of widths {sizes}. "
                f"Received: len(initial_state)={len(initial_state)}"
            )
        batch = sequences.shape[0]
        for i, (state, size) in enumerate(zip(initial_state, sizes)):
            shape = tuple(state.shape)
            if (
                len(shape) != 2
                or shape[-1] != size
                or (None not in (batch, shape[0]) and shape[0] != batch)
            ):
                raise ValueError(
                    f"Layer '{self.name}' expects initial_state[{i}] of "
                    f"shape (batch, {size}) = ({batch}, {size}). "
                    f"Received: initial_state[{i}].shape={shape}"
                )
        return list(initial_state)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "dtype", "trainable"):
            cell_config.pop(key, None)
        config["activity_regularizer"] = keras.regularizers.serialize(
            self.activity_regularizer
        )
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CellArgument:
    """Exposes a cell argument as a read-only attribute of its layer."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        return getattr(layer.cell, self.name)
