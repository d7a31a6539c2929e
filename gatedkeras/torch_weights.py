"""Weight conversion between gatedkeras and `torch.nn.LSTM` / `torch.nn.GRU`.

`from_torch` copies one layer and direction of a PyTorch module into a
gatedkeras layer; `to_torch` does the reverse. After conversion both compute
the same function (in inference: dropout is not a weight).

The layouts (CELLS.md §2.2, §2.5; Keras's own `prepare_lstm_params` and
`prepare_gru_params` in `keras/src/backend/torch/rnn.py`):

- LSTM: Keras's gate order `[i, f, c, o]` is PyTorch's `[i, f, g, o]`.
  `kernel = weight_ih.T`, `recurrent_kernel = weight_hh.T`, and our single
  `bias = bias_ih + bias_hh` (back to PyTorch as `bias_ih = bias`,
  `bias_hh = 0`). PyTorch's `proj_size` is our `proj_units`, with
  `projection_kernel = weight_hr.T`.
- GRU: Keras's gate order `[z, r, h]`, PyTorch's `[r, z, n]`. PyTorch applies
  the reset gate after the recurrent matmul, so only `reset_after=True`
  matches; our bias of shape `(2, 3 * units)` holds `[bias_ih, bias_hh]`,
  each reordered.

PyTorch is an optional dependency (`pip install torch`), imported only when
one of these functions runs.
"""

import numpy as np
from keras import activations
from keras import ops

from gatedkeras.cells.gru import GRU
from gatedkeras.cells.lstm import LSTM


def from_torch(module, layer, layer_index=0, reverse=False):
    """Copies one layer of a `torch.nn.LSTM` or `torch.nn.GRU` into ours.

    The module may have any `num_layers`, be bidirectional or not and use
    either `batch_first`; `layer_index` and `reverse` pick the weights of one
    layer and direction. An unbuilt `layer` is built for the input width of
    that PyTorch layer. The two then give the same outputs (a reverse
    direction corresponds to our layer with `go_backwards=True`, whose output
    sequence comes back in reversed time order).

    Args:
        module: A `torch.nn.LSTM` or `torch.nn.GRU`.
        layer: A `gatedkeras.layers.LSTM` (for `torch.nn.LSTM`) or
            `gatedkeras.layers.GRU` with `reset_after=True` (for
            `torch.nn.GRU`), built or not, with the default activations,
            `units` equal to the module's `hidden_size`, `proj_units` equal
            to its `proj_size` (`None` for 0) and `use_bias` equal to its
            `bias`.
        layer_index: Integer, which of the module's `num_layers` layers to
            copy. Defaults to `0`.
        reverse: Boolean, whether to copy the reverse direction of a
            bidirectional module. Defaults to `False`.

    Returns:
        `layer`, holding the module's weights.

    Example:

    >>> module = torch.nn.LSTM(4, 8, batch_first=True)
    >>> lstm = gatedkeras.layers.LSTM(8, return_sequences=True)
    >>> lstm = gatedkeras.torch_weights.from_torch(module, lstm)
    >>> x = np.random.rand(2, 5, 4).astype("float32")
    >>> expected = module(torch.from_numpy(x))[0].detach().numpy()
    >>> bool(np.allclose(keras.ops.convert_to_numpy(lstm(x)), expected,
    ...                  atol=1e-5))
    True
    """
    torch = _import_torch()
    kind = _check_pair(torch, module, layer)
    weights = _torch_weights(module, layer_index, reverse)
    input_size = weights["weight_ih"].shape[1]
    if not layer.built:
        layer.build((None, None, input_size))
    elif layer.cell.input_dim != input_size:
        raise ValueError(
            f"Layer '{layer.name}' was built for inputs of width "
            f"{layer.cell.input_dim}, but layer {layer_index} of the PyTorch "
            f"module takes inputs of width {input_size}. "
            f"Received: input_size={input_size}"
        )
    cell = layer.cell
    if kind == "lstm":
        _assign(cell.kernel, weights["weight_ih"].T)
        _assign(cell.recurrent_kernel, weights["weight_hh"].T)
        if cell.use_bias:
            _assign(cell.bias, weights["bias_ih"] + weights["bias_hh"])
        if cell.proj_units:
            _assign(cell.projection_kernel, weights["weight_hr"].T)
    else:
        _assign(cell.kernel, _swap_first_two_gates(weights["weight_ih"]).T)
        _assign(
            cell.recurrent_kernel,
            _swap_first_two_gates(weights["weight_hh"]).T,
        )
        if cell.use_bias:
            bias = np.stack([weights["bias_ih"], weights["bias_hh"]])
            _assign(cell.bias, _swap_first_two_gates(bias, axis=1))
    return layer


def to_torch(layer, module=None, layer_index=0, reverse=False):
    """Copies our `LSTM` or `GRU` into a `torch.nn.LSTM` or `torch.nn.GRU`.

    Args:
        layer: A built `gatedkeras.layers.LSTM` or `gatedkeras.layers.GRU`
            with a PyTorch equivalent: default activations, no zoneout, no
            layer norm, and for an LSTM no peepholes or coupled gates; a GRU
            needs `reset_after=True`.
        module: Optional `torch.nn.LSTM` or `torch.nn.GRU` to write into,
            whose sizes match the layer. When `None`, a new single-layer,
            unidirectional module with `batch_first=True` is created (in
            float32). Defaults to `None`.
        layer_index: Integer, which of the module's layers to write. Defaults
            to `0`.
        reverse: Boolean, whether to write the reverse direction of a
            bidirectional module. Defaults to `False`.

    Returns:
        The PyTorch module, holding the layer's weights. The LSTM's single
        bias goes to `bias_ih`, and `bias_hh` is set to zeros.

    Example:

    >>> gru = gatedkeras.layers.GRU(8, return_sequences=True)
    >>> x = np.random.rand(2, 5, 4).astype("float32")
    >>> y = keras.ops.convert_to_numpy(gru(x))
    >>> module = gatedkeras.torch_weights.to_torch(gru)
    >>> expected = module(torch.from_numpy(x))[0].detach().numpy()
    >>> bool(np.allclose(y, expected, atol=1e-5))
    True
    """
    torch = _import_torch()
    if not isinstance(layer, (LSTM, GRU)):
        raise ValueError(
            "Argument `layer` must be a `gatedkeras.layers.LSTM` or "
            f"`gatedkeras.layers.GRU`. Received: layer={layer!r}"
        )
    if not layer.built:
        raise ValueError(
            f"Layer '{layer.name}' must be built (called on an input, or "
            "`layer.build(input_shape)`) before its weights can be "
            "converted: its input width is not known yet. "
            f"Received: layer.built={layer.built}"
        )
    cell = layer.cell
    if module is None:
        flags = dict(bias=cell.use_bias, batch_first=True)
        if isinstance(layer, LSTM):
            module = torch.nn.LSTM(
                cell.input_dim,
                cell.units,
                proj_size=cell.proj_units or 0,
                **flags,
            )
        else:
            module = torch.nn.GRU(cell.input_dim, cell.units, **flags)
    kind = _check_pair(torch, module, layer)
    names = _parameter_names(module, layer_index, reverse)
    input_size = getattr(module, names["weight_ih"]).shape[1]
    if input_size != cell.input_dim:
        raise ValueError(
            f"Layer {layer_index} of the PyTorch module takes inputs of "
            f"width {input_size}, but layer '{layer.name}' was built for "
            f"width {cell.input_dim}. Received: input_size={input_size}"
        )
    kernel = _to_numpy(cell.kernel).T
    recurrent_kernel = _to_numpy(cell.recurrent_kernel).T
    values = {}
    if kind == "lstm":
        values["weight_ih"] = kernel
        values["weight_hh"] = recurrent_kernel
        if cell.use_bias:
            bias = _to_numpy(cell.bias)
            values["bias_ih"] = bias
            values["bias_hh"] = np.zeros_like(bias)
        if cell.proj_units:
            values["weight_hr"] = _to_numpy(cell.projection_kernel).T
    else:
        values["weight_ih"] = _swap_first_two_gates(kernel)
        values["weight_hh"] = _swap_first_two_gates(recurrent_kernel)
        if cell.use_bias:
            bias = _swap_first_two_gates(_to_numpy(cell.bias), axis=1)
            values["bias_ih"], values["bias_hh"] = bias[0], bias[1]
    with torch.no_grad():
        for key, value in values.items():
            parameter = getattr(module, names[key])
            parameter.copy_(
                torch.as_tensor(
                    np.ascontiguousarray(value),
                    dtype=parameter.dtype,
                    device=parameter.device,
                )
            )
    return module


def _import_torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "Converting weights to or from PyTorch needs PyTorch. Install it "
            "with `pip install torch` (or `pip install gatedkeras[torch]`)."
        ) from error
    return torch


def _check_pair(torch, module, layer):
    """Checks that `module` and `layer` compute the same function; returns
    `"lstm"` or `"gru"`."""
    if isinstance(module, torch.nn.LSTM):
        kind, expected = "lstm", LSTM
    elif isinstance(module, torch.nn.GRU):
        kind, expected = "gru", GRU
    else:
        raise ValueError(
            "Argument `module` must be a `torch.nn.LSTM` or `torch.nn.GRU`. "
            f"Received: module={type(module).__name__}"
        )
    if not isinstance(layer, expected):
        raise ValueError(
            f"A `torch.nn.{type(module).__name__}` converts to and from a "
            f"`gatedkeras.layers.{expected.__name__}`. "
            f"Received: layer={type(layer).__name__}"
        )
    cell = layer.cell
    for name, default in (
        ("activation", "tanh"),
        ("recurrent_activation", "sigmoid"),
    ):
        value = activations.serialize(getattr(cell, name))
        if value != default:
            raise ValueError(
                f"PyTorch's {kind.upper()} has a fixed `{name}` of "
                f"'{default}'; layer '{layer.name}' uses another. "
                f"Received: {name}={value!r}"
            )
    options = ["layer_norm"]
    if kind == "lstm":
        options = ["peephole", "coupled_gates", "layer_norm"]
    for name in options:
        if getattr(cell, name):
            raise ValueError(
                f"PyTorch's {kind.upper()} has no equivalent of `{name}`, "
                f"which layer '{layer.name}' uses. Received: {name}=True"
            )
    if cell.zoneout:
        raise ValueError(
            f"PyTorch's {kind.upper()} has no zoneout, which changes the "
            f"inference outputs of layer '{layer.name}' too. "
            f"Received: zoneout={cell.zoneout}"
        )
    if kind == "gru" and not cell.reset_after:
        raise ValueError(
            "PyTorch's GRU applies the reset gate after the recurrent "
            "matmul, which is our `reset_after=True`. "
            f"Received: reset_after={cell.reset_after}"
        )
    if module.hidden_size != cell.units:
        raise ValueError(
            f"The PyTorch module's `hidden_size` ({module.hidden_size}) must "
            f"equal the `units` of layer '{layer.name}'. "
            f"Received: units={cell.units}"
        )
    if kind == "lstm" and (module.proj_size or None) != cell.proj_units:
        raise ValueError(
            f"The PyTorch module's `proj_size` ({module.proj_size}) must "
            f"equal the `proj_units` of layer '{layer.name}' (`None` for 0). "
            f"Received: proj_units={cell.proj_units}"
        )
    if bool(module.bias) != bool(cell.use_bias):
        raise ValueError(
            f"The PyTorch module's `bias` ({module.bias}) must equal the "
            f"`use_bias` of layer '{layer.name}'. "
            f"Received: use_bias={cell.use_bias}"
        )
    return kind


def _parameter_names(module, layer_index, reverse):
    """The PyTorch parameter names of one layer and direction."""
    if (
        isinstance(layer_index, bool)
        or not isinstance(layer_index, int)
        or not 0 <= layer_index < module.num_layers
    ):
        raise ValueError(
            "Argument `layer_index` must be an integer in "
            f"[0, {module.num_layers}) for a module with "
            f"num_layers={module.num_layers}. "
            f"Received: layer_index={layer_index!r}"
        )
    if reverse and not module.bidirectional:
        raise ValueError(
            "Argument `reverse=True` needs a bidirectional PyTorch module. "
            f"Received: reverse={reverse}"
        )
    suffix = f"_l{layer_index}" + ("_reverse" if reverse else "")
    keys = ["weight_ih", "weight_hh"]
    if module.bias:
        keys += ["bias_ih", "bias_hh"]
    if getattr(module, "proj_size", 0):
        keys.append("weight_hr")
    return {key: key + suffix for key in keys}


def _torch_weights(module, layer_index, reverse):
    """The parameters of one layer and direction, as float64 NumPy arrays
    (exact for every PyTorch float type; cast on assignment)."""
    names = _parameter_names(module, layer_index, reverse)
    return {
        key: getattr(module, name).detach().cpu().double().numpy()
        for key, name in names.items()
    }


def _swap_first_two_gates(array, axis=0):
    """PyTorch's GRU gates `[r, z, n]` <-> Keras's `[z, r, h]` (its own
    inverse) along `axis`."""
    first, second, third = np.split(array, 3, axis=axis)
    return np.concatenate([second, first, third], axis=axis)


def _to_numpy(variable):
    return np.asarray(ops.convert_to_numpy(variable))


def _assign(variable, value):
    if tuple(variable.shape) != value.shape:
        raise ValueError(
            f"Weight '{variable.path}' has shape {tuple(variable.shape)}. "
            f"Received: value.shape={value.shape}"
        )
    variable.assign(np.ascontiguousarray(value, dtype=variable.dtype))
