"""gatedkeras cells: one step of each recurrence, with the Keras cell
contract (`call(inputs, states) -> (output, new_states)`, `state_size`,
`output_size`, `get_initial_state(batch_size)`) and the engine's split into
`project` and `step`."""

from gatedkeras.cells.gru import GRUCell
from gatedkeras.cells.lstm import LSTMCell
from gatedkeras.cells.simple import SimpleRNNCell

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell"]
