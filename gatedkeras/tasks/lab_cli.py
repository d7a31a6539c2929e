"""`gatedkeras lab`: the cell lab on the command line.

    gatedkeras lab compare --cells simple_rnn,lstm,gru --lengths 50,200
        [--task adding] [--budget 2000 | --budget 10m] [--units 64]
        [--plot flows.png] ...
    gatedkeras lab gradient-flow --cells simple_rnn,lstm --length 200
        [--plot flow.png]

`compare` prints one line per run as it finishes, then the Markdown table;
run it again with the same flags to resume (finished runs are read from
`--cache-dir`). `gradient-flow` prints, for each cell at initialisation,
the gradient norm of the last output w.r.t. the state entering the first,
middle and last steps, on sequences of the chosen task.
"""

import argparse
import json
import sys

import keras
import numpy as np

from gatedkeras import diagnostics
from gatedkeras import layers
from gatedkeras import tasks
from gatedkeras.tasks import comparison


def _names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    try:
        return [layers.spec(name).name for name in names]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _lengths(text):
    try:
        lengths = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not lengths or min(lengths) < 2:
        raise argparse.ArgumentTypeError(
            f"expected lengths of at least 2, got {text!r}"
        )
    return lengths


def _budget(text):
    try:
        comparison.parse_budget(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        )
    return value


def add_arguments(parser):
    """Adds `compare` and `gradient-flow` with their flags."""
    subparsers = parser.add_subparsers(
        title="lab commands",
        dest="lab_command",
        required=True,
        help="`compare` or `gradient-flow`",
    )
    compare = subparsers.add_parser(
        "compare",
        help="train cells on a long-range task at several lengths",
        description=(
            "Train one recurrent layer of each cell and a linear readout on "
            "a generated long-range task at each length, within one "
            "training budget, and print the test error against the "
            "trivial baseline. Runs are cached in --cache-dir: the same "
            "command again resumes an interrupted comparison."
        ),
    )
    _add_common(compare)
    compare.add_argument(
        "--lengths",
        type=_lengths,
        default=[50],
        help="comma-separated sequence lengths (default: 50)",
    )
    compare.add_argument(
        "--budget",
        type=_budget,
        default="2000",
        help="training steps per run (2000), or wall-clock training time "
        "('90s', '10m', '1h') (default: %(default)s)",
    )
    compare.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        help="sequences per training step (default: %(default)s)",
    )
    compare.add_argument(
        "--learning-rate",
        type=float,
        default=3e-3,
        help="Adam's learning rate (default: %(default)s)",
    )
    compare.add_argument(
        "--test-size",
        type=_positive_int,
        default=1024,
        help="held-out sequences (default: %(default)s)",
    )
    compare.add_argument(
        "--eval-every",
        type=_positive_int,
        default=100,
        help="steps between evaluations and backups (default: %(default)s)",
    )
    compare.add_argument(
        "--no-stop-when-solved",
        dest="stop_when_solved",
        action="store_false",
        help="train for the whole budget even once solved",
    )
    compare.add_argument(
        "--no-gradient-flow",
        dest="gradient_flow",
        action="store_false",
        help="do not record the gradient flow before and after training",
    )
    compare.add_argument(
        "--cached-only",
        action="store_true",
        help="print the finished runs only, training nothing",
    )
    compare.add_argument(
        "--cache-dir",
        default="runs/lab",
        help="folder of the cached runs (default: %(default)s)",
    )
    compare.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="0: the table only, 1: a line per run, 2: a line per "
        "evaluation (default: %(default)s)",
    )
    compare.add_argument(
        "--plot",
        help="write the gradient-flow curves to this image file: one row "
        "per length, at initialisation and after training",
    )
    compare.set_defaults(lab_run=_run_compare)

    flow = subparsers.add_parser(
        "gradient-flow",
        help="gradient norms through time of freshly initialised cells",
        description=(
            "For each cell, freshly initialised, the norm of the gradient "
            "of the layer's last output w.r.t. the state entering each step "
            "(gatedkeras.diagnostics.gradient_flow), averaged over "
            "sequences of the task."
        ),
    )
    _add_common(flow)
    flow.add_argument(
        "--length",
        type=_positive_int,
        default=200,
        help="sequence length (default: %(default)s)",
    )
    flow.add_argument(
        "--sequences",
        type=_positive_int,
        default=16,
        help="sequences averaged over (default: %(default)s)",
    )
    flow.add_argument("--plot", help="write the curves to this image file")
    flow.set_defaults(lab_run=_run_gradient_flow)


def _option(text):
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE (recurrent_max_abs=1.0014), got {text!r}"
        )
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _add_common(parser):
    parser.add_argument(
        "--cells",
        type=_names,
        default=["simple_rnn", "lstm", "gru"],
        help="comma-separated registered layer names "
        "(default: simple_rnn,lstm,gru)",
    )
    parser.add_argument(
        "--task",
        choices=tasks.names(),
        default="adding",
        help="the task (default: %(default)s)",
    )
    parser.add_argument(
        "--units",
        type=_positive_int,
        default=64,
        help="width of the recurrent layer (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data and the weights (default: %(default)s)",
    )
    parser.add_argument(
        "--cell-option",
        dest="cell_options",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a further argument of every cell's layer, VALUE read as JSON "
        "where it parses (--cell-option recurrent_max_abs=1.0014); "
        "repeatable",
    )


def run(args):
    """Runs the chosen lab command; returns the exit status."""
    try:
        return args.lab_run(args)
    except ValueError as error:
        print(f"gatedkeras: error: {error}", file=sys.stderr)
        return 2


def _run_compare(args):
    if args.plot and not args.gradient_flow:
        # Refused before training rather than after.
        raise ValueError(
            "Argument `--plot` draws the runs' gradient flow, which "
            "`--no-gradient-flow` turns off: drop one of the two. Received: "
            f"--plot {args.plot} --no-gradient-flow"
        )
    table = tasks.compare(
        cells=args.cells,
        lengths=args.lengths,
        budget=args.budget,
        task=args.task,
        units=args.units,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        test_size=args.test_size,
        eval_every=args.eval_every,
        stop_when_solved=args.stop_when_solved,
        gradient_flow=args.gradient_flow,
        cell_options=dict(args.cell_options),
        cache_dir=args.cache_dir,
        cached_only=args.cached_only,
        verbose=args.verbose,
    )
    print()
    print(table.to_markdown())
    if args.plot:
        _plot_compared_flows(table, args).savefig(
            args.plot, dpi=120, bbox_inches="tight"
        )
        print(f"\nplot: {args.plot}")
    return 0


def _plot_compared_flows(table, args):
    """The finished runs' gradient flow before and after training, one
    row of two panels per length."""
    import matplotlib.pyplot as plt

    rows = [row for row in table if row["flow_final"] is not None]
    if not rows:
        raise ValueError(
            "Argument `--plot` needs finished runs with their gradient "
            f"flow. Received: {len(table)} finished runs, none with a "
            "gradient flow (runs trained with `--no-gradient-flow`)."
        )
    lengths = sorted({row["length"] for row in rows})
    figure, axes = plt.subplots(
        len(lengths), 2, figsize=(12, 4 * len(lengths)), squeeze=False
    )
    for (before, after), length in zip(axes, lengths):
        runs = [row for row in rows if row["length"] == length]
        for ax, key, when in (
            (before, "flow_initial", "at initialisation"),
            (after, "flow_final", "after training"),
        ):
            curves = {}
            for row in runs:
                curves[f"{row['cell']}{_outcome(row)}"] = row[key]
            diagnostics.plot_gradient_flow(
                curves,
                ax=ax,
                title=f"{args.task}, T={length}, {when}",
            )
        # One scale per row, so the two panels compare at a glance.
        low = min(ax.get_ylim()[0] for ax in (before, after))
        high = max(ax.get_ylim()[1] for ax in (before, after))
        for ax in (before, after):
            ax.set_ylim(low, high)
        # One legend per row, beside it, where it hides no curve.
        before.get_legend().remove()
        after.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.tight_layout()
    return figure


def _outcome(row):
    if row["solved"]:
        return ""
    if comparison.diverged_at(row["history"]) is not None:
        return " (diverged)"
    return " (unsolved)"


def _run_gradient_flow(args):
    task = tasks.get(args.task)
    inputs, _ = task.generate(args.sequences, args.length, args.seed)
    flows = {}
    print(
        f"Gradient norm of the last output w.r.t. the state entering step "
        f"k, at initialisation ({args.task} inputs, T={args.length}, "
        f"{args.units} units, {args.sequences} sequences, seed {args.seed}, "
        f"backend {keras.backend.backend()}):\n"
    )
    middle = args.length // 2
    print(f"| cell | k=0 | k={middle} | k={args.length - 1} | k=0 / last |")
    print("|---|---:|---:|---:|---:|")
    options = dict(args.cell_options)
    for cell in args.cells:
        keras.utils.set_random_seed(args.seed)
        layers.spec(cell).validate({"units": args.units, **options})
        layer = layers.get(cell)(args.units, **options)
        flow = diagnostics.gradient_flow(layer, inputs)
        flows[cell] = flow
        print(
            f"| {cell} | {flow[0]:.3g} | {flow[middle]:.3g} | "
            f"{flow[-1]:.3g} | {flow[0] / flow[-1]:.3g} |",
            flush=True,
        )
    if args.plot:
        figure = diagnostics.plot_gradient_flow(
            flows,
            title=f"Gradient flow at initialisation, {args.task}, "
            f"T={args.length}, {args.units} units",
        )
        figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"\nplot: {args.plot}")
    return 0 if all(np.all(np.isfinite(f)) for f in flows.values()) else 1
