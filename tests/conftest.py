import os

import keras
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
