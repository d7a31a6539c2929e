"""Training-step speed of gatedkeras layers against their peers.

One training step is forward, backward and the optimizer update of a model
made of one recurrent layer (returning sequences, mean-squared-error loss).
Each gatedkeras row is timed against its peer, `keras.layers.*` with the same
backend, `jit_compile` setting and dtype policy (or, for the options Keras
lacks, our own plain layer), in the same process and interleaved round by
round so that drift on a shared machine cancels in the ratio. Where torch is
installed, `torch.nn.LSTM` / `torch.nn.GRU` / `torch.nn.RNN` are timed in the
same rounds.

Usage:
    python benchmarks/speed.py                      # all three backends
    python benchmarks/speed.py --backends jax --rows lstm,lstm+layer_norm
    python benchmarks/speed.py --quick              # small shapes, a smoke run

Prints a Markdown table: median milliseconds per step and ratios (< 1 means
ours is faster).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROWS = {
    # name: (layer, keyword arguments, peer). Peer "keras" is the same
    # layer from keras.layers; peer "ours" is our plain LSTM on the engine
    # (use_cudnn=False), which isolates what an option costs: on the torch
    # backend our plain LSTM runs PyTorch's fused kernel, which no option
    # can use.
    "lstm": ("lstm", {}, "keras"),
    "lstm(engine)": ("lstm", {"use_cudnn": False}, "keras"),
    "gru": ("gru", {}, "keras"),
    "simple_rnn": ("simple_rnn", {}, "keras"),
    "lstm+recurrent_dropout": ("lstm", {"recurrent_dropout": 0.25}, "keras"),
    "gru+recurrent_dropout": ("gru", {"recurrent_dropout": 0.25}, "keras"),
    "lstm+layer_norm": ("lstm", {"layer_norm": True}, "ours"),
    "lstm+peephole": ("lstm", {"peephole": True}, "ours"),
    "lstm+zoneout": ("lstm", {"zoneout": 0.1}, "ours"),
}
DEFAULT_ROWS = list(ROWS)
JIT = {"tensorflow": (False, True), "jax": (True,), "torch": (False,)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--rows", default=",".join(DEFAULT_ROWS))
    parser.add_argument("--dtypes", default="float32,mixed_bfloat16")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--timesteps", type=int, default=100)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="tiny shapes, 2 rounds"
    )
    parser.add_argument("--json", help="write the rows as JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.timesteps, args.features, args.units = 4, 8, 8, 8
        args.rounds, args.warmup = 2, 1
    return args


def keras_model(layer, args, jit):
    import keras

    model = keras.Sequential(
        [keras.Input((args.timesteps, args.features)), layer]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4), loss="mse", jit_compile=jit
    )
    return model


def keras_step(model, args):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal(
        (args.batch, args.timesteps, args.features), "float32"
    )
    y = rng.standard_normal((args.batch, args.timesteps, args.units), "float32")

    def step():
        model.train_on_batch(x, y)

    return step


def torch_step(kind, args, dtype):
    import torch

    torch.set_num_threads(args.torch_threads)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(
        kind, torch.nn.RNN
    )(args.features, args.units, batch_first=True)
    optimizer = torch.optim.Adam(module.parameters(), 1e-4)
    x = torch.randn(args.batch, args.timesteps, args.features)
    y = torch.randn(args.batch, args.timesteps, args.units)
    bf16 = dtype == "mixed_bfloat16"

    def step():
        optimizer.zero_grad()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            out, _ = module(x)
        loss = torch.mean((out.float() - y) ** 2)
        loss.backward()
        optimizer.step()

    return step


def run_worker(args):
    import keras

    import gatedkeras

    backend = keras.backend.backend()
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    results = []
    for dtype in args.dtypes.split(","):
        keras.config.set_dtype_policy(dtype)
        for jit in JIT[backend]:
            for row in args.rows.split(","):
                kind, kwargs, peer = ROWS[row]
                ours_cls = gatedkeras.layers.get(kind)
                keras_cls = {
                    "lstm": keras.layers.LSTM,
                    "gru": keras.layers.GRU,
                    "simple_rnn": keras.layers.SimpleRNN,
                }[kind]
                common = {"return_sequences": True}
                steps = {
                    "ours": keras_step(
                        keras_model(
                            ours_cls(args.units, **kwargs, **common), args, jit
                        ),
                        args,
                    )
                }
                if peer == "keras":
                    keras_kwargs = {
                        k: v for k, v in kwargs.items() if k != "use_cudnn"
                    }
                    peer_layer = keras_cls(args.units, **keras_kwargs, **common)
                else:
                    peer_layer = ours_cls(args.units, use_cudnn=False, **common)
                steps["peer"] = keras_step(
                    keras_model(peer_layer, args, jit), args
                )
                if have_torch and row in ("lstm", "gru", "simple_rnn"):
                    steps["torch"] = torch_step(kind, args, dtype)
                times = {name: [] for name in steps}
                for name, step in steps.items():  # warm-up and compile
                    for _ in range(args.warmup):
                        step()
                for _ in range(args.rounds):
                    for name, step in steps.items():
                        start = time.perf_counter()
                        step()
                        times[name].append(1000 * (time.perf_counter() - start))
                medians = {k: statistics.median(v) for k, v in times.items()}
                results.append(
                    {
                        "backend": backend,
                        "dtype": dtype,
                        "jit": jit,
                        "row": row,
                        "peer": "keras.layers"
                        if peer == "keras"
                        else "ours, plain engine",
                        **{f"{k}_ms": round(v, 1) for k, v in medians.items()},
                    }
                )
                print(json.dumps(results[-1]), flush=True)
        keras.config.set_dtype_policy("float32")
    return results


def table(results):
    lines = [
        "| backend | dtype | jit | row | ours ms | peer | peer ms | ours/peer "
        "| torch.nn ms | ours/torch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        torch_ms = r.get("torch_ms")
        vs_torch = f"{r['ours_ms'] / torch_ms:.2f}" if torch_ms else ""
        lines.append(
            f"| {r['backend']} | {r['dtype']} | {r['jit']} | {r['row']} "
            f"| {r['ours_ms']} | {r['peer']} | {r['peer_ms']} "
            f"| {r['ours_ms'] / r['peer_ms']:.2f} "
            f"| {torch_ms if torch_ms else ''} "
            f"| {vs_torch} |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return
    results = []
    for backend in args.backends.split(","):
        argv_worker = [a for a in (argv or sys.argv[1:]) if a != "--worker"]
        env = {**os.environ, "KERAS_BACKEND": backend}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        proc = subprocess.Popen(
            [sys.executable, __file__, *argv_worker, "--worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        rows = []
        for line in proc.stdout:
            if line.startswith("{"):
                rows.append(json.loads(line))
                print(line.strip(), file=sys.stderr, flush=True)
        stderr = proc.stderr.read()
        proc.wait()
        if proc.returncode != 0:
            sys.stderr.write(stderr[-3000:])
            raise SystemExit(f"benchmark worker for {backend} failed")
        results.extend(rows)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
