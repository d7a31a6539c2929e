"""The demo: a recurrent layer learns the adding problem in about a minute.

The adding problem (Hochreiter and Schmidhuber 1997, "Long Short-Term
Memory", Neural Computation 9(8):1735-1780, experiment 4; in the form of Le,
Jaitly and Hinton 2015, arXiv 1504.00941) is a generated regression task
that only a network with memory can solve. Each input is a sequence of
`timesteps` pairs: a value drawn uniformly from [0, 1], and a marker that is
1 at exactly two steps (one in the first half of the sequence, one in the
second half) and 0 elsewhere. The target is the sum of the two marked values.

Predicting the mean target, 1.0, whatever the input, gives a mean squared
error of 1/6 (about 0.167: the variance of a sum of two uniform values); a
network that scores well below that has learned to find the markers and
remember the first marked value until the second. Below 0.01 we call the
task solved.

With the defaults (50 steps, 64 units, 10 epochs of 8,192 sequences), LSTM
and GRU solved it in our runs (TensorFlow on a 2-core CPU, seeds 0 to 5 for
LSTM, 0 to 2 for GRU: test MSE 0.0001 to 0.002 in 35 to 40 s of training)
and SimpleRNN stayed at the baseline: the gates are what carries the first
value across the steps between the markers.

`gatedkeras demo` on the command line calls `run`; a shrunk run:

>>> result = gatedkeras.demo.run(
...     "gru", units=8, timesteps=10, train_size=64, test_size=64,
...     epochs=1, verbose=0)
>>> sorted(result)  # doctest: +NORMALIZE_WHITESPACE
['baseline_mse', 'cell', 'epochs', 'examples', 'history', 'improvement',
 'parameters', 'solved', 'test_mae', 'test_mse', 'timesteps',
 'train_seconds', 'train_size', 'units']
"""

import math
import time

import keras
import numpy as np

from gatedkeras import layers

# The generator and the solved threshold live with the other long-range
# tasks (`gatedkeras.tasks`); the demo re-exports them.
from gatedkeras.tasks.adding import SOLVED_MSE
from gatedkeras.tasks.adding import adding_problem


def build_model(cell="lstm", units=64, timesteps=50):
    """The demo network: one gatedkeras recurrent layer and a linear readout.

    Args:
        cell: A registered layer name (`gatedkeras.layers.names()`).
            Defaults to `"lstm"`.
        units: Positive integer, width of the recurrent layer. Defaults to
            `64`.
        timesteps: Positive integer, the sequence length. Defaults to `50`.

    Returns:
        An uncompiled `keras.Sequential`.
    """
    return keras.Sequential(
        [
            keras.Input((timesteps, 2)),
            layers.get(cell)(units, name=layers.spec(cell).name),
            keras.layers.Dense(1, name="readout"),
        ],
        name=f"adding_{layers.spec(cell).name}",
    )


def run(
    cell="lstm",
    units=64,
    timesteps=50,
    train_size=8192,
    test_size=2048,
    epochs=10,
    batch_size=32,
    learning_rate=3e-3,
    seed=0,
    verbose=1,
):
    """Trains a small model on the adding problem and reports how it did.

    Builds `build_model(cell, units, timesteps)`, trains it with Adam on
    `train_size` generated sequences (Keras's progress bar, validating on
    the test set after each epoch), then evaluates it on `test_size`
    held-out sequences and compares the error with the trivial baseline
    that always predicts 1.0.

    Args:
        cell: A registered layer name. Defaults to `"lstm"`.
        units: Positive integer, width of the recurrent layer. Defaults to
            `64`.
        timesteps: Integer >= 2, the sequence length. Defaults to `50`.
        train_size: Positive integer, training sequences per epoch.
            Defaults to `8192`.
        test_size: Positive integer, held-out sequences. Defaults to
            `2048`.
        epochs: Positive integer. Defaults to `10`.
        batch_size: Positive integer. Defaults to `32`.
        learning_rate: Float, Adam's learning rate. Defaults to `3e-3`.
        seed: Integer seed of the data and of the weights (through
            `keras.utils.set_random_seed`, which seeds Python's, NumPy's and
            the backend's global generators). Defaults to `0`.
        verbose: `0` silent, `1` progress bar and summary, `2` one line per
            epoch and summary. Defaults to `1`.

    Returns:
        A dict: `cell`, `units`, `timesteps`, `epochs`, `train_size`,
        `test_mse`, `test_mae`, `baseline_mse` (of predicting 1.0 on the
        test set), `improvement` (`baseline_mse / test_mse`), `solved`
        (`test_mse < SOLVED_MSE`), `parameters`, `train_seconds`, and
        `history` (the per-epoch losses) and `examples` (three test
        sequences: their `marked` values, `target` and `prediction`).
    """
    name = layers.spec(cell).name
    x_train, y_train = adding_problem(train_size, timesteps, seed=seed)
    # A different stream of the same seed, so test sequences are held out.
    x_test, y_test = adding_problem(test_size, timesteps, seed=[seed, 1])
    keras.utils.set_random_seed(seed)
    model = build_model(name, units, timesteps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="mse",
        metrics=["mae"],
    )
    if verbose:
        print(
            f"gatedkeras demo: the adding problem (Hochreiter and "
            f"Schmidhuber 1997), {timesteps} steps, {name} with {units} "
            f"units ({model.count_params():,} weights), backend "
            f"{keras.backend.backend()}.\n"
            f"Training on {train_size:,} generated sequences for {epochs} "
            f"epoch(s); the trivial answer 1.0 scores MSE ~0.167."
        )
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_test, y_test),
        validation_batch_size=256,
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - start
    test_mse, test_mae = model.evaluate(
        x_test, y_test, batch_size=256, verbose=0
    )
    baseline_mse = float(np.mean((y_test - 1.0) ** 2))
    shown = x_test[:3]
    predictions = keras.ops.convert_to_numpy(model(shown, training=False))
    examples = [
        {
            "marked": [float(v) for v in sequence[sequence[:, 1] == 1, 0]],
            "target": float(target[0]),
            "prediction": float(prediction[0]),
        }
        for sequence, target, prediction in zip(shown, y_test, predictions)
    ]
    result = {
        "cell": name,
        "units": units,
        "timesteps": timesteps,
        "epochs": epochs,
        "train_size": train_size,
        "test_mse": float(test_mse),
        "test_mae": float(test_mae),
        "baseline_mse": baseline_mse,
        "improvement": baseline_mse / test_mse if test_mse > 0 else math.inf,
        "solved": bool(test_mse < SOLVED_MSE),
        "parameters": model.count_params(),
        "train_seconds": train_seconds,
        "history": {
            k: [float(v) for v in vs] for k, vs in history.history.items()
        },
        "examples": examples,
    }
    if verbose:
        print(summary(result))
    return result


def summary(result):
    """The demo's verdict on a `run` result, in a few lines."""
    improvement = result["improvement"]
    if result["solved"]:
        verdict = f"{improvement:.0f}x lower than the baseline: solved."
    elif improvement > 2:
        verdict = (
            f"{improvement:.1f}x lower than the baseline: learning, not "
            "solved yet (more epochs may get there)."
        )
    else:
        verdict = (
            f"{'worse than' if improvement < 1 else 'about'} the baseline: "
            "not learned (the model has not found the marked values, or "
            "cannot hold the first until the second)."
        )
    lines = [
        "",
        f"Result ({result['cell']}, {result['train_seconds']:.0f} s of "
        "training):",
        f"  test MSE      {result['test_mse']:.4g}  (solved below "
        f"{SOLVED_MSE}; mean absolute error {result['test_mae']:.3f})",
        f"  baseline MSE  {result['baseline_mse']:.4g}  (always answer 1.0)",
        f"  {verdict}",
    ]
    for example in result.get("examples", ()):
        marked = " + ".join(f"{v:.3f}" for v in example["marked"])
        lines.append(
            f"  e.g. {marked} = {example['target']:.3f}, "
            f"predicted {example['prediction']:.3f}"
        )
    return "\n".join(lines)
