"""Layer normalisation for recurrent steps, with its gradient written out.

A layer-normalised cell runs two or three layer norms at every time step,
forward and backward, so their cost is multiplied by the sequence length.
Autodiff of the two-pass statistics (mean, then the variance around it)
gives a backward pass of many small reductions; the closed form below
needs two, and saves the normalised values rather than recomputing them.
On PyTorch, PyTorch's fused kernel (forward and backward) is called in
the input's own dtype: it accumulates the statistics in float32 itself,
where `keras.ops.layer_normalization` would cast a bfloat16 input to
float32 and back around it, four more kernels per layer norm and step
(benchmarks/RESULTS.md).
"""

import keras
from keras import ops

# Ba et al. 2016 and Haste use 1e-5.
EPSILON = 1e-5


def layer_norm(x, gamma, beta=None):
    """Layer normalisation over the last axis (Ba et al. 2016).

    Statistics in float32 under mixed precision, as
    `keras.ops.layer_normalization` computes them, which it matches (the
    tests hold it to that on every backend).

    Args:
        x: tensor to normalise over its last axis.
        gamma: gain of the last axis's width, or `None` for none.
        beta: shift of the last axis's width, or `None` for none. Defaults
            to `None`.

    Returns:
        The normalised tensor, in `x`'s dtype.
    """
    if keras.backend.backend() == "torch":
        return _torch_layer_norm(x, gamma, beta)
    weights = [_read(w) for w in (gamma, beta) if w is not None]
    return _NORMALISERS[gamma is not None, beta is not None](x, *weights)


def step_weight(weight, dtype):
    """A layer-norm weight read once for every step of a recurrence.

    Args:
        weight: a gain or shift (a variable), or `None`.
        dtype: the compute dtype of the steps.

    Returns:
        The weight read out as a tensor (`None` kept). On PyTorch it is
        cast to `dtype` here, so that a bfloat16 loop casts once per
        sequence rather than once per step and layer norm (a cast and its
        gradient at every step).
    """
    if weight is None:
        return None
    if keras.backend.backend() == "torch":
        return ops.cast(weight, dtype)
    return _read(weight)


def _read(weight):
    # Tensors, not variables: TensorFlow's custom gradient would otherwise
    # want the variables' gradients returned apart (`convert_to_tensor`
    # gives TensorFlow's variable back; a copy is read out).
    if isinstance(weight, keras.Variable):
        return ops.copy(weight)
    return weight


def _torch_layer_norm(x, gamma, beta):
    import torch.nn.functional as F

    x = ops.convert_to_tensor(x)
    # The steps' weights come cast by `step_weight`; a cast call per step
    # and layer norm would add its Python overhead to the loop.
    weights = [
        w if w is None or w.dtype == x.dtype else ops.cast(w, x.dtype)
        for w in (gamma, beta)
    ]
    return F.layer_norm(x, (x.shape[-1],), *weights, eps=EPSILON)


def _normaliser(has_gamma, has_beta):
    """The custom-gradient layer norm taking `x` and the weights present."""

    @ops.custom_gradient
    def normalise(x, *weights):
        dtype = x.dtype
        gamma = ops.cast(weights[0], "float32") if has_gamma else None
        beta = ops.cast(weights[-1], "float32") if has_beta else None
        x32 = ops.cast(x, "float32")
        centred = x32 - ops.mean(x32, axis=-1, keepdims=True)
        inverse = ops.rsqrt(
            ops.mean(ops.square(centred), axis=-1, keepdims=True) + EPSILON
        )
        normed = centred * inverse
        outputs = normed
        if has_gamma:
            outputs = outputs * gamma
        if has_beta:
            outputs = outputs + beta

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            upstream = ops.cast(upstream, "float32")
            # d/dx of (x - mean) / std, applied to the upstream times gamma.
            scaled = upstream * gamma if has_gamma else upstream
            d_x = inverse * (
                scaled
                - ops.mean(scaled, axis=-1, keepdims=True)
                - normed * ops.mean(scaled * normed, axis=-1, keepdims=True)
            )
            batch_axes = tuple(range(len(x.shape) - 1))
            d_weights = []
            if has_gamma:
                d_weights.append(ops.sum(upstream * normed, axis=batch_axes))
            if has_beta:
                d_weights.append(ops.sum(upstream, axis=batch_axes))
            return (
                ops.cast(d_x, dtype),
                *(
                    ops.cast(d, w.dtype)
                    for d, w in zip(d_weights, weights, strict=True)
                ),
            )

        return ops.cast(outputs, dtype), grad

    return normalise


_NORMALISERS = {
    (has_gamma, has_beta): _normaliser(has_gamma, has_beta)
    for has_gamma in (False, True)
    for has_beta in (False, True)
}
