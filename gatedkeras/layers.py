"""`gatedkeras.layers`: every recurrent layer, and the registry.

`get(name)` returns a layer class by its canonical snake_case name (case,
`_` and `-` ignored; a class or instance passes through); `names()` lists the
canonical names; `spec(name)` gives a layer's tunable arguments and
constraints.
"""

from gatedkeras.cells.gru import GRU
from gatedkeras.cells.lstm import LSTM
from gatedkeras.cells.simple import SimpleRNN
from gatedkeras.engine.recurrent import Recurrent
from gatedkeras.registry import get
from gatedkeras.registry import names
from gatedkeras.registry import spec

__all__ = ["GRU", "LSTM", "Recurrent", "SimpleRNN", "get", "names", "spec"]
