"""`gatedkeras.layers`: every recurrent layer, and the registry.

`get(name)` returns a layer class by its canonical snake_case name (case,
`_` and `-` ignored; a class or instance passes through); `names()` lists the
canonical names; `spec(name)` gives a layer's tunable arguments and
constraints.
"""

from gatedkeras.cells.clockwork import ClockworkRNN
from gatedkeras.cells.depth_gated_lstm import DepthGatedLSTM
from gatedkeras.cells.gru import GRU
from gatedkeras.cells.ind_rnn import IndRNN
from gatedkeras.cells.li_gru import LiGRU
from gatedkeras.cells.lstm import LSTM
from gatedkeras.cells.mgu import MGU
from gatedkeras.cells.min_rnn import MinGRU
from gatedkeras.cells.min_rnn import MinLSTM
from gatedkeras.cells.simple import SimpleRNN
from gatedkeras.cells.sru import SRU
from gatedkeras.cells.ugrnn import UGRNN
from gatedkeras.engine.recurrent import Recurrent
from gatedkeras.registry import get
from gatedkeras.registry import names
from gatedkeras.registry import spec

__all__ = [
    "ClockworkRNN",
    "DepthGatedLSTM",
    "GRU",
    "IndRNN",
    "LSTM",
    "LiGRU",
    "MGU",
    "MinGRU",
    "MinLSTM",
    "Recurrent",
    "SRU",
    "SimpleRNN",
    "UGRNN",
    "get",
    "names",
    "spec",
]
