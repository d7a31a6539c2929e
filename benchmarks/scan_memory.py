"""Memory of one MinGRU training step: the parallel scan against the
sequential loop, with our GRU beside them.

Each backend's own accounting, since process RSS is blurred by allocator
reuse (batch 16, 1,000 steps, input 64, 256 units by default):

- tensorflow: the peak of `tf.config.experimental.get_memory_info("CPU:0")`
  during a `train_on_batch`, above the memory in use before it;
- jax: XLA's buffer plan for the jitted forward and backward pass
  (`compiled.memory_analysis().temp_size_in_bytes`);
- torch: the bytes of the distinct tensors autograd saves for the backward
  pass (`torch.autograd.graph.saved_tensors_hooks`).

Usage:
    python benchmarks/scan_memory.py
    python benchmarks/scan_memory.py --backends jax --timesteps 4000

Prints a Markdown table in MiB; each measurement runs in its own process.
"""

import argparse
import json
import os
import subprocess
import sys

ROWS = {
    "min_gru(scan)": ("min_gru", {"parallel_scan": True}),
    "min_gru(loop)": ("min_gru", {"parallel_scan": False}),
    "gru(engine)": ("gru", {"use_cudnn": False}),
}
MIB = 2**20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--timesteps", type=int, default=1000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measure(row, args):
    import keras
    import numpy as np

    import gatedkeras

    kind, kwargs = ROWS[row]
    layer = gatedkeras.layers.get(kind)(
        args.units, return_sequences=True, **kwargs
    )
    model = keras.Sequential(
        [keras.Input((args.timesteps, args.features)), layer]
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.timesteps, args.features))
    x = x.astype("float32")
    y = np.zeros((args.batch, args.timesteps, args.units), "float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        model.compile(optimizer="adam", loss="mse", jit_compile=False)
        model.train_on_batch(x, y)
        tf.config.experimental.reset_memory_stats("CPU:0")
        before = tf.config.experimental.get_memory_info("CPU:0")["current"]
        model.train_on_batch(x, y)
        peak = tf.config.experimental.get_memory_info("CPU:0")["peak"]
        return (peak - before) / MIB
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in model.trainable_variables]
        fixed = [v.value for v in model.non_trainable_variables]

        def loss(trainable, x, y):
            out, _ = model.stateless_call(trainable, fixed, x, training=True)
            return jnp.mean((out - y) ** 2)

        step = jax.jit(jax.value_and_grad(loss))
        compiled = step.lower(trainable, x, y).compile()
        return compiled.memory_analysis().temp_size_in_bytes / MIB
    import torch

    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(torch.tensor(x), training=True)
        loss = ((out - torch.tensor(y)) ** 2).mean()
    loss.backward()
    return sum(saved.values()) / MIB


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps({"MiB": round(measure(args.worker, args), 1)}))
        return
    lines = [
        "| backend | " + " | ".join(args.rows.split(",")) + " |",
        "|---|" + "---|" * len(args.rows.split(",")),
    ]
    for backend in args.backends.split(","):
        cells = []
        for row in args.rows.split(","):
            env = {**os.environ, "KERAS_BACKEND": backend}
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            argv_worker = [a for a in (argv or sys.argv[1:])]
            result = subprocess.run(
                [sys.executable, __file__, *argv_worker, "--worker", row],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            mib = json.loads(result.stdout.strip().splitlines()[-1])["MiB"]
            print(f"{backend} {row}: {mib} MiB", file=sys.stderr, flush=True)
            cells.append(str(mib))
        lines.append(f"| {backend} | " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
