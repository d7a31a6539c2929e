"""gatedkeras cells: one step of each recurrence, with the Keras cell
contract (`call(inputs, states) -> (output, new_states)`, `state_size`,
`output_size`, `get_initial_state(batch_size)`) and the engine's split into
`project` and `step`."""

from gatedkeras.cells.clockwork import ClockworkRNNCell
from gatedkeras.cells.depth_gated_lstm import DepthGatedLSTMCell
from gatedkeras.cells.gru import GRUCell
from gatedkeras.cells.ind_rnn import IndRNNCell
from gatedkeras.cells.li_gru import LiGRUCell
from gatedkeras.cells.lstm import LSTMCell
from gatedkeras.cells.mgu import MGUCell
from gatedkeras.cells.min_rnn import MinGRUCell
from gatedkeras.cells.min_rnn import MinLSTMCell
from gatedkeras.cells.simple import SimpleRNNCell
from gatedkeras.cells.sru import SRUCell
from gatedkeras.cells.ugrnn import UGRNNCell

__all__ = [
    "ClockworkRNNCell",
    "DepthGatedLSTMCell",
    "GRUCell",
    "IndRNNCell",
    "LSTMCell",
    "LiGRUCell",
    "MGUCell",
    "MinGRUCell",
    "MinLSTMCell",
    "SRUCell",
    "SimpleRNNCell",
    "UGRNNCell",
]
