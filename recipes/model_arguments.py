"""Checks of the arguments every recipe model takes: its sizes, dropout
and the options it passes on to its recurrent layers."""

import inspect

from recipes.training_config import check_int
from recipes.training_config import check_rate

# Arguments a recipe model sets on its recurrent layers itself.
RESERVED_CELL_OPTIONS = (
    "units",
    "return_sequences",
    "return_state",
    "stateful",
    "dtype",
)


def check_model_arguments(dropout, embedding_dim, **sizes):
    """Raises `ValueError` unless every size is an integer >= 1,
    `embedding_dim` is one or `None` and `dropout` is in [0, 1)."""
    for name, value in sizes.items():
        check_int(name, value, 1)
    if embedding_dim is not None:
        check_int("embedding_dim", embedding_dim, 1)
    check_rate("dropout", dropout)


def cell_options(options):
    """`options` as a dict, refusing the arguments the model sets."""
    if options is not None and not isinstance(options, dict):
        raise ValueError(
            f"`cell_options` must be a dict. Received: cell_options={options!r}"
        )
    options = dict(options or {})
    reserved = sorted(set(options) & set(RESERVED_CELL_OPTIONS))
    if reserved:
        raise ValueError(
            f"`cell_options` may not set {reserved}: the model sets "
            f"them. Received: cell_options={options}"
        )
    return options


def stack_arguments(spec, units, num_layers, options):
    """The arguments of each recurrent layer of a stack `num_layers` deep.

    A layer that stacks layers itself (one that takes `num_layers`, as the
    Depth-Gated LSTM, whose depth gates link the cells of its layers) is
    built once, `num_layers` deep, so that the depth a user asks for is the
    depth they get, with the depth gates between all of it. `options` that
    set the layer's own `num_layers` keep the stack of `num_layers` such
    layers.

    Args:
        spec: the `LayerSpec` of the recurrent layer.
        units: width of every layer.
        num_layers: depth of the stack.
        options: the checked `cell_options`.

    Returns:
        A list with one dict of arguments per layer to build.
    """
    arguments = {"units": units, **options}
    parameters = inspect.signature(spec.layer.__init__).parameters
    if "num_layers" in options or "num_layers" not in parameters:
        return [dict(arguments) for _ in range(num_layers)]
    return [{**arguments, "num_layers": num_layers}]
