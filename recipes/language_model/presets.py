"""Pretrained language models shipped with the package.

Each preset is a `.keras` file in `presets/` (weights in float16 where that
keeps the metric, no optimizer state) with a model card `<name>.md`: the
exact command, data and split, measured metrics, training time and
hardware, and the data's licence. `presets()` lists them from the files,
so a new preset is two files and no code.
"""

import os

import keras

from recipes.language_model.model import LanguageModel

_FOLDER = os.path.join(os.path.dirname(__file__), "presets")


def presets():
    """Names of the shipped presets, sorted.

    >>> "shakespeare_char_lstm" in presets()  # doctest: +SKIP
    True
    """
    if not os.path.isdir(_FOLDER):
        return []
    return sorted(
        name[: -len(".keras")]
        for name in os.listdir(_FOLDER)
        if name.endswith(".keras") and not name.startswith(".")
    )


def from_preset(name):
    """Loads a pretrained `LanguageModel` by name, offline.

    Args:
        name: a name from `presets()`, or the path of a `.keras` file
            saved by `train()` (its `model.keras`).

    Returns:
        The `LanguageModel`, with its tokenizer, in the current dtype
        policy's variable dtype.

    >>> model = from_preset("shakespeare_char_lstm")  # doctest: +SKIP
    >>> generate(model, "ROMEO:", length=100, seed=0)  # doctest: +SKIP
    """
    if not isinstance(name, str):
        raise ValueError(
            f"`name` must be a preset name or a path. Received: name={name!r}"
        )
    path = name
    if not (name.endswith(".keras") and os.path.isfile(name)):
        if name not in presets():
            raise ValueError(
                f"Unknown language-model preset. Known presets: {presets()}; "
                "or pass the path of a .keras file. "
                f"Received: name={name!r}"
            )
        path = os.path.join(_FOLDER, name + ".keras")
    model = keras.saving.load_model(path, compile=False)
    if not isinstance(model, LanguageModel):
        raise ValueError(
            "The file does not hold a gatedkeras LanguageModel. Received: "
            f"{type(model).__name__} from {path!r}"
        )
    return model


def model_card(name):
    """The model card (Markdown) of a preset."""
    if name not in presets():
        raise ValueError(
            f"Unknown language-model preset. Known presets: {presets()}. "
            f"Received: name={name!r}"
        )
    with open(os.path.join(_FOLDER, name + ".md")) as f:
        return f.read()
