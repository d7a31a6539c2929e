"""Training on several devices: `train(..., distribute=...)`.

Two replicas on this machine's CPU: TensorFlow splits it into two logical
devices, and JAX is told to see two host devices. Both must be set before
the framework starts, so each check runs in a fresh Python process
(`_child`), trains one epoch on one device and on two replicas with the
same seed and data order, and reports the losses as JSON.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import pytest

from recipes import distribution
from recipes import language_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

# Before TensorFlow starts: one CPU seen as two devices.
TENSORFLOW_PRELUDE = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
"""

# The smallest language-model run: 2 steps of 4 rows of 8 characters,
# validation in one batch of 4 windows (a multiple of both replicas).
LANGUAGE_MODEL = """
import numpy as np
from recipes import language_model
words = "the a cat dog saw ran near under big red".split()
rng = np.random.default_rng(0)
text = "\\n".join(" ".join(rng.choice(words, 6)) for _ in range(60)) + "\\n"
with open(os.path.join(folder, "text.txt"), "w") as f:
    f.write(text)
TINY = dict(
    data=os.path.join(folder, "text.txt"), units=8, num_layers=1,
    embedding_dim=8, sequence_length=8, batch_size=4, steps_per_epoch=2,
    epochs=1, validation_length=16, tensorboard=False, verbose=0,
)

def run(name, **settings):
    result = language_model.train(
        output_dir=os.path.join(folder, name), **{**TINY, **settings}
    )
    return [result.history["loss"][0], result.history["val_loss"][0]]
"""


def _child(backend, code, tmp_path):
    """Runs `code` in a new Python process on `backend` with two devices
    and returns the JSON it prints last; `folder` is `tmp_path` there."""
    prelude = f"import os\nfolder = {str(tmp_path)!r}\n"
    if backend == "tensorflow":
        prelude += TENSORFLOW_PRELUDE
    environment = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": ROOT,
    }
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refusal(run):
    """The message of the `ValueError` that `run()` raises."""
    try:
        run()
    except ValueError as error:
        return str(error)
    return None


def test_two_tensorflow_replicas(tmp_path):
    """MirroredStrategy: two replicas. The language model's each carry the
    states of their half of the rows across batches, and the epoch's
    training and validation loss are those of one device; a loss of the
    recipes' own is each replica's share of the global mean."""
    found = _child(
        "tensorflow",
        LANGUAGE_MODEL
        + """
import json
import tensorflow as tf
from recipes import distribution
strategy = distribution.resolve("mirrored")
one = run("one")
two = run("two", distribute="mirrored")
with open(os.path.join(folder, "two", "config.json")) as f:
    recorded = json.load(f)["distribute"]
uneven = None
try:
    run("uneven", distribute="mirrored", batch_size=3)
except ValueError as error:
    uneven = str(error)

# Replica 0 sums 3 over 1 row, replica 1 sums 5 over 3: each returns its
# share of the global mean 8 / 4, and the gradients' sum is that mean.
def shares():
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    total = tf.gather([3.0, 5.0], replica)
    return distribution.global_mean(total, tf.gather([1.0, 3.0], replica))
mean = float(strategy.reduce("SUM", strategy.run(shares), axis=None))

# A recipe with its own loss (the forecaster's standardised error): an
# epoch on two replicas. Keras reads one batch of a distributed dataset to
# build before training, which draws a second shuffle of the windows: the
# same windows in another order, so the loss is close, not equal.
from recipes import time_series
forecasts = [
    time_series.train(
        lookback=8, horizon=2, units=8, num_layers=1, batch_size=4,
        steps_per_epoch=2, epochs=1, tensorboard=False, verbose=0,
        output_dir=os.path.join(folder, f"forecast{d}"), distribute=d,
    ).history["loss"][0]
    for d in (None, "mirrored")
]
print(json.dumps(dict(
    replicas=strategy.num_replicas_in_sync, one=one, two=two,
    recorded=recorded, uneven=uneven, mean=mean, forecasts=forecasts,
)))
""",
        tmp_path,
    )
    assert found["replicas"] == 2
    assert found["one"] == pytest.approx(found["two"], rel=1e-4)
    assert found["recorded"] == "mirrored"
    assert "multiple of 2" in found["uneven"]
    assert "Received: batch_size=3" in found["uneven"]
    assert found["mean"] == pytest.approx(2.0)
    # Not twice the loss, as a replica's mean of its own rows would give.
    assert found["forecasts"][1] == pytest.approx(found["forecasts"][0], 0.2)


def test_language_model_on_two_jax_devices(tmp_path):
    """DataParallel over a mesh of two devices: the carried states stay
    whole-batch variables, and the epoch's losses are those of one
    device."""
    found = _child(
        "jax",
        LANGUAGE_MODEL
        + """
import json
import jax
import keras
from recipes import distribution
data_parallel = distribution.resolve("data_parallel")
one = run("one")
two = run("two", distribute="data_parallel")
uneven = None
try:
    run("uneven", distribute=data_parallel, batch_size=3)
except ValueError as error:
    uneven = str(error)
print(json.dumps(dict(
    devices=jax.device_count(),
    mesh=list(data_parallel.device_mesh.shape),
    replicas=distribution.replicas(data_parallel),
    restored=keras.distribution.distribution() is None,
    one=one, two=two, uneven=uneven,
)))
""",
        tmp_path,
    )
    assert found["devices"] == 2
    assert found["mesh"] == [2]
    assert found["replicas"] == 2
    assert found["restored"]
    assert found["one"] == pytest.approx(found["two"], rel=1e-4)
    assert "Received: batch_size=3" in found["uneven"]


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="Received: distribute='gpus'"):
        language_model.Config.make(distribute="gpus")


def test_other_backends_name_is_refused(tmp_path):
    """Each backend refuses the other's names before training starts."""
    other = "mirrored" if keras.backend.backend() != "tensorflow" else None
    message = _refusal(
        lambda: language_model.train(
            output_dir=str(tmp_path),
            distribute=other or "data_parallel",
            units=4,
            num_layers=1,
            epochs=1,
            steps_per_epoch=1,
            verbose=0,
        )
    )
    assert "Received: distribute=" in message
    if keras.backend.backend() == "torch":
        assert "TensorFlow backend" in message and "JAX backend" in message


def test_pytorch_is_refused(monkeypatch):
    """PyTorch has no Keras distribution: the error names what works."""
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    message = _refusal(lambda: distribution.resolve("data_parallel"))
    assert "torch backend has no Keras distribution support" in message
    assert "'mirrored'" in message and "'data_parallel'" in message
    assert "Received: distribute='data_parallel'" in message


def test_one_device_changes_nothing():
    with distribution.scope(None, batch_size=3) as count:
        assert count == 1
    assert distribution.describe(None) is None
