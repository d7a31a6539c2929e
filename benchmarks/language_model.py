"""Language-model recipe figures on real data: cells on one time budget,
and generation speed.

    # every cell trained for the same minutes on Tiny Shakespeare
    KERAS_BACKEND=torch python benchmarks/language_model.py cells \\
        --cells lstm,gru,mgu,min_gru --minutes 10
    # characters per second of `generate` for a preset or a run's model
    KERAS_BACKEND=torch python benchmarks/language_model.py generation \\
        --model shakespeare_char_lstm

Tiny Shakespeare is read from ../shared/data (the 90/10 split by position,
as nanoGPT). Each row prints as Markdown, for benchmarks/RESULTS.md.
"""

import argparse
import os
import time

import keras

from recipes import language_model

SHAKESPEARE = os.path.join(
    os.path.dirname(__file__),
    "..",
    "..",
    "shared",
    "data",
    "tiny_shakespeare",
    "input.txt",
)


def cells(args):
    print(
        "| cell | parameters | epochs | minutes | val nats/char (contiguous)"
        " | val nats/char (256 windows) |"
    )
    print("|---|---|---|---|---|---|")
    for cell in args.cells.split(","):
        options = {"num_modules": 4} if cell == "clockwork_rnn" else {}
        result = language_model.train(
            args.data,
            cell=cell,
            units=args.units,
            num_layers=args.layers,
            embedding_dim=64,
            dropout=args.dropout,
            sequence_length=128,
            batch_size=64,
            epochs=1000,
            steps_per_epoch=args.steps_per_epoch,
            learning_rate=args.learning_rate,
            time_budget=args.minutes,
            cell_options=options,
            dtype_policy=args.dtype_policy,
            output_dir=os.path.join(args.output_dir, cell),
            overwrite=True,
            tensorboard=False,
            verbose=2,
        )
        m = result.metrics
        print(
            f"| {cell} | {result.model.count_params():,} | {m['epochs']} | "
            f"{m['train_seconds'] / 60:.1f} | {m['val_loss']:.4f} | "
            f"{m['val_windowed_loss']:.4f} |",
            flush=True,
        )


def generation(args):
    model = language_model.from_preset(args.model)
    language_model.generate(model, "", length=20, seed=0)  # compile
    start = time.perf_counter()
    language_model.generate(model, "", length=args.length, seed=0)
    seconds = time.perf_counter() - start
    print(
        f"| {args.model} | {keras.backend.backend()} | "
        f"{args.length / seconds:,.0f} tokens/s |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="task", required=True)
    p = sub.add_parser("cells", help="cells on one time budget")
    p.add_argument("--cells", default="lstm,gru,mgu,min_gru")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--units", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.25)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--steps-per-epoch", type=int, default=40)
    p.add_argument("--dtype-policy", default="mixed_bfloat16")
    p.add_argument("--data", default=SHAKESPEARE)
    p.add_argument("--output-dir", default="runs/cells")
    p.set_defaults(run=cells)
    p = sub.add_parser("generation", help="generation speed")
    p.add_argument("--model", default="shakespeare_char_lstm")
    p.add_argument("--length", type=int, default=2000)
    p.set_defaults(run=generation)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
