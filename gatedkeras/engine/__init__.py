"""What every recurrent layer shares: the cell base, the time loop, the
sequence layer."""

from gatedkeras.engine.cell import RecurrentCell
from gatedkeras.engine.loop import recurrent_loop
from gatedkeras.engine.recurrent import Recurrent

__all__ = ["Recurrent", "RecurrentCell", "recurrent_loop"]
