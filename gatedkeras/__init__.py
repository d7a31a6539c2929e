"""gatedkeras: gated recurrent networks for Keras 3, on TensorFlow, JAX and
PyTorch."""

from gatedkeras import cells
from gatedkeras import diagnostics
from gatedkeras import layers
from gatedkeras import torch_weights

__version__ = "0.1.0"

__all__ = ["__version__", "cells", "diagnostics", "layers", "torch_weights"]
