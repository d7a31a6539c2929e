"""Compiling a function of a Keras model once per input shape, per backend.

Generation and contiguous evaluation call the same small function (one
step, or one window) thousands of times with the same shapes. Keras has no
public "compile this function" for inference outside `predict`, whose
per-call data handling costs more than a step, so this is the one place
that reaches for the backend: `tf.function`, `jax.jit` over the model's
variable values (through `keras.StatelessScope`, so the compiled function
sees the current weights, not the ones at trace time), or plain eager
PyTorch without autograd.
"""

import keras


def compile_function(fn, model, jit_compile=True):
    """`fn(*args)` compiled for the current backend.

    Args:
        fn: a function of tensors (and nested lists of tensors) that reads
            `model`'s variables; it is traced once per input signature, so
            Python side effects in it run only when it is traced (on
            TensorFlow and JAX).
        model: the `keras.Layer` whose variables `fn` reads.
        jit_compile: whether TensorFlow compiles with XLA. Defaults to
            `True`.

    Returns:
        A function with the same arguments and results as `fn`.

    >>> from gatedkeras.engine.compiled import compile_function
    >>> dense = keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> run = compile_function(lambda x: dense(x), dense)
    >>> tuple(run(keras.ops.ones((1, 3))).shape)
    (1, 2)
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=jit_compile, reduce_retracing=True)
    if backend == "jax":
        import jax

        variables = list(model.variables)

        def pure(values, *args):
            with keras.StatelessScope(state_mapping=zip(variables, values)):
                return fn(*args)

        jitted = jax.jit(pure)
        return lambda *args: jitted([v.value for v in variables], *args)
    if backend == "torch":
        import torch

        def run(*args):
            with torch.no_grad():
                return fn(*args)

        return run
    raise NotImplementedError(
        f"No compiled path for the '{backend}' backend; use tensorflow, jax "
        "or torch."
    )
