"""The registry of gatedkeras layers, with what each lets a tuner vary.

Every layer registers under a canonical snake_case name with the arguments a
tuner may vary (`Tunable`) and the rules a configuration must obey
(`Constraint`), so that recipes and the tuner take any cell without special
cases. Look-up ignores case, `_` and `-`.
"""

import dataclasses
from typing import Any
from typing import Callable

_SPECS = {}


@dataclasses.dataclass(frozen=True)
class Tunable:
    """An argument of a layer that a hyperparameter search may vary.

    Args:
        name: the layer argument.
        kind: `"int"`, `"float"`, `"bool"` or `"choice"`.
        low, high: bounds for `"int"` and `"float"`.
        values: the options for `"choice"`.
        log: whether to sample on a log scale.
        default: the value to use when not tuned.
    """

    name: str
    kind: str
    low: Any = None
    high: Any = None
    values: tuple = ()
    log: bool = False
    default: Any = None


@dataclasses.dataclass(frozen=True)
class Constraint:
    """A rule over a layer's arguments (and its input width).

    Args:
        description: the rule in words, as shown in errors.
        check: `check(arguments, input_dim) -> bool`, where `arguments` is a
            dict of the layer's arguments (missing ones take their defaults
            in the check) and `input_dim` the input width or `None`.
    """

    description: str
    check: Callable[[dict, Any], bool]


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """A registered layer: its class, tunable arguments and constraints."""

    name: str
    layer: type
    tunables: tuple = ()
    constraints: tuple = ()

    def validate(self, arguments, input_dim=None):
        """Raises `ValueError` naming every constraint `arguments` breaks."""
        broken = [
            c.description
            for c in self.constraints
            if not c.check(dict(arguments), input_dim)
        ]
        if broken:
            raise ValueError(
                f"Arguments for layer '{self.name}' break its constraints: "
                f"{'; '.join(broken)}. Received: arguments={arguments}, "
                f"input_dim={input_dim}"
            )


def _key(name):
    return name.replace("_", "").replace("-", "").lower()


def register(name, tunables=(), constraints=()):
    """Class decorator: registers a layer under the snake_case `name`."""

    def decorate(layer):
        key = _key(name)
        if key in _SPECS and _SPECS[key].layer is not layer:
            raise ValueError(
                f"A layer is already registered as '{name}'. Received: {layer}"
            )
        _SPECS[key] = LayerSpec(
            name, layer, tuple(tunables), tuple(constraints)
        )
        return layer

    return decorate


def spec(identifier):
    """The `LayerSpec` of a registered name, class or instance."""
    if isinstance(identifier, str):
        found = _SPECS.get(_key(identifier))
        if found is None:
            raise ValueError(
                f"Unknown gatedkeras layer. Known layers: {names()}. "
                f"Received: name={identifier!r}"
            )
        return found
    layer = identifier if isinstance(identifier, type) else type(identifier)
    for found in _SPECS.values():
        if found.layer is layer:
            return found
    raise ValueError(
        f"Layer class is not registered with gatedkeras. Known layers: "
        f"{names()}. Received: {identifier!r}"
    )


def get(identifier):
    """The layer class for a name; a class or an instance passes through.

    >>> gatedkeras.layers.get("simple-rnn") is gatedkeras.layers.SimpleRNN
    True
    """
    if isinstance(identifier, str):
        return spec(identifier).layer
    if isinstance(identifier, type) or hasattr(identifier, "get_config"):
        return identifier
    raise ValueError(
        "Expected a layer name, class or instance. "
        f"Received: identifier={identifier!r}"
    )


def names():
    """The canonical names of all registered layers, in registration order."""
    return [found.name for found in _SPECS.values()]


# Arguments every gatedkeras layer takes.
COMMON_TUNABLES = (
    Tunable("units", "int", low=32, high=1024, log=True, default=256),
    Tunable("dropout", "float", low=0.0, high=0.5, default=0.0),
    Tunable("recurrent_dropout", "float", low=0.0, high=0.5, default=0.0),
    Tunable("zoneout", "float", low=0.0, high=0.3, default=0.0),
)
