"""The time loop that every gatedkeras layer runs its recurrence in.

The loop sees only the recurrent part of a cell: the input projection of all
steps has already been done in one matmul by the caller. It runs natively on
each backend:

- JAX: `jax.lax.scan` (XLA-compilable).
- TensorFlow: `tf.while_loop` over `TensorArray`s (XLA-compilable).
- PyTorch, and `unroll=True` on any backend: a Python loop over the sequence
  unstacked once. Indexing the sequence step by step (as `keras.ops.scan` and
  Keras's own torch RNN loop do) makes every step's backward pass write a
  full-length gradient, so training time grows with the square of the length;
  unstacking once keeps it linear.

Masking follows Keras: a masked step carries the previous states, and its
output is the previous output (zeros before the first unmasked step), or zeros
when `zero_output_for_mask=True`.
"""

import keras
from keras import ops


def recurrent_loop(
    step,
    inputs,
    initial_states,
    initial_output,
    mask=None,
    unroll=False,
    zero_output_for_mask=False,
    return_sequences=True,
):
    """Runs `step` over the leading (time) axis of `inputs`.

    Args:
        step: `step(inputs_t, states) -> (output, new_states)`, where
            `inputs_t` is a tuple with one `(batch, ...)` slice per entry of
            `inputs` and `states` a tuple of `(batch, ...)` tensors.
        inputs: tuple of time-major tensors `(timesteps, batch, ...)`.
        initial_states: tuple of `(batch, ...)` tensors.
        initial_output: the output carried into the first masked steps:
            zeros of the step output's shape and dtype.
        mask: optional time-major boolean tensor `(timesteps, batch)`.
        unroll: whether to unroll the loop in Python (any backend).
        zero_output_for_mask: whether a masked step outputs zeros rather
            than the previous output.
        return_sequences: whether to stack the outputs of all steps.

    Returns:
        `(last_output, outputs, final_states)`: `outputs` is time-major
        `(timesteps, batch, ...)`, or `None` when `return_sequences=False`.
    """
    inputs = tuple(inputs)
    states = tuple(initial_states)
    # The carry holds the previous output only where it is needed: for
    # masked steps, or as the result when outputs are not stacked.
    carry_output = mask is not None or not return_sequences
    if mask is not None:
        inputs = inputs + (ops.expand_dims(ops.cast(mask, "bool"), -1),)
    body = _body(step, mask is not None, zero_output_for_mask, carry_output)
    carry = (initial_output, states) if carry_output else states

    backend = keras.backend.backend()
    if unroll or backend in ("torch", "numpy"):
        run = _python_loop
    elif backend == "jax":
        run = _jax_loop
    elif backend == "tensorflow":
        run = _tensorflow_loop
    else:
        raise NotImplementedError(f"No recurrent loop for backend {backend}.")
    carry, outputs = run(
        body, inputs, carry, return_sequences, initial_output.dtype
    )
    if carry_output:
        last_output, states = carry
    else:
        last_output, states = outputs[-1], carry
    return last_output, outputs if return_sequences else None, list(states)


def _body(step, masked, zero_output_for_mask, carry_output):
    """`body(inputs_t, carry) -> (carry, output)` for the backend loops."""

    def body(inputs_t, carry):
        previous_output, states = carry if carry_output else (None, carry)
        if masked:
            *inputs_t, mask_t = inputs_t
            inputs_t = tuple(inputs_t)
        output, new_states = step(inputs_t, states)
        new_states = tuple(new_states)
        if masked:
            new_states = tuple(
                ops.where(mask_t, new, old)
                for new, old in zip(new_states, states)
            )
            if zero_output_for_mask:
                previous_output = ops.zeros_like(output)
            output = ops.where(mask_t, output, previous_output)
        carry = (output, new_states) if carry_output else new_states
        return carry, output

    return body


def _python_loop(body, inputs, carry, return_sequences, output_dtype):
    inputs_t = [ops.unstack(x, axis=0) for x in inputs]
    outputs = []
    for slices in zip(*inputs_t):
        carry, output = body(slices, carry)
        if return_sequences:
            outputs.append(output)
    return carry, ops.stack(outputs, axis=0) if return_sequences else None


def _jax_loop(body, inputs, carry, return_sequences, output_dtype):
    import jax

    def scan_body(carry, inputs_t):
        carry, output = body(inputs_t, carry)
        return carry, output if return_sequences else None

    return jax.lax.scan(scan_body, carry, inputs)


def _tensorflow_loop(body, inputs, carry, return_sequences, output_dtype):
    import tensorflow as tf

    timesteps = tf.shape(inputs[0])[0]
    static_timesteps = inputs[0].shape[0]
    input_arrays = tuple(
        tf.TensorArray(x.dtype, size=timesteps).unstack(x) for x in inputs
    )
    # Without stacked outputs the loop holds no output array at all: XLA
    # cannot differentiate through an array that is never written.
    arrays = ()
    if return_sequences:
        arrays = (tf.TensorArray(output_dtype, size=timesteps),)

    def loop_body(t, arrays, carry):
        inputs_t = tuple(array.read(t) for array in input_arrays)
        carry, output = body(inputs_t, carry)
        if return_sequences:
            arrays = (arrays[0].write(t, output),)
        return t + 1, arrays, carry

    _, arrays, carry = tf.while_loop(
        lambda t, *_: t < timesteps,
        loop_body,
        (tf.constant(0, "int32"), arrays, carry),
        maximum_iterations=static_timesteps,
    )
    if not return_sequences:
        return carry, None
    outputs = arrays[0].stack()
    # A stacked TensorArray of dynamic size has an unknown length; a layer
    # above would then size its own arrays dynamically, which XLA rejects.
    outputs.set_shape([static_timesteps] + outputs.shape[1:])
    return carry, outputs
