"""The `gatedkeras` command line.

    gatedkeras demo [--cell gru] [--epochs 10] ...   train on the adding problem
    gatedkeras layers                                list layers and tunables
    gatedkeras train language-model [--data PATH] [--units 512] ...
                                                     train a recipe's model
    gatedkeras generate NAME_OR_PATH [--prompt TEXT] [--length 200] ...
                                                     continue a text
    gatedkeras generate --list                       list the pretrained presets
    gatedkeras train translation [--data PATH] ...   train a translation model
    gatedkeras translate NAME_OR_PATH "Ein Hund."    translate sentences
    gatedkeras train speech [--task transcribe] ...  train a speech model
    gatedkeras transcribe NAME_OR_PATH a.wav b.wav   transcribe or classify
    gatedkeras train time-series [--data CSV] ...    train a forecaster
    gatedkeras tune language-model --max-trials 20 [--tuner hyperband] ...
                                                     search a recipe's settings
    gatedkeras forecast NAME_OR_PATH --data CSV      forecast the next steps
    gatedkeras lab compare --cells lstm,gru --lengths 50,200
                                                     cells on long-range tasks
    gatedkeras lab gradient-flow --cells lstm,gru    gradient norms through time

Each subcommand is a `Command`: a name, a one-line help, a function that adds
its flags to an `argparse` parser and a function that runs it with the parsed
arguments and returns an exit status. A new subcommand (`tune`, `bench`) is
one more entry in `COMMANDS`.

`train` takes the name of a `Recipe` next (`language-model`,
`translation`, `speech`; a new recipe is one more entry in `RECIPES`).
Every field of the recipe's settings dataclass becomes a flag, generated
from the field's type, default and `help` metadata, so the command line and
the recipe's `train()` take exactly the same settings: `num_layers` is
`--num-layers`, a `bool` is `--tensorboard/--no-tensorboard`, an `Optional`
setting also takes `none`, a `list` takes the values that follow
(`--test-speakers theo jackson`; none: an empty list), and a `dict` is a
repeatable `--cell-option KEY=VALUE` (VALUE read as JSON where it parses:
`true`, `0.1`, `3`; else kept as text). A setting the recipe refuses (its
`ValueError` or `FileNotFoundError`) is reported as `gatedkeras: error:
...` with exit status 2, as argparse reports a bad flag.

`generate` loads a shipped preset by name, or the `model.keras` a training
run wrote, and prints the prompt and its continuation; `generate --list`
prints the preset names instead.

The Keras backend is chosen as everywhere in Keras, by the environment
variable `KERAS_BACKEND` (`tensorflow`, `jax` or `torch`) before the command
starts.
"""

import argparse
import dataclasses
import importlib
import inspect
import json
import os
import sys
import types
import typing
from typing import Callable

import gatedkeras
from gatedkeras import demo
from gatedkeras import layers
from gatedkeras.tasks import lab_cli


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


def _number_above(low, inclusive):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number, got {text!r}"
            ) from None
        if not (value >= low if inclusive else value > low):
            raise argparse.ArgumentTypeError(
                f"expected a number {parse.bound}, got {value}"
            )
        return value

    parse.bound = f"{'>=' if inclusive else '>'} {low}"
    parse.__name__ = f"number {parse.bound}"
    return parse


_positive_float = _number_above(0, inclusive=False)
_non_negative_float = _number_above(0, inclusive=True)


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


# --- train --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A model that `gatedkeras train <name>` trains.

    Args:
        name: the word after `train`.
        help: one line, shown in `gatedkeras train --help`.
        description: shown in `gatedkeras train <name> --help`.
        module: the recipe's package, imported when the command runs. Its
            `train(data, **settings)` takes every field of `config` and
            returns a result with `metrics` (a dict) and `path` (the
            output folder).
        config: the settings dataclass, as `"package.module.Class"`. Each
            field becomes a flag, with the field's `help` metadata.
        data_help: the help of `--data`.
        flags: `flags() -> {field: {keyword: value}}`, further
            `add_argument` keywords (`choices`, `type`) of some fields.
        add_arguments: `add_arguments(parser)` adds the flags beyond the
            settings.
        report: `report(result, settings, args)` prints what follows the
            metrics.
    """

    name: str
    help: str
    description: str
    module: str
    config: str
    data_help: str
    flags: Callable[[], dict]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    report: Callable[[object, dict, argparse.Namespace], None]

    def settings(self):
        """The settings dataclass."""
        module, _, name = self.config.rpartition(".")
        return getattr(importlib.import_module(module), name)


def _or_none(parse):
    # `Optional[int]` and the like: `none` (any case) is None.
    def parse_or_none(text):
        if text.lower() == "none":
            return None
        return parse(text)

    parse_or_none.__name__ = parse.__name__
    return parse_or_none


def _optional_bool(text):
    values = {"true": True, "false": False, "none": None}
    if text.lower() not in values:
        raise argparse.ArgumentTypeError(
            f"expected true, false or none, got {text!r}"
        )
    return values[text.lower()]


def _key_value(text):
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


class _UpdateDict(argparse.Action):
    """Collects repeated `KEY=VALUE` flags into one dict."""

    def __call__(self, parser, namespace, values, option_string=None):
        key, value = values
        setattr(
            namespace, self.dest, {**getattr(namespace, self.dest), key: value}
        )


def _unwrap_optional(annotation):
    """`(X, True)` for `Optional[X]` or `X | None`, else
    `(annotation, False)`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        others = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(others) == 1:
            return others[0], True
    return annotation, False


def setting_flag(field):
    """The flag of a settings field: `num_layers` is `--num-layers`. A
    `dict` field takes one `KEY=VALUE` per flag, so its flag is singular:
    `cell_options` is `--cell-option`."""
    flag = "--" + field.name.replace("_", "-")
    if _unwrap_optional(field.type)[0] is dict:
        flag = flag.removesuffix("s")
    return flag


def _add_setting(parser, field, annotation, extra):
    """Adds the flag of one settings field, typed from its annotation."""
    if field.default is not dataclasses.MISSING:
        default = field.default
    else:
        default = field.default_factory()
    help = field.metadata.get("help", "").replace("%", "%%")
    kind, optional = _unwrap_optional(annotation)
    keywords = dict(dest=field.name, default=default)
    if kind is dict:
        help += "; one KEY=VALUE per flag, VALUE read as JSON where it parses"
        keywords.update(type=_key_value, action=_UpdateDict)
        keywords["metavar"] = "KEY=VALUE"
    elif typing.get_origin(kind) is list or kind is list:
        # `Optional[list[str]]`: the values after the flag; none is `[]`.
        keywords.update(nargs="*", metavar=field.name.upper().rstrip("S"))
    elif kind is bool and optional:
        keywords.update(type=_optional_bool, metavar="{true,false,none}")
    elif kind is bool:
        keywords["action"] = argparse.BooleanOptionalAction
    elif kind in (int, float, str):
        if optional:
            keywords["type"] = _or_none(kind)
            keywords["metavar"] = f"{field.name.upper()}|none"
        else:
            keywords["type"] = kind
    else:
        raise TypeError(
            f"No flag for settings of type {annotation}. Received: "
            f"{field.name}: {annotation}"
        )
    keywords.update(extra)
    return parser.add_argument(
        setting_flag(field), help=f"{help} (default: %(default)s)", **keywords
    )


def _language_model_flags():
    from gatedkeras.data import text

    config = importlib.import_module("recipes.language_model.config")
    return {
        "level": dict(choices=text.LEVELS),
        "cell": dict(type=_layer_name, choices=layers.names()),
        "batching": dict(choices=config.BATCHING),
        "schedule": dict(choices=config.SCHEDULES),
    }


def _add_language_model_arguments(parser):
    group = parser.add_argument_group(
        "sample", "text generated by the trained model after training"
    )
    group.add_argument(
        "--sample-length",
        type=_int_at_least(0),
        default=300,
        help="tokens to generate; 0: no sample (default: %(default)s)",
    )
    group.add_argument(
        "--prompt",
        default="",
        help="text the sample continues (default: empty, a new text)",
    )
    group.add_argument(
        "--temperature",
        type=_non_negative_float,
        default=0.8,
        help="softmax temperature of the sample; 0 picks the most likely "
        "token (default: %(default)s)",
    )


def _report_language_model(result, settings, args):
    if not args.sample_length:
        return
    from recipes import language_model

    text = language_model.generate(
        result.model,
        args.prompt,
        length=args.sample_length,
        temperature=args.temperature,
        seed=settings["seed"],
    )
    print(f"\nsample (temperature {args.temperature}):\n{text}")


def _translation_flags():
    return {
        "cell": dict(type=_layer_name, choices=layers.names()),
        "attention": dict(
            choices=("bahdanau", "luong", None),
            metavar="{bahdanau,luong,none}",
        ),
        "schedule": dict(choices=_schedules()),
    }


def _schedules():
    from recipes.training_config import SCHEDULES

    return SCHEDULES


def _add_translation_arguments(parser):
    group = parser.add_argument_group(
        "sample", "sentences translated by the trained model after training"
    )
    group.add_argument(
        "--sample",
        action="append",
        default=[],
        metavar="SENTENCE",
        help="a sentence to translate after training; repeat for more "
        "(default: the first three test sentences)",
    )


def _report_translation(result, settings, args):
    from gatedkeras.data import parallel
    from recipes import translation

    sentences = args.sample
    if not sentences:
        splits = parallel.load(
            args.data,
            source_language=settings["source_language"],
            target_language=settings["target_language"],
            test_split=settings["test_split"],
        )
        pairs = splits.test or splits.valid
        sentences = list(pairs.sources[:3])
    translations = translation.translate(
        result.model, sentences, beam_width=settings["beam_width"]
    )
    print()
    for sentence, translated in zip(sentences, translations):
        print(f"{sentence}\n  -> {translated}")


def _speech_flags():
    from gatedkeras.data import audio

    model = importlib.import_module("recipes.speech.model")
    return {
        "task": dict(choices=model.TASKS),
        "level": dict(choices=model.LEVELS),
        "split_by": dict(choices=audio.SPLIT_BY),
        "cell": dict(type=_layer_name, choices=layers.names()),
        "schedule": dict(choices=_schedules()),
    }


def _time_series_flags():
    model = importlib.import_module("recipes.time_series.model")
    config = importlib.import_module("recipes.time_series.config")
    return {
        "decoder": dict(choices=model.DECODERS),
        "level": dict(choices=model.LEVELS),
        "loss": dict(choices=config.LOSSES),
        "fill": dict(
            choices=("interpolate", "ffill", None),
            metavar="{interpolate,ffill,none}",
        ),
        "cell": dict(type=_layer_name, choices=layers.names()),
        "schedule": dict(choices=_schedules()),
    }


RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="language-model",
            help="a recurrent language model on text, any cell",
            description=(
                "Train a language model (embedding, stacked recurrent "
                "layers, softmax) with truncated backpropagation through "
                "time, then print its validation metrics, a sample of "
                "generated text and the output folder (model.keras, "
                "metrics.json, logs/). Running again with the same "
                "--output-dir resumes an unfinished run. Every setting of "
                "recipes.language_model.Config is a flag."
            ),
            module="recipes.language_model",
            config="recipes.language_model.config.Config",
            data_help=(
                "'synthetic' (a generated corpus, offline), a text file "
                "(the last 10%% validates), a folder of train/valid[/test] "
                "files (Penn Treebank layout) or 'tfds:<name>'"
            ),
            flags=_language_model_flags,
            add_arguments=_add_language_model_arguments,
            report=_report_language_model,
        ),
        Recipe(
            name="translation",
            help="an attention encoder-decoder on sentence pairs, any cell",
            description=(
                "Train a translation model (a shared subword vocabulary, a "
                "bidirectional recurrent encoder, an attention decoder with "
                "input feeding), then print its BLEU, chrF and perplexity "
                "on the validation and test splits, a few translations and "
                "the output folder (model.keras, metrics.json, logs/). "
                "Running again with the same --output-dir resumes an "
                "unfinished run. Every setting of recipes.translation.Config "
                "is a flag."
            ),
            module="recipes.translation",
            config="recipes.translation.config.Config",
            data_help=(
                "'synthetic' (a generated corpus, offline), a folder in the "
                "Multi30k layout (train.de[.gz], val.*, test_2016_flickr.*; "
                "with --source-language and --target-language), or "
                "'tfds:<name>[/<config>]'"
            ),
            flags=_translation_flags,
            add_arguments=_add_translation_arguments,
            report=_report_translation,
        ),
        Recipe(
            name="speech",
            help="spoken-word classification or CTC transcription, any cell",
            description=(
                "Train a speech model on raw audio (log-mel features and "
                "SpecAugment inside the model, a convolutional front end, "
                "stacked recurrent layers, a classifier or a CTC head), "
                "then print its accuracy, or WER and CER, on the validation "
                "and test splits and the output folder (model.keras, "
                "metrics.json, logs/). Running again with the same "
                "--output-dir resumes an unfinished run. Every setting of "
                "recipes.speech.Config is a flag."
            ),
            module="recipes.speech",
            config="recipes.speech.config.Config",
            data_help=(
                "'synthetic' (generated speech, offline), a folder of wav "
                "files named {label}_{speaker}_{index}.wav as the Free "
                "Spoken Digit Dataset (or named by --labels-csv), or "
                "'tfds:<name>'"
            ),
            flags=_speech_flags,
            add_arguments=lambda parser: None,
            report=lambda result, settings, args: None,
        ),
        Recipe(
            name="time-series",
            help="multi-step forecasting of a multivariate series, any cell",
            description=(
                "Train a forecaster (the training split's statistics inside "
                "the model, a recurrent encoder, a direct or autoregressive "
                "head, optional quantiles), then print its MAE, RMSE, "
                "sMAPE and MASE, and the seasonal-naive MASE, on the "
                "validation and test splits and the output folder "
                "(model.keras, metrics.json, logs/). Running again with the "
                "same --output-dir resumes an unfinished run. Every setting "
                "of recipes.time_series.Config is a flag."
            ),
            module="recipes.time_series",
            config="recipes.time_series.config.Config",
            data_help=(
                "'synthetic' (a generated hourly series, offline), "
                "'statsmodels:co2', 'statsmodels:elnino', "
                "'statsmodels:macrodata' or a CSV file (a time column, "
                "then numeric columns)"
            ),
            flags=_time_series_flags,
            add_arguments=lambda parser: None,
            report=lambda result, settings, args: None,
        ),
    )
}


def _add_train_arguments(parser):
    subparsers = parser.add_subparsers(
        title="recipes",
        dest="recipe",
        required=True,
        help="the model to train; `gatedkeras train <recipe> --help` lists "
        "its settings",
    )
    for recipe in RECIPES.values():
        subparser = subparsers.add_parser(
            recipe.name, help=recipe.help, description=recipe.description
        )
        subparser.add_argument(
            "--data",
            default="synthetic",
            help=f"{recipe.data_help} (default: %(default)s)",
        )
        config = recipe.settings()
        group = subparser.add_argument_group(
            "settings", f"the fields of {recipe.config}"
        )
        annotations = typing.get_type_hints(config)
        extra = recipe.flags()
        for field in dataclasses.fields(config):
            _add_setting(
                group, field, annotations[field.name], extra.get(field.name, {})
            )
        recipe.add_arguments(subparser)


def _fail(message):
    print(f"gatedkeras: error: {message}", file=sys.stderr)
    return 2


def _run_train(args):
    recipe = RECIPES[args.recipe]
    settings = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(recipe.settings())
    }
    module = importlib.import_module(recipe.module)
    try:
        result = module.train(data=args.data, **settings)
    except (ValueError, FileNotFoundError) as error:
        return _fail(error)
    print()
    for name, value in sorted(result.metrics.items()):
        print(f"{name}: {value}")
    recipe.report(result, settings, args)
    print(f"\noutput: {result.path}")
    return 0


# --- tune ---------------------------------------------------------------

# Settings `tune` sets itself in each trial, or takes as its own flag.
_NOT_FIXED = ("output_dir", "overwrite")


def _add_tune_arguments(parser):
    from recipes import tuning

    subparsers = parser.add_subparsers(
        title="recipes",
        dest="recipe",
        required=True,
        help="the model to tune; `gatedkeras tune <recipe> --help` lists "
        "its settings",
    )
    for recipe in RECIPES.values():
        subparser = subparsers.add_parser(
            recipe.name,
            help=recipe.help,
            description=(
                f"Search the settings of the {recipe.name} recipe with "
                "keras-tuner: each trial is one `gatedkeras train "
                f"{recipe.name}` run in DIRECTORY/trial_<id>/run. Prints "
                "the best trial, its settings and the best trials; every "
                "trial is in DIRECTORY/trials.csv. Running again with the "
                "same --directory resumes a stopped search. For several "
                "machines, set KERASTUNER_TUNER_ID (chief on one, a "
                "distinct name on each worker), KERASTUNER_ORACLE_IP and "
                "KERASTUNER_ORACLE_PORT, and run the same command on each."
            ),
        )
        subparser.add_argument(
            "--data",
            default="synthetic",
            help=f"{recipe.data_help} (default: %(default)s)",
        )
        search = subparser.add_argument_group("search")
        search.add_argument(
            "--tuner",
            choices=tuning.TUNERS,
            default="bayesian",
            help="the search algorithm (default: %(default)s)",
        )
        search.add_argument(
            "--max-trials",
            type=_int_at_least(1),
            default=None,
            help="trials to run; with hyperband, a cap on its schedule, "
            "which --epochs and --factor size (default: 10; hyperband: "
            "the whole schedule)",
        )
        search.add_argument(
            "--directory",
            default=None,
            help="the search's folder; a stopped search there resumes "
            "(default: runs/tune-<recipe>)",
        )
        search.add_argument(
            "--overwrite",
            action="store_true",
            help="start over in a folder that holds a search",
        )
        search.add_argument(
            "--objective",
            default=None,
            help="the metric to optimise, e.g. val_loss (default: the "
            "recipe's)",
        )
        search.add_argument(
            "--cells",
            nargs="+",
            type=_layer_name,
            choices=layers.names(),
            default=None,
            metavar="CELL",
            help="the layers searched (default: every registered layer)",
        )
        search.add_argument(
            "--factor",
            type=_int_at_least(2),
            default=3,
            help="hyperband's reduction factor (default: %(default)s)",
        )
        config = recipe.settings()
        group = subparser.add_argument_group(
            "fixed settings",
            f"the fields of {recipe.config}: one given is the same in every "
            "trial, and not searched",
        )
        annotations = typing.get_type_hints(config)
        extra = recipe.flags()
        for field in dataclasses.fields(config):
            if field.name in _NOT_FIXED:
                continue
            is_dict = _unwrap_optional(annotations[field.name])[0] is dict
            # Only the flags given are settings; the rest is searched or
            # keeps the recipe's default.
            default = {} if is_dict else argparse.SUPPRESS
            action = _add_setting(
                group,
                field,
                annotations[field.name],
                {**extra.get(field.name, {}), "default": default},
            )
            action.help = action.help.replace(" (default: %(default)s)", "")


def _run_tune(args):
    recipe = RECIPES[args.recipe]
    fixed = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(recipe.settings())
        if field.name not in _NOT_FIXED and getattr(args, field.name, {}) != {}
    }
    module = importlib.import_module(recipe.module)
    try:
        result = module.tune(
            data=args.data,
            tuner=args.tuner,
            max_trials=args.max_trials,
            directory=args.directory,
            overwrite=args.overwrite,
            objective=args.objective,
            cells=args.cells,
            factor=args.factor,
            **fixed,
        )
    except (ValueError, FileNotFoundError) as error:
        return _fail(error)
    if result is not None:
        print(f"\noutput: {result.path}")
    return 0


def _add_preset_arguments(parser):
    """The model a command loads, and `--list`, which every command that
    loads one takes."""
    parser.add_argument(
        "model",
        nargs="?",
        metavar="PRESET_OR_PATH",
        help="a preset name (see --list), the model.keras a training run "
        "wrote, or the run's folder",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print the names of the pretrained presets and exit",
    )


# --- generate -----------------------------------------------------------


def _add_generate_arguments(parser):
    _add_preset_arguments(parser)
    parser.add_argument(
        "--prompt",
        default="",
        help="text to continue (default: empty, a new text)",
    )
    parser.add_argument(
        "--length",
        type=_int_at_least(0),
        default=200,
        help="tokens to generate (default: %(default)s)",
    )
    parser.add_argument(
        "--temperature",
        type=_non_negative_float,
        default=1.0,
        help="softmax temperature; 0 picks the most likely token "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--top-k",
        type=_int_at_least(1),
        default=None,
        help="sample among the K most likely tokens only (default: all)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the sampler; the same seed gives the same text "
        "(default: none, a new text each time)",
    )


def _preset_or_path(args, command, presets):
    """The model a `generate` or `translate` command names, or what to do
    instead: `(name, None)` for a preset name or a model file (a run
    folder stands for its model.keras); `(None, status)` once `--list` is
    printed or an error reported."""
    if args.list:
        names = presets()
        if not names:
            print("(no presets in this installation)", file=sys.stderr)
        for name in names:
            print(name)
        return None, 0
    if args.model is None:
        return None, _fail(
            f"{command} needs a preset name or the path of a .keras file "
            "(or --list)"
        )
    name = args.model
    if os.path.isdir(name):
        name = os.path.join(name, "model.keras")
    looks_like_path = name.endswith(".keras") or os.sep in name
    if looks_like_path and not os.path.isfile(name):
        return None, _fail(f"No such model file. Received: path={args.model!r}")
    return name, None


def _run_generate(args):
    from recipes import language_model

    name, status = _preset_or_path(args, "generate", language_model.presets)
    if name is None:
        return status
    try:
        model = language_model.from_preset(name)
        text = language_model.generate(
            model,
            args.prompt,
            length=args.length,
            temperature=args.temperature,
            top_k=args.top_k,
            seed=args.seed,
        )
    except (ValueError, FileNotFoundError) as error:
        return _fail(error)
    print(text)
    return 0


# --- translate ----------------------------------------------------------


def _add_translate_arguments(parser):
    _add_preset_arguments(parser)
    parser.add_argument(
        "sentences",
        nargs="*",
        metavar="SENTENCE",
        help="sentences to translate; none: read one per line from stdin",
    )
    parser.add_argument(
        "--beam-width",
        type=_int_at_least(1),
        default=5,
        help="hypotheses kept per sentence; 1 decodes greedily "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-length",
        type=_int_at_least(1),
        default=None,
        help="most subword tokens per translation (default: twice the "
        "source plus 10, up to the model's max_length)",
    )


def _run_translate(args):
    from recipes import translation

    name, status = _preset_or_path(args, "translate", translation.presets)
    if name is None:
        return status
    sentences = args.sentences or [
        line.strip() for line in sys.stdin if line.strip()
    ]
    try:
        model = translation.from_preset(name)
        translations = translation.translate(
            model,
            sentences,
            beam_width=args.beam_width,
            max_length=args.max_length,
        )
    except (ValueError, FileNotFoundError) as error:
        return _fail(error)
    for translated in translations:
        print(translated)
    return 0


# --- transcribe ---------------------------------------------------------


def _add_transcribe_arguments(parser):
    _add_preset_arguments(parser)
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE.wav",
        help="wav files, any sample rate; none: read one path per line "
        "from stdin",
    )
    parser.add_argument(
        "--beam-width",
        type=_int_at_least(1),
        default=1,
        help="CTC prefixes kept; 1 decodes greedily (default: %(default)s)",
    )


def _run_transcribe(args):
    from recipes import speech

    name, status = _preset_or_path(args, "transcribe", speech.presets)
    if name is None:
        return status
    files = args.files or [line.strip() for line in sys.stdin if line.strip()]
    if not files:
        return _fail("transcribe needs at least one wav file")
    try:
        model = speech.from_preset(name)
        if model.task == "classify":
            outputs = speech.predict(model, files)
        else:
            outputs = speech.transcribe(
                model, files, beam_width=args.beam_width
            )
    except (ValueError, FileNotFoundError) as error:
        return _fail(error)
    for path, output in zip(files, outputs):
        print(f"{path}\t{output}")
    return 0


# --- forecast -----------------------------------------------------------


def _add_forecast_arguments(parser):
    _add_preset_arguments(parser)
    parser.add_argument(
        "--data",
        help="the history: a CSV file (a time column, then the model's "
        "input columns) or 'statsmodels:<name>'; the forecast starts "
        "after its last step",
    )
    parser.add_argument(
        "--horizon",
        type=_int_at_least(1),
        default=None,
        help="steps to forecast (default: the model's horizon)",
    )
    parser.add_argument(
        "--quantiles",
        type=float,
        nargs="+",
        default=None,
        metavar="LEVEL",
        help="quantile levels the model was trained on, e.g. 0.1 0.5 0.9 "
        "(default: the point forecast)",
    )
    parser.add_argument(
        "--time-column",
        default=None,
        help="the CSV's time column (default: its first)",
    )
    parser.add_argument(
        "--fill",
        choices=("interpolate", "ffill"),
        default=None,
        help="mend missing values and irregular steps of the history "
        "(default: they are an error)",
    )
    parser.add_argument(
        "--resample",
        default=None,
        help="pandas offset alias to average the history to first (MS)",
    )
    parser.add_argument(
        "--output",
        default=None,
        help="write the forecast to this CSV file (default: print it)",
    )


def _run_forecast(args):
    from gatedkeras.data import series
    from recipes import time_series

    name, status = _preset_or_path(args, "forecast", time_series.presets)
    if name is None:
        return status
    if args.data is None:
        return _fail("forecast needs --data, the history to forecast from")
    try:
        model = time_series.from_preset(name)
        history = series.read(
            args.data,
            time_column=args.time_column,
            fill=args.fill,
            resample=args.resample,
        )
        result = time_series.forecast(
            model, history, horizon=args.horizon, quantiles=args.quantiles
        )
    except (ValueError, FileNotFoundError, ImportError) as error:
        return _fail(error)
    label = result.index.name or "time"
    if args.output:
        result.to_csv(args.output, index_label=label)
        print(f"forecast of {len(result)} steps written to {args.output}")
    else:
        print(result.to_csv(index_label=label), end="")
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
    Command(
        name="train",
        help="train a recipe's model: " + ", ".join(RECIPES),
        description=(
            "Train the model of a recipe with any gatedkeras cell. Every "
            "setting of the recipe is a flag; `gatedkeras train <recipe> "
            "--help` lists them with their defaults."
        ),
        add_arguments=_add_train_arguments,
        run=_run_train,
    ),
    Command(
        name="tune",
        help="search a recipe's settings with keras-tuner: "
        + ", ".join(RECIPES),
        description=(
            "Search the settings of a recipe (the cell and its own "
            "arguments, width, depth, dropout, learning rate, clipping and "
            "the recipe's knobs) with keras-tuner's Bayesian optimisation, "
            "random search or Hyperband. `gatedkeras tune <recipe> --help` "
            "lists the flags; a setting given as a flag is fixed."
        ),
        add_arguments=_add_tune_arguments,
        run=_run_tune,
    ),
    Command(
        name="generate",
        help="continue a text with a pretrained or trained language model",
        description=(
            "Load a pretrained language-model preset by name, or the "
            "model.keras that `gatedkeras train language-model` wrote, and "
            "print the prompt followed by sampled text. `--list` prints the "
            "preset names."
        ),
        add_arguments=_add_generate_arguments,
        run=_run_generate,
    ),
    Command(
        name="translate",
        help="translate sentences with a pretrained or trained model",
        description=(
            "Load a pretrained translation preset by name, or the "
            "model.keras that `gatedkeras train translation` wrote, and "
            "print the translation of each sentence (given as arguments, "
            "or one per line on stdin), by beam search. `--list` prints "
            "the preset names."
        ),
        add_arguments=_add_translate_arguments,
        run=_run_translate,
    ),
    Command(
        name="transcribe",
        help="transcribe or classify wav files with a speech model",
        description=(
            "Load a pretrained speech preset by name, or the model.keras "
            "that `gatedkeras train speech` wrote, and print each wav "
            "file's transcript (CTC, greedy or by beam search) or, for a "
            "classifier, its label, one `FILE<TAB>OUTPUT` line per file. "
            "`--list` prints the preset names."
        ),
        add_arguments=_add_transcribe_arguments,
        run=_run_transcribe,
    ),
    Command(
        name="forecast",
        help="forecast the next steps of a series with a trained model",
        description=(
            "Load a pretrained time-series preset by name, or the "
            "model.keras that `gatedkeras train time-series` wrote, read "
            "the history from --data and print (or write with --output) "
            "the forecast of the steps after it as CSV, one row per step, "
            "indexed by time. `--list` prints the preset names."
        ),
        add_arguments=_add_forecast_arguments,
        run=_run_forecast,
    ),
    Command(
        name="lab",
        help="the cell lab: long-range tasks and gradient flow",
        description=(
            "Compare cells on generated long-range tasks (the adding "
            "problem, the copy task, a classification set by the first "
            "steps) within one training budget, cached and resumable; or "
            "measure how gradients flow back through time at "
            "initialisation. `gatedkeras lab <command> --help` lists the "
            "flags."
        ),
        add_arguments=lab_cli.add_arguments,
        run=lab_cli.run,
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
