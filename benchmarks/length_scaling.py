"""How a training step's time grows with sequence length on one backend.

The engine's loop must grow linearly with length on every backend. On
PyTorch, Keras's generic RNN loop indexes the sequence step by step, so its
backward pass grows with the square of the length; this benchmark shows
both on the same shapes (GRU through the engine with `use_cudnn=False`,
SimpleRNN through Keras's generic loop).

Usage:
    KERAS_BACKEND=torch python benchmarks/length_scaling.py
    KERAS_BACKEND=torch python benchmarks/length_scaling.py \
        --lengths 128,256,512,1024 --units 64

Prints milliseconds per training step at each length, and the growth factor
from the shortest length (linear growth: the ratio of the lengths).
"""

import argparse
import statistics
import time

import keras
import numpy as np


def step_ms(layer, timesteps, args):
    model = keras.Sequential([keras.Input((timesteps, args.features)), layer])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, timesteps, args.features), "float32")
    y = rng.standard_normal((args.batch, args.units), "float32")
    model.train_on_batch(x, y)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main(argv=None):
    import gatedkeras

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", default="128,256,512,1024")
    parser.add_argument("--keras-max-length", type=int, default=512)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    lengths = [int(n) for n in args.lengths.split(",")]
    rows = {
        "gatedkeras GRU (engine)": lambda: gatedkeras.layers.GRU(
            args.units, use_cudnn=False
        ),
        "gatedkeras SimpleRNN": lambda: gatedkeras.layers.SimpleRNN(args.units),
        "keras.layers.SimpleRNN": lambda: keras.layers.SimpleRNN(args.units),
    }
    print(f"backend: {keras.backend.backend()}")
    print(
        "| layer | " + " | ".join(f"T={n} ms" for n in lengths) + " | growth |"
    )
    print("|---" * (len(lengths) + 2) + "|")
    for name, make in rows.items():
        cells = []
        for n in lengths:
            if name.startswith("keras") and n > args.keras_max_length:
                cells.append(None)
                continue
            cells.append(step_ms(make(), n, args))
        measured = [(n, c) for n, c in zip(lengths, cells) if c is not None]
        (n0, t0), (n1, t1) = measured[0], measured[-1]
        growth = f"x{t1 / t0:.1f} for x{n1 // n0} length"
        text = " | ".join("" if c is None else f"{c:.0f}" for c in cells)
        print(f"| {name} | {text} | {growth} |", flush=True)


if __name__ == "__main__":
    main()
