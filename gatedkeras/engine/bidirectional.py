"""`keras.layers.Bidirectional`, safe to build while a model is loading.

`Bidirectional.__init__` copies its layer by serialising it, twice. While a
model loads, Keras records every object it serialises by `id()` to detect
objects shared between layers, and the copied layer is a temporary: once
it is freed, the next wrapper's layer can take its address and be taken
for it. That wrapper then reuses the earlier wrapper's copies. Both of its
directions become the earlier backward layer, which Keras rejects ("should
have different `go_backwards` value"), or, with an explicit
`backward_layer`, layers are silently shared between wrappers (a model
that builds several wrappers in `__init__` hit both in our tests, at
random). Keras 3.15 (pinned in pyproject).
"""

import keras
from keras.src.backend.common import global_state

# Where Keras keeps the configs of the objects serialised in its scope.
_SERIALISED = "shared_objects/id_to_config_map"


def wrap_bidirectional(layer, **kwargs):
    """`keras.layers.Bidirectional(layer, **kwargs)`, built outside Keras's
    record of serialised objects.

    Args:
        layer: the recurrent layer to run in both directions.
        **kwargs: arguments of `keras.layers.Bidirectional` (`merge_mode`,
            `backward_layer`, `name`, `dtype`, ...).

    Returns:
        The `keras.layers.Bidirectional` layer.

    Example:

    >>> from gatedkeras.engine.bidirectional import wrap_bidirectional
    >>> wrapper = wrap_bidirectional(gatedkeras.layers.GRU(8))
    >>> wrapper.backward_layer.go_backwards
    True
    """
    serialised = global_state.get_global_attribute(_SERIALISED)
    global_state.set_global_attribute(_SERIALISED, None)
    try:
        return keras.layers.Bidirectional(layer, **kwargs)
    finally:
        global_state.set_global_attribute(_SERIALISED, serialised)
