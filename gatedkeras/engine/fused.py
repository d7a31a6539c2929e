"""Fused whole-sequence kernels for the configurations that have one.

The gatedkeras engine runs every cell; these kernels serve the plain LSTM and
GRU configurations faster where a backend offers one:

- PyTorch backend: `torch._VF.lstm` / `torch._VF.gru`, the kernels behind
  `torch.nn.LSTM` / `torch.nn.GRU` (cuDNN on a GPU, PyTorch's fused CPU
  kernel otherwise; Keras itself takes them only on a GPU).
- TensorFlow and JAX: Keras's cuDNN kernels (`keras.src.backend.lstm/gru`),
  which serve on a GPU only.

Each function raises `NotImplementedError` when it cannot serve, and the
layer falls back to the engine, as Keras's own layers do.
"""

import keras
from keras import activations
from keras import ops
from keras.src import backend as keras_backend


def lstm(sequences, states, mask, cell, return_sequences, go_backwards, unroll):
    """`(last_output, outputs, states)` of a plain LSTM, or raises
    `NotImplementedError`."""
    if keras.backend.backend() == "torch":
        return _torch_rnn(
            "lstm", sequences, states, mask, cell, return_sequences,
            go_backwards, unroll,
        )  # fmt: skip
    return keras_backend.lstm(
        sequences,
        states[0],
        states[1],
        mask,
        kernel=cell.kernel,
        recurrent_kernel=cell.recurrent_kernel,
        bias=cell.bias,
        activation=cell.activation,
        recurrent_activation=cell.recurrent_activation,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        unroll=unroll,
    )


def gru(sequences, states, mask, cell, return_sequences, go_backwards, unroll):
    """`(last_output, outputs, states)` of a plain GRU, or raises
    `NotImplementedError`."""
    if keras.backend.backend() == "torch":
        if not cell.reset_after:
            raise NotImplementedError
        return _torch_rnn(
            "gru", sequences, states, mask, cell, return_sequences,
            go_backwards, unroll,
        )  # fmt: skip
    if keras.backend.backend() == "jax" and not _jax_on_gpu():
        # Keras's JAX `gru` is a plain scan on a CPU, not a cuDNN kernel.
        raise NotImplementedError
    return keras_backend.gru(
        sequences,
        states[0],
        mask,
        kernel=cell.kernel,
        recurrent_kernel=cell.recurrent_kernel,
        bias=cell.bias,
        activation=cell.activation,
        recurrent_activation=cell.recurrent_activation,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        unroll=unroll,
        reset_after=cell.reset_after,
    )


def _torch_rnn(
    kind, sequences, states, mask, cell, return_sequences, go_backwards, unroll
):
    import importlib

    import torch

    # The module, not the `rnn` function that the package re-exports.
    torch_rnn = importlib.import_module("keras.src.backend.torch.rnn")

    standard = (
        activations.serialize(cell.activation) == "tanh"
        and activations.serialize(cell.recurrent_activation) == "sigmoid"
    )
    dtype = keras.backend.standardize_dtype(sequences.dtype)
    on_gpu = sequences.device.type == "cuda"
    if (
        mask is not None
        or unroll
        or not standard
        or (not on_gpu and dtype not in ("float32", "bfloat16"))
        or torch.jit.is_tracing()
    ):
        raise NotImplementedError
    kernel = ops.convert_to_tensor(cell.kernel)
    recurrent_kernel = ops.convert_to_tensor(cell.recurrent_kernel)
    if cell.bias is None:
        # Keras's GRU weight preparation needs both bias rows.
        bias = (
            None if kind == "lstm" else kernel.new_zeros((2, kernel.shape[1]))
        )
    else:
        bias = ops.convert_to_tensor(cell.bias)
    if go_backwards:
        sequences = torch.flip(sequences, dims=[1])
    if kind == "lstm":
        return torch_rnn._cudnn_lstm(
            sequences, states[0], states[1], kernel, recurrent_kernel, bias,
            return_sequences=return_sequences, device=sequences.device,
        )  # fmt: skip
    return torch_rnn._cudnn_gru(
        sequences, states[0], kernel, recurrent_kernel, bias,
        return_sequences=return_sequences, device=sequences.device,
    )  # fmt: skip


def _jax_on_gpu():
    import jax

    return jax.default_backend() == "gpu"
