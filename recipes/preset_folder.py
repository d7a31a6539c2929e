"""A folder of pretrained models shipped with a recipe.

Each preset is a `.keras` file (no optimizer state) with a model card
`<name>.md` beside it: the exact command, data and split, measured
metrics, training time and hardware, and the data's licence. The names
come from the files, so a new preset is two files and no code.
"""

import os

import keras


class PresetFolder:
    """The presets of one recipe.

    Args:
        folder: the directory holding `<name>.keras` and `<name>.md`.
        model_class: the class every preset must load as, or a tuple of
            the classes it may load as.
        kind: what the presets are, for messages (`"language-model"`).
    """

    def __init__(self, folder, model_class, kind):
        self.folder = folder
        self.model_class = model_class
        self.kind = kind

    def names(self):
        """Names of the presets, sorted."""
        if not os.path.isdir(self.folder):
            return []
        return sorted(
            name[: -len(".keras")]
            for name in os.listdir(self.folder)
            if name.endswith(".keras") and not name.startswith(".")
        )

    def load(self, name):
        """The model of a preset name, or of the path of a `.keras` file
        that the recipe's `train()` wrote."""
        if not isinstance(name, str):
            raise ValueError(
                "`name` must be a preset name or a path. Received: "
                f"name={name!r}"
            )
        path = name
        if not (name.endswith(".keras") and os.path.isfile(name)):
            self._check(name, " or pass the path of a .keras file.")
            path = os.path.join(self.folder, name + ".keras")
        model = keras.saving.load_model(path, compile=False)
        if not isinstance(model, self.model_class):
            classes = (
                self.model_class
                if isinstance(self.model_class, tuple)
                else (self.model_class,)
            )
            raise ValueError(
                f"The file does not hold a gatedkeras "
                f"{' or '.join(c.__name__ for c in classes)}. Received: "
                f"{type(model).__name__} from {path!r}"
            )
        return model

    def model_card(self, name):
        """The model card (Markdown) of a preset."""
        self._check(name, "")
        with open(os.path.join(self.folder, name + ".md")) as f:
            return f.read()

    def _check(self, name, alternative):
        if name not in self.names():
            raise ValueError(
                f"Unknown {self.kind} preset. Known presets: "
                f"{self.names()};{alternative} Received: name={name!r}"
            )
