"""Training-step speed of gatedkeras layers against their peers.

One training step is forward, backward and the optimizer update of a model
made of one recurrent layer (returning sequences, mean-squared-error loss).
Each gatedkeras row is timed against its peer, `keras.layers.*` with the same
backend, `jit_compile` setting and dtype policy (or, for the options and
cells Keras lacks, our own classic layer: the plain LSTM on the engine, two
of them for a two-layer Depth-Gated LSTM, SimpleRNN for the Clockwork RNN,
GRU for minGRU/minLSTM), in the same process and interleaved round by round
so that drift on a shared machine cancels in the ratio. Where torch is
installed, `torch.nn.LSTM` / `torch.nn.GRU` / `torch.nn.RNN` are timed in the
same rounds. The Clockwork and minGRU/minLSTM rows run on long sequences
(1,000 and 1,024 steps), where the clock and the parallel scan matter.

Usage:
    python benchmarks/speed.py                      # all three backends
    python benchmarks/speed.py --backends jax --rows lstm,lstm+layer_norm
    python benchmarks/speed.py --quick              # small shapes, a smoke run

Prints a Markdown table: median milliseconds per step and ratios (< 1 means
ours is faster).
"""

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time

# What each row's peer is. "keras": the same layer from keras.layers. A
# `Peer`: our own layer(s) on the engine (`use_cudnn=False` for LSTM/GRU),
# which isolates what an option or a cell costs against the classic cell: on
# the torch backend our plain LSTM/GRU run PyTorch's fused kernel, which no
# option or other cell can use.
Peer = collections.namedtuple("Peer", "layer kwargs count label")
ENGINE_LSTM = Peer("lstm", {"use_cudnn": False}, 1, "ours: LSTM, engine")
# Longer sequences, where the clock and the parallel scan matter.
LONG_CLOCKWORK = {"batch": 32, "timesteps": 1000, "features": 32}
LONG_SCAN = {"batch": 16, "timesteps": 1024, "features": 64}

ROWS = {
    # name: (layer, keyword arguments, peer, shape overrides or None).
    "lstm": ("lstm", {}, "keras", None),
    "lstm(engine)": ("lstm", {"use_cudnn": False}, "keras", None),
    "gru": ("gru", {}, "keras", None),
    "simple_rnn": ("simple_rnn", {}, "keras", None),
    "lstm+recurrent_dropout": (
        "lstm", {"recurrent_dropout": 0.25}, "keras", None,
    ),
    "gru+recurrent_dropout": (
        "gru", {"recurrent_dropout": 0.25}, "keras", None,
    ),
    "lstm+layer_norm": ("lstm", {"layer_norm": True}, ENGINE_LSTM, None),
    "lstm+peephole": ("lstm", {"peephole": True}, ENGINE_LSTM, None),
    "lstm+zoneout": ("lstm", {"zoneout": 0.1}, ENGINE_LSTM, None),
    # The gated cell family (issue 3), against our LSTM on the engine.
    "mgu": ("mgu", {}, ENGINE_LSTM, None),
    "ugrnn": ("ugrnn", {}, ENGINE_LSTM, None),
    "li_gru": ("li_gru", {}, ENGINE_LSTM, None),
    "ind_rnn": ("ind_rnn", {}, ENGINE_LSTM, None),
    "sru": ("sru", {}, ENGINE_LSTM, None),
    "depth_gated_lstm(2 layers)": (
        "depth_gated_lstm",
        {"num_layers": 2},
        Peer("lstm", {"use_cudnn": False}, 2, "ours: 2 x LSTM, engine"),
        None,
    ),
    "clockwork_rnn": (
        "clockwork_rnn",
        {},
        Peer("simple_rnn", {}, 1, "ours: SimpleRNN"),
        LONG_CLOCKWORK,
    ),
    "min_gru": ("min_gru", {}, Peer("gru", {}, 1, "ours: GRU"), LONG_SCAN),
    "min_lstm": ("min_lstm", {}, Peer("gru", {}, 1, "ours: GRU"), LONG_SCAN),
    # The parallel scan forced on (the default on a CPU is the loop).
    "min_gru(scan)": (
        "min_gru",
        {"parallel_scan": True},
        Peer("gru", {}, 1, "ours: GRU"),
        LONG_SCAN,
    ),
    "min_lstm(scan)": (
        "min_lstm",
        {"parallel_scan": True},
        Peer("gru", {}, 1, "ours: GRU"),
        LONG_SCAN,
    ),
}  # fmt: skip
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


def row_shape(args, overrides):
    """`(batch, timesteps, features, units)` of a row."""
    shape = {
        "batch": args.batch,
        "timesteps": args.timesteps,
        "features": args.features,
    }
    if overrides and not args.quick:
        shape.update(overrides)
    return argparse.Namespace(**shape, units=args.units)


def keras_model(layers, shape, jit):
    import keras

    model = keras.Sequential(
        [keras.Input((shape.timesteps, shape.features)), *layers]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4), loss="mse", jit_compile=jit
    )
    return model


def keras_step(model, shape):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal(
        (shape.batch, shape.timesteps, shape.features), "float32"
    )
    y = rng.standard_normal(
        (shape.batch, shape.timesteps, shape.units), "float32"
    )

    def step():
        model.train_on_batch(x, y)

    return step


def torch_step(kind, shape, dtype, threads):
    import torch

    torch.set_num_threads(threads)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(
        kind, torch.nn.RNN
    )(shape.features, shape.units, batch_first=True)
    optimizer = torch.optim.Adam(module.parameters(), 1e-4)
    x = torch.randn(shape.batch, shape.timesteps, shape.features)
    y = torch.randn(shape.batch, shape.timesteps, shape.units)
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
                kind, kwargs, peer, overrides = ROWS[row]
                shape = row_shape(args, overrides)
                common = {"return_sequences": True}
                ours = gatedkeras.layers.get(kind)(
                    args.units, **kwargs, **common
                )
                steps = {
                    "ours": keras_step(keras_model([ours], shape, jit), shape)
                }
                if peer == "keras":
                    keras_cls = {
                        "lstm": keras.layers.LSTM,
                        "gru": keras.layers.GRU,
                        "simple_rnn": keras.layers.SimpleRNN,
                    }[kind]
                    keras_kwargs = {
                        k: v for k, v in kwargs.items() if k != "use_cudnn"
                    }
                    peers = [keras_cls(args.units, **keras_kwargs, **common)]
                else:
                    peer_cls = gatedkeras.layers.get(peer.layer)
                    peers = [
                        peer_cls(args.units, **peer.kwargs, **common)
                        for _ in range(peer.count)
                    ]
                steps["peer"] = keras_step(
                    keras_model(peers, shape, jit), shape
                )
                if have_torch and row in ("lstm", "gru", "simple_rnn"):
                    steps["torch"] = torch_step(
                        kind, shape, dtype, args.torch_threads
                    )
                times = {name: [] for name in steps}
                for name, step in steps.items():  # warm-up and compile
                    for _ in range(args.warmup):
                        step()
                names = list(steps)
                for round_ in range(args.rounds):
                    # Rotate the order: a step timed right after torch's
                    # pays for its OpenMP threads still spinning, which
                    # made short steps (SimpleRNN) look up to 20 % slower.
                    shift = round_ % len(names)
                    for name in names[shift:] + names[:shift]:
                        start = time.perf_counter()
                        steps[name]()
                        times[name].append(1000 * (time.perf_counter() - start))
                medians = {k: statistics.median(v) for k, v in times.items()}
                results.append(
                    {
                        "backend": backend,
                        "dtype": dtype,
                        "jit": jit,
                        "row": row,
                        "shape": f"{shape.batch}x{shape.timesteps}x"
                        f"{shape.features}->{shape.units}",
                        "peer": "keras.layers"
                        if peer == "keras"
                        else peer.label,
                        **{f"{k}_ms": round(v, 1) for k, v in medians.items()},
                    }
                )
                print(json.dumps(results[-1]), flush=True)
        keras.config.set_dtype_policy("float32")
    return results


def table(results):
    lines = [
        "| backend | dtype | jit | row | shape | ours ms | peer | peer ms "
        "| ours/peer | torch.nn ms | ours/torch |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        torch_ms = r.get("torch_ms")
        vs_torch = f"{r['ours_ms'] / torch_ms:.2f}" if torch_ms else ""
        lines.append(
            f"| {r['backend']} | {r['dtype']} | {r['jit']} | {r['row']} "
            f"| {r['shape']} "
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
