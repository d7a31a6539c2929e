import os

# The tests compile hundreds of small functions once each; on JAX, XLA's
# LLVM optimisation passes cost more than the code they speed up (a
# quarter of the JAX suite's time). The ops and their results are the
# same; the benchmarks, which time compiled code, do not set this.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

import keras  # noqa: E402
import pytest


def pytest_report_header(config):
    return f"keras backend: {keras.backend.backend()}"


@pytest.fixture(autouse=True)
def _reset_policy():
    """Every test starts from the float32 policy and a fresh seed."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(int(os.environ.get("GATEDKERAS_SEED", 0)))
    yield
    keras.config.set_dtype_policy("float32")
