"""The `gatedkeras` command line.

    gatedkeras demo [--cell gru] [--epochs 10] ...   train on the adding problem
    gatedkeras layers                                list layers and tunables

Each subcommand is a `Command`: a name, a one-line help, a function that adds
its flags to an `argparse` parser and a function that runs it with the parsed
arguments and returns an exit status. A new subcommand (`train`, `tune`,
`generate`, `bench`) is one more entry in `COMMANDS`.

The Keras backend is chosen as everywhere in Keras, by the environment
variable `KERAS_BACKEND` (`tensorflow`, `jax` or `torch`) before the command
starts.
"""

import argparse
import dataclasses
import inspect
from typing import Callable

import gatedkeras
from gatedkeras import demo
from gatedkeras import layers


@dataclasses.dataclass(frozen=True)
class Command:
    """A subcommand of `gatedkeras`.

    Args:
        name: the word that selects it.
        help: one line, shown in `gatedkeras --help`.
        description: shown in `gatedkeras <name> --help`.
        add_arguments: `add_arguments(parser)` adds the command's flags.
        run: `run(args) -> int`, the exit status.
    """

    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}, got {value}"
            )
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return value


_positive_float.__name__ = "number > 0"


def _layer_name(text):
    # Accept what the registry accepts ("LSTM", "simple-rnn"); an unknown
    # name passes through for `choices` to reject with the list of names.
    try:
        return layers.spec(text).name
    except ValueError:
        return text


# --- demo ---------------------------------------------------------------


def _add_demo_arguments(parser):
    default = {
        name: parameter.default
        for name, parameter in inspect.signature(demo.run).parameters.items()
    }
    parser.add_argument(
        "--cell",
        type=_layer_name,
        choices=layers.names(),
        default=default["cell"],
        help="the recurrent layer to train (default: %(default)s)",
    )
    parser.add_argument(
        "--units",
        type=_int_at_least(1),
        default=default["units"],
        help="width of the recurrent layer (default: %(default)s)",
    )
    parser.add_argument(
        "--timesteps",
        type=_int_at_least(2),
        default=default["timesteps"],
        help="sequence length; longer is harder (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs",
        type=_int_at_least(1),
        default=default["epochs"],
        help="passes over the training set (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=_int_at_least(1),
        default=default["batch_size"],
        help="sequences per training step (default: %(default)s)",
    )
    parser.add_argument(
        "--train-size",
        type=_int_at_least(1),
        default=default["train_size"],
        help="generated training sequences (default: %(default)s)",
    )
    parser.add_argument(
        "--test-size",
        type=_int_at_least(1),
        default=default["test_size"],
        help="generated held-out sequences (default: %(default)s)",
    )
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=default["learning_rate"],
        help="Adam's learning rate (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=default["seed"],
        help="seed of the generated data and the initial weights "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=default["verbose"],
        help="0: the summary only, 1: a progress bar, 2: one line per "
        "epoch (default: %(default)s)",
    )


def _run_demo(args):
    result = demo.run(
        cell=args.cell,
        units=args.units,
        timesteps=args.timesteps,
        train_size=args.train_size,
        test_size=args.test_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        verbose=args.verbose,
    )
    if not args.verbose:
        print(demo.summary(result).lstrip("\n"))
    return 0


# --- layers -------------------------------------------------------------


def _describe_tunable(tunable):
    if tunable.kind == "choice":
        space = "one of " + ", ".join(str(v) for v in tunable.values)
    elif tunable.kind == "bool":
        space = "True or False"
    else:
        space = f"{tunable.low} to {tunable.high}"
        if tunable.log:
            space += " (log scale)"
    return (
        f"    {tunable.name:<20} {tunable.kind:<6} {space:<26} "
        f"default {tunable.default}"
    )


def layers_table():
    """The text `gatedkeras layers` prints: every registered layer, its
    class and its tunable arguments."""
    lines = []
    for name in layers.names():
        found = layers.spec(name)
        lines.append(f"{name}  (gatedkeras.layers.{found.layer.__name__})")
        lines.extend(_describe_tunable(t) for t in found.tunables)
        for constraint in found.constraints:
            lines.append(f"    constraint: {constraint.description}")
    return "\n".join(lines)


def _add_layers_arguments(parser):
    pass


def _run_layers(args):
    print(layers_table())
    return 0


COMMANDS = (
    Command(
        name="demo",
        help="train a small model on the adding problem (about a minute)",
        description=(
            "Train one gatedkeras recurrent layer and a linear readout on the "
            "adding problem (Hochreiter and Schmidhuber 1997): sequences of "
            "random values with two marked steps, whose sum is the target. "
            "Predicting 1.0 always scores MSE ~0.167; below 0.01 counts as "
            "solved. The defaults train an LSTM in about a minute on a "
            "2-core CPU."
        ),
        add_arguments=_add_demo_arguments,
        run=_run_demo,
    ),
    Command(
        name="layers",
        help="list the registered layers and their tunable arguments",
        description=(
            "List every layer in the gatedkeras registry, with the "
            "arguments a hyperparameter search may vary (kind, range, "
            "default) and the constraints on them."
        ),
        add_arguments=_add_layers_arguments,
        run=_run_layers,
    ),
)


def build_parser():
    """The `argparse` parser of the `gatedkeras` command."""
    parser = argparse.ArgumentParser(
        prog="gatedkeras",
        description="Gated recurrent networks for Keras 3.",
        epilog=(
            "Choose the backend with the KERAS_BACKEND environment variable "
            "(tensorflow, jax or torch). Run `gatedkeras <command> --help` "
            "for a command's flags."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {gatedkeras.__version__}",
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="<command>", required=True
    )
    for command in COMMANDS:
        subparser = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
        )
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv=None):
    """Runs the `gatedkeras` command line on `argv` (default: `sys.argv`)
    and returns its exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)
