"""The language model: embedding, a stack of any registered recurrent
layer, and a softmax over the vocabulary, bundled with its tokenizer."""

import keras
from keras import ops

from gatedkeras import layers
from gatedkeras.data.tokenizer import Tokenizer
from recipes import model_arguments
from recipes.model_arguments import check_model_arguments


@keras.saving.register_keras_serializable(package="gatedkeras")
class LanguageModel(keras.Model):
    """A recurrent language model that reads and writes raw text.

    Token ids go through an embedding, `num_layers` recurrent layers of
    any cell in the `gatedkeras.layers` registry (dropout between them, as
    Zaremba et al. 2014, arXiv 1409.2329) and a softmax over the
    vocabulary, optionally tied to the embedding (Press and Wolf 2017,
    arXiv 1608.05859). The tokenizer travels in the config, so
    `keras.saving.load_model` gives back a model that reads text.

    Args:
        tokenizer: a `gatedkeras.data.tokenizer.Tokenizer`, or its config.
        cell: name, class or registered layer of the recurrent layers.
            Defaults to `"lstm"`.
        units: width of every recurrent layer. Defaults to `512`.
        num_layers: depth of the recurrent stack. A layer that stacks
            itself (the Depth-Gated LSTM) is built once, this deep, unless
            `cell_options` set its own `num_layers`. Defaults to `2`.
        embedding_dim: width of the token embedding; `None` uses `units`.
            Defaults to `None`.
        dropout: dropout rate on the embedding, between layers and before
            the softmax. Defaults to `0.0`.
        tie_weights: whether the softmax reuses the embedding matrix
            (with a linear projection when `units != embedding_dim`).
            Defaults to `False`.
        cell_options: dict of further arguments of every recurrent layer
            (`{"layer_norm": True, "zoneout": 0.1}`). Defaults to `None`.
        init_scale: if set, every weight starts uniform in
            `[-init_scale, init_scale]`, as in Zaremba et al. Defaults to
            `None` (each layer's own initialisers).
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        token_ids: int tensor `(batch, timesteps)`.
        initial_state: optional list, per recurrent layer, of its states.
        training: Python boolean, whether dropout is active.
        return_state: whether to return the final states too.

    Returns:
        Logits `(batch, timesteps, vocabulary_size)` in float32, and with
        `return_state=True` the list of final states per layer.

    >>> from gatedkeras.data.tokenizer import Tokenizer
    >>> from recipes.language_model import LanguageModel
    >>> tokenizer = Tokenizer.adapt("hello world\\n", level="char")
    >>> model = LanguageModel(tokenizer, cell="gru", units=8, num_layers=1)
    >>> ids = keras.ops.convert_to_tensor([tokenizer.encode("hello")])
    >>> tuple(model(ids).shape)
    (1, 5, 10)
    """

    def __init__(
        self,
        tokenizer,
        cell="lstm",
        units=512,
        num_layers=2,
        embedding_dim=None,
        dropout=0.0,
        tie_weights=False,
        cell_options=None,
        init_scale=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = Tokenizer.from_config(tokenizer)
        if not isinstance(tokenizer, Tokenizer):
            raise ValueError(
                "`tokenizer` must be a gatedkeras Tokenizer or its config. "
                f"Received: tokenizer={tokenizer!r}"
            )
        spec = layers.spec(cell)
        check_model_arguments(
            dropout, embedding_dim, units=units, num_layers=num_layers
        )
        cell_options = model_arguments.cell_options(cell_options)
        self.tokenizer = tokenizer
        self.cell = spec.name
        self.units = units
        self.num_layers = num_layers
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.tie_weights = bool(tie_weights)
        self.cell_options = cell_options
        self.init_scale = init_scale

        width = embedding_dim or units
        vocabulary_size = tokenizer.vocabulary_size
        # The model's policy, not the global one at construction, so that
        # a saved model computes as it did in training wherever it loads.
        dtype = self.dtype_policy
        initializer = (
            keras.initializers.RandomUniform(-init_scale, init_scale)
            if init_scale
            else None
        )
        embedding_options = {"dtype": dtype}
        if initializer is not None:
            embedding_options["embeddings_initializer"] = initializer
        if self.tie_weights:
            self.embedding = keras.layers.ReversibleEmbedding(
                vocabulary_size, width, name="embedding", **embedding_options
            )
        else:
            self.embedding = keras.layers.Embedding(
                vocabulary_size, width, name="embedding", **embedding_options
            )
        self.recurrent_layers = []
        stack = model_arguments.stack_arguments(
            spec, units, num_layers, cell_options
        )
        for index, arguments in enumerate(stack):
            spec.validate(arguments, input_dim=width if index == 0 else units)
            self.recurrent_layers.append(
                spec.layer(
                    return_sequences=True,
                    return_state=True,
                    name=f"{spec.name}_{index}",
                    dtype=dtype,
                    **arguments,
                )
            )
        self.dropout_layer = (
            keras.layers.Dropout(dropout, name="dropout", dtype=dtype)
            if dropout
            else None
        )
        self.projection = None
        self.head = None
        if self.tie_weights and width != units:
            self.projection = keras.layers.Dense(
                width, use_bias=False, name="projection", dtype=dtype
            )
        if not self.tie_weights:
            dense_options = {"dtype": dtype}
            if initializer is not None:
                dense_options["kernel_initializer"] = initializer
                dense_options["bias_initializer"] = initializer
            self.head = keras.layers.Dense(
                vocabulary_size, name="logits", **dense_options
            )

    def build(self, input_shape=None):
        width = self.embedding_dim or self.units
        self.embedding.build((None, None))
        for index, layer in enumerate(self.recurrent_layers):
            layer.build((None, None, width if index == 0 else self.units))
        if self.projection is not None:
            self.projection.build((None, None, self.units))
        if self.head is not None:
            self.head.build((None, None, self.units))
        if self.init_scale:
            # Zaremba et al.'s uniform start for the recurrent weights too.
            scale = self.init_scale
            for layer in self.recurrent_layers:
                for variable in layer.trainable_variables:
                    variable.assign(
                        keras.random.uniform(
                            variable.shape, -scale, scale, dtype=variable.dtype
                        )
                    )
        self.built = True

    def call(
        self, token_ids, initial_state=None, training=False, return_state=False
    ):
        x = self._drop(self.embedding(token_ids), training)
        final_states = []
        for index, layer in enumerate(self.recurrent_layers):
            states = None if initial_state is None else initial_state[index]
            outputs = layer(x, initial_state=states, training=training)
            x = self._drop(outputs[0], training)
            final_states.append(list(outputs[1:]))
        logits = self._logits(x)
        return (logits, final_states) if return_state else logits

    def step(self, token_ids, states):
        """One token per row, with explicit states (the engine's step API).

        Args:
            token_ids: int tensor `(batch,)`.
            states: list, per recurrent layer, of its state tensors, as
                from `get_initial_state` or a previous `step`.

        Returns:
            `(logits, new_states)`: float32 `(batch, vocabulary_size)` and
            the states in the same structure.
        """
        x = self.embedding(token_ids)
        new_states = []
        for layer, layer_states in zip(self.recurrent_layers, states):
            x, layer_states = layer.cell(x, list(layer_states), training=False)
            new_states.append(list(layer_states))
        return self._logits(x), new_states

    def get_initial_state(self, batch_size):
        """Zero states for `batch_size` rows, per recurrent layer."""
        return [
            list(layer.cell.get_initial_state(batch_size))
            for layer in self.recurrent_layers
        ]

    def _drop(self, x, training):
        if self.dropout_layer is None:
            return x
        return self.dropout_layer(x, training=training)

    def _logits(self, x):
        if self.projection is not None:
            x = self.projection(x)
        if self.tie_weights:
            logits = self.embedding(x, reverse=True)
        else:
            logits = self.head(x)
        return ops.cast(logits, "float32")

    def get_config(self):
        config = {
            "tokenizer": self.tokenizer.get_config(),
            "cell": self.cell,
            "units": self.units,
            "num_layers": self.num_layers,
            "embedding_dim": self.embedding_dim,
            "dropout": self.dropout,
            "tie_weights": self.tie_weights,
            "cell_options": self.cell_options,
            "init_scale": self.init_scale,
        }
        return {**super().get_config(), **config}
