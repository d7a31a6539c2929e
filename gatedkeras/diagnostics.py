"""Gradient flow through time: how much each step still matters at a later
step.

The difficulty of learning long-term dependencies with gradient descent
(Hochreiter 1991; Bengio, Simard and Frasconi 1994; Pascanu, Mikolov and
Bengio 2013) is that the gradient reaching step k from step t is a product
of t - k one-step Jacobians, which shrinks (or grows) geometrically in a
vanilla RNN. Gates (LSTM, GRU), diagonal recurrences (IndRNN), slow modules
(Clockwork RNN) and input-only gates (minGRU) change that product.
`gradient_flow` measures it on any recurrent layer or model at its current
weights, and `plot_gradient_flow` draws one curve per cell.

What is measured, with `wrt="state"`: the cell is stepped with its public
step API, `cell(inputs_t, states)`, in the engine's time loop (`lax.scan`,
`tf.while_loop` or a Python loop), and a zero perturbation, fed in as one
more per-step input, is added to the state entering every step. The
gradient of the output at `target_step` with respect to the perturbation of
step k is the gradient with respect to the state s_k entering step k (s_0
is the initial state); for a cell with several states (LSTM: h and c) it is
taken over all of them together. Values below float32's smallest number
come out as 0.
Without a `loss`, the output's full Jacobian is used: the result is its
Frobenius norm ||dy_t / ds_k||, per sequence, averaged over the batch (the
batch is tiled once per output unit, so one backward pass gives every row
of the Jacobian). With `wrt="inputs"` the same is measured with respect to
the input at each step, for any Keras model.

Keras has no backend-neutral gradient op, so `_gradients` is a small core
per backend: `tf.GradientTape`, `jax.grad` and `torch.autograd.grad`.
"""

import keras
import numpy as np
from keras import ops

from gatedkeras.engine import loop


def gradient_flow(
    layer_or_model, inputs, target_step=-1, loss=None, wrt="state"
):
    """Norm of the gradient of the output at one step w.r.t. every step.

    Args:
        layer_or_model: a recurrent layer (any `keras.layers.RNN`: every
            gatedkeras layer, Keras's own, or one over a user's cell), or a
            `keras.Sequential` model holding exactly one. With
            `wrt="inputs"`, any Keras layer or model that reads sequences
            forwards.
        inputs: array `(batch, timesteps, ...)`, the sequences the
            gradients are averaged over.
        target_step: integer, the step whose output is differentiated;
            negative counts from the end. Defaults to `-1` (the last).
        loss: optional `loss(outputs) -> (batch,)` (or a scalar, which is
            then summed as it is), applied to the output at `target_step`,
            for example
            `lambda y: keras.ops.mean((y - targets) ** 2, axis=-1)`. The
            gradient is then that of the loss rather than the Jacobian of
            the output. Defaults to `None`.
        wrt: `"state"` (the state entering each step) or `"inputs"` (the
            input at each step). Defaults to `"state"`.

    Returns:
        A float64 NumPy array of shape `(timesteps,)`: at index k the norm
        of the gradient w.r.t. step k, averaged over the batch; zeros after
        `target_step`, which the output cannot depend on. The output at
        `target_step` is the layer's (or model's) output after reading
        `inputs[:, :target_step + 1]`. Dropout and zoneout are off.

    >>> layer = gatedkeras.layers.GRU(8)
    >>> x = np.random.default_rng(0).normal(size=(4, 20, 3))
    >>> flow = gatedkeras.diagnostics.gradient_flow(layer, x)
    >>> flow.shape, bool(flow[0] < flow[-1])
    ((20,), True)
    """
    if wrt not in ("state", "inputs"):
        raise ValueError(
            f"Argument `wrt` must be 'state' or 'inputs'. Received: wrt={wrt!r}"
        )
    if loss is not None and not callable(loss):
        raise ValueError(
            "Argument `loss` must be a callable `loss(outputs)` or None. "
            f"Received: loss={loss!r}"
        )
    inputs = np.asarray(ops.convert_to_numpy(inputs))
    if inputs.ndim < (3 if wrt == "inputs" else 2):
        raise ValueError(
            "Argument `inputs` must be a batch of sequences, "
            "(batch, timesteps, features). "
            f"Received: inputs.shape={inputs.shape}"
        )
    timesteps = inputs.shape[1]
    if (
        isinstance(target_step, bool)
        or not isinstance(target_step, (int, np.integer))
        or not -timesteps <= target_step < timesteps
    ):
        raise ValueError(
            f"Argument `target_step` must be an integer step of the "
            f"{timesteps}-step inputs (negative counts from the end). "
            f"Received: target_step={target_step!r}"
        )
    target = int(target_step) % timesteps
    if np.issubdtype(inputs.dtype, np.floating):
        inputs = inputs.astype("float32")
    elif wrt == "inputs":
        raise ValueError(
            "`wrt='inputs'` needs floating-point inputs (token ids have no "
            "gradient); use wrt='state'. "
            f"Received: inputs.dtype={inputs.dtype}"
        )
    inputs = inputs[:, : target + 1]
    if wrt == "state":
        forward, sources = _state_forward(layer_or_model, inputs)
    else:
        forward, sources = _inputs_forward(layer_or_model, inputs)

    batch = inputs.shape[0]
    if loss is None:
        # One copy of each sequence per output unit, each differentiating
        # its own unit: one backward pass gives the whole Jacobian.
        width = _output_width(forward(inputs[:1], sources(1)))
        tiled = np.repeat(inputs, width, axis=0)
        selector = ops.convert_to_tensor(
            np.tile(np.eye(width, dtype="float32"), (batch, 1))
        )

        def objective(perturbations):
            outputs = forward(tiled, perturbations)
            return ops.sum(ops.cast(outputs, "float32") * selector)

        start = sources(batch * width, tiled)
    else:
        width = 1

        def objective(perturbations):
            return ops.sum(
                ops.cast(loss(forward(inputs, perturbations)), "float32")
            )

        start = sources(batch, inputs)

    gradients = _gradients(objective, start)
    squares = _squared_norms_per_step(gradients, wrt, target + 1)
    # (steps, batch * width) -> per sequence: sum over its output units.
    squares = squares.reshape(target + 1, batch, width).sum(-1)
    flow = np.zeros(timesteps)
    flow[: target + 1] = np.sqrt(squares).mean(-1)
    return flow


def _state_forward(layer_or_model, inputs):
    """`forward(x, perturbations)` stepping the cell, and the zero
    perturbations `sources(batch, x=None)` it takes: one time-major
    tensor per state."""
    before, rnn, after = _split(layer_or_model)
    _build(layer_or_model, inputs)
    cell = rnn.cell
    steps = inputs.shape[1]
    sizes = _state_sizes(cell.state_size)
    dtype = getattr(cell, "compute_dtype", "float32")

    def sources(batch, x=None):
        return [ops.zeros((steps, batch, size), dtype) for size in sizes]

    def step(inputs_t, states):
        x_t, *delta = inputs_t
        states = [s + d for s, d in zip(states, delta)]
        output, states = cell(x_t, states, training=False)
        return output, _as_list(states)

    def forward(x, perturbations):
        x = ops.convert_to_tensor(x)
        for layer in before:
            x = layer(x, training=False)
        batch = ops.shape(x)[0]
        states = _as_list(cell.get_initial_state(batch_size=batch))
        width = getattr(cell, "output_size", sizes[0])
        # The engine's loop: lax.scan on JAX, tf.while_loop on TensorFlow,
        # a Python loop on PyTorch; the perturbations are per-step inputs.
        last, outputs, _ = loop.recurrent_loop(
            step,
            (ops.transpose(x, (1, 0, 2)), *perturbations),
            tuple(states),
            ops.zeros((batch, width), dtype),
            return_sequences=bool(after) and rnn.return_sequences,
        )
        if not after:
            return last
        y = ops.transpose(outputs, (1, 0, 2)) if rnn.return_sequences else last
        for layer in after:
            y = layer(y, training=False)
        return _last_step(y)

    return forward, sources


def _inputs_forward(layer_or_model, inputs):
    """`forward(x, [x])`: the model on its (differentiated) inputs."""
    _build(layer_or_model, inputs)

    def sources(batch, x=None):
        return [ops.convert_to_tensor(x if x is not None else inputs[:batch])]

    def forward(x, perturbations):
        outputs = layer_or_model(perturbations[0], training=False)
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        return _last_step(outputs)

    return forward, sources


def _split(layer_or_model):
    """`(layers before, the recurrent layer, layers after)`."""
    if isinstance(layer_or_model, keras.layers.RNN):
        rnn, before, after = layer_or_model, [], []
    elif isinstance(layer_or_model, keras.Sequential):
        found = [
            i
            for i, layer in enumerate(layer_or_model.layers)
            if isinstance(layer, keras.layers.RNN)
        ]
        if len(found) != 1:
            raise ValueError(
                "`wrt='state'` needs a keras.Sequential with exactly one "
                "recurrent layer (keras.layers.RNN) directly in it; use "
                "wrt='inputs' for other models. Received: a Sequential with "
                f"{len(found)} recurrent layers"
            )
        rnn = layer_or_model.layers[found[0]]
        before = layer_or_model.layers[: found[0]]
        after = layer_or_model.layers[found[0] + 1 :]
    else:
        raise ValueError(
            "`wrt='state'` needs a recurrent layer (keras.layers.RNN, as "
            "every gatedkeras layer is) or a keras.Sequential holding one; "
            "for other models use wrt='inputs'. "
            f"Received: layer_or_model={layer_or_model!r}"
        )
    if rnn.go_backwards:
        raise ValueError(
            "gradient_flow follows time forwards; the layer reads its "
            f"sequence backwards. Received: go_backwards={rnn.go_backwards}"
        )
    return before, rnn, after


def _build(layer_or_model, inputs):
    if not layer_or_model.built:
        layer_or_model(inputs[:1], training=False)


def _gradients(objective, sources):
    """Gradients of the scalar `objective(sources)` w.r.t. the `sources`
    (a list of tensors), as NumPy arrays; zeros where it does not depend
    on one (a Clockwork RNN's integer clock)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        def core(sources):
            with tf.GradientTape() as tape:
                tape.watch(sources)
                value = objective(sources)
            return tape.gradient(
                value,
                sources,
                unconnected_gradients=tf.UnconnectedGradients.ZERO,
            )

        # One graph rather than eager ops step by step.
        gradients = tf.function(core)(sources)
    elif backend == "jax":
        import jax

        # Compiled whole: the loop's body is traced once either way, and
        # op-by-op dispatch of the backward pass is slower than compiling.
        gradients = jax.jit(jax.grad(objective))(sources)
    elif backend == "torch":
        import torch

        sources = [v.detach().requires_grad_(True) for v in sources]
        value = objective(sources)
        gradients = torch.autograd.grad(value, sources, allow_unused=True)
        gradients = [
            torch.zeros_like(v) if g is None else g
            for g, v in zip(gradients, sources)
        ]
    else:
        raise NotImplementedError(
            f"gradient_flow has no gradient core for the '{backend}' "
            "backend; use tensorflow, jax or torch."
        )
    return [np.asarray(ops.convert_to_numpy(g), "float64") for g in gradients]


def _squared_norms_per_step(gradients, wrt, steps):
    """`(steps, rows)`: squared gradient norm of each row at each step."""
    if wrt == "inputs":
        g = gradients[0]
        return np.square(g).reshape(g.shape[0], steps, -1).sum(-1).T
    return sum(np.square(g).sum(-1) for g in gradients)


def _output_width(outputs):
    shape = tuple(outputs.shape)
    return int(np.prod(shape[1:])) if len(shape) > 1 else 1


def _last_step(outputs):
    return outputs[:, -1] if len(outputs.shape) == 3 else outputs


def _as_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _state_sizes(state_size):
    if isinstance(state_size, int):
        return [state_size]
    return [int(np.prod(s)) if isinstance(s, (list, tuple)) else s
            for s in state_size]  # fmt: skip


def plot_gradient_flow(results, ax=None, title=None):
    """Draws gradient-flow curves, one line per cell, on a log scale.

    Args:
        results: a dict `{label: flow}` of `gradient_flow` arrays (for
            example one per cell name).
        ax: optional matplotlib `Axes` to draw on; a new figure when
            `None`.
        title: optional title.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ImportError: when matplotlib is not installed.

    >>> flows = {"a": np.array([0.01, 0.1, 1.0]), "b": np.ones(3)}
    >>> figure = gatedkeras.diagnostics.plot_gradient_flow(flows)
    >>> [line.get_label() for line in figure.axes[0].get_lines()]
    ['a', 'b']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_gradient_flow needs matplotlib: `pip install matplotlib` "
            '(or `pip install "gatedkeras[plot]"`).'
        ) from error
    if not isinstance(results, dict) or not results:
        raise ValueError(
            "Argument `results` must be a non-empty dict {label: flow}. "
            f"Received: results={results!r}"
        )
    if ax is None:
        figure, ax = plt.subplots(figsize=(7, 4))
    else:
        figure = ax.figure
    for label, flow in results.items():
        flow = np.asarray(flow, "float64")
        steps = np.arange(len(flow))
        shown = flow > 0  # log scale: the zeros after the target step
        ax.plot(steps[shown], flow[shown], label=str(label))
    ax.set_yscale("log")
    ax.set_xlabel("step k")
    ax.set_ylabel("gradient norm at step k")
    if title:
        ax.set_title(title)
    ax.legend()
    return figure
