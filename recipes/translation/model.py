"""The translation model: a bidirectional recurrent encoder and an
attention decoder with input feeding, on any registered cell, bundled with
its subword tokenizer.

The decoder follows Luong et al. 2015 ("Effective approaches to
attention-based neural machine translation", arXiv 1508.04025): at step t
the top decoder state h_t attends over the encoder outputs, the context c_t
and h_t make the attentional vector a_t = tanh(W_c [c_t; h_t]), a_t gives
the next token's logits and is fed to the first decoder layer at step t+1
("input feeding"). The attention score is additive, v^T tanh(W_q h_t +
W_k s) (Bahdanau et al. 2015, arXiv 1409.0473: `attention="bahdanau"`), or
multiplicative, h_t^T W s (Luong's "general": `attention="luong"`), as
OpenNMT's global attention offers both. With `attention=None` the decoder
is a plain recurrent stack started from the encoder's final states
(Sutskever et al. 2014, with Cho et al.'s bridge).
"""

import keras
from keras import ops

from gatedkeras import layers
from gatedkeras.data.subword import SubwordTokenizer
from gatedkeras.engine.bidirectional import wrap_bidirectional
from gatedkeras.engine.loop import recurrent_loop
from recipes import model_arguments
from recipes.model_arguments import check_model_arguments

ATTENTIONS = ("bahdanau", "luong", None)


@keras.saving.register_keras_serializable(package="gatedkeras")
class Translator(keras.Model):
    """An attention encoder-decoder that translates raw text.

    Source ids go through an embedding and `num_layers` recurrent layers of
    any cell in the `gatedkeras.layers` registry, bidirectional by default;
    the final states of encoder layer l start decoder layer l through a
    tanh bridge (states as wide as `units`; others, such as Clockwork's
    step counter, start at the cell's own initial state). The decoder runs
    the cell's step API in the engine's time loop: the first layer's input
    projection of all target embeddings is one matmul, and the fed-back
    attentional vector adds its own projection at each step. The shared
    subword tokenizer travels in the config, so `keras.saving.load_model`
    gives back a model that reads and writes text.

    Args:
        tokenizer: a `gatedkeras.data.subword.SubwordTokenizer`, or its
            config.
        cell: name, class or registered layer of the recurrent layers.
            Defaults to `"gru"`.
        attention: `"bahdanau"` (additive score), `"luong"` (multiplicative
            score) or `None`. Defaults to `"bahdanau"`.
        units: width of every recurrent layer (each direction). Defaults
            to `256`.
        num_layers: depth of the encoder and of the decoder. A layer that
            stacks itself (the Depth-Gated LSTM) is built once, this deep,
            unless `cell_options` set its own `num_layers`. Defaults to `1`.
        embedding_dim: width of the source and target embeddings; `None`
            uses `units`. Defaults to `256`.
        bidirectional: whether encoder layers read both ways. Defaults to
            `True`.
        dropout: dropout rate on the embeddings, between layers and on the
            attentional vector. Defaults to `0.0`.
        tie_embeddings: whether the softmax reuses the target embedding
            (Press and Wolf 2017, arXiv 1608.05859), through a linear
            projection when `units != embedding_dim`. Defaults to `True`.
        cell_options: dict of further arguments of every recurrent layer.
            Defaults to `None`.
        max_length: the longest sentence, in subword tokens, the model is
            trained on and translates; longer input is truncated with a
            warning. Defaults to `100`.
        source_language: code of the source language, for `evaluate` and
            the model card. Defaults to `None`.
        target_language: code of the target language. Defaults to `None`.
        seed: seed of the dropout masks drawn for the decoder's time loop.
            Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: tuple `(source_ids, target_ids)`, int tensors `(batch,
            source_steps)` and `(batch, target_steps)`, padded with the
            tokenizer's `pad_id` (0); `target_ids` starts with `start_id`
            (teacher forcing).
        training: Python boolean, whether dropout is active.

    Returns:
        Logits `(batch, target_steps, vocabulary_size)` in float32: at step
        t, the distribution of the token after `target_ids[:, t]`.

    >>> from gatedkeras.data.subword import SubwordTokenizer
    >>> from recipes.translation import Translator
    >>> tokenizer = SubwordTokenizer.train(
    ...     ["ein hund .", "a dog ."] * 20, vocabulary_size=30
    ... )
    >>> model = Translator(tokenizer, units=8, embedding_dim=8)
    >>> source = keras.ops.convert_to_tensor([[5, 6, 3]])
    >>> target = keras.ops.convert_to_tensor([[2, 7]])
    >>> logits = model((source, target))
    >>> tuple(logits.shape) == (1, 2, tokenizer.vocabulary_size)
    True
    """

    def __init__(
        self,
        tokenizer,
        cell="gru",
        attention="bahdanau",
        units=256,
        num_layers=1,
        embedding_dim=256,
        bidirectional=True,
        dropout=0.0,
        tie_embeddings=True,
        cell_options=None,
        max_length=100,
        source_language=None,
        target_language=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = SubwordTokenizer.from_config(tokenizer)
        if not isinstance(tokenizer, SubwordTokenizer):
            raise ValueError(
                "`tokenizer` must be a gatedkeras SubwordTokenizer or its "
                f"config. Received: tokenizer={tokenizer!r}"
            )
        if attention not in ATTENTIONS:
            raise ValueError(
                f"`attention` must be one of {ATTENTIONS}. Received: "
                f"attention={attention!r}"
            )
        spec = layers.spec(cell)
        check_model_arguments(
            dropout,
            embedding_dim,
            units=units,
            num_layers=num_layers,
            max_length=max_length,
        )
        cell_options = model_arguments.cell_options(cell_options)
        self.tokenizer = tokenizer
        self.cell = spec.name
        self.attention = attention
        self.units = units
        self.num_layers = num_layers
        self.embedding_dim = embedding_dim
        self.bidirectional = bool(bidirectional)
        self.dropout = dropout
        self.tie_embeddings = bool(tie_embeddings)
        self.cell_options = cell_options
        self.max_length = max_length
        self.source_language = source_language
        self.target_language = target_language
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

        width = embedding_dim or units
        vocabulary_size = tokenizer.vocabulary_size
        # The model's policy, not the global one at construction, so that
        # a saved model computes as it did in training wherever it loads.
        dtype = self.dtype_policy
        self.source_embedding = keras.layers.Embedding(
            vocabulary_size, width, name="source_embedding", dtype=dtype
        )
        embedding = (
            keras.layers.ReversibleEmbedding
            if self.tie_embeddings
            else keras.layers.Embedding
        )
        self.target_embedding = embedding(
            vocabulary_size, width, name="target_embedding", dtype=dtype
        )
        memory_width = units * (2 if self.bidirectional else 1)
        self.encoder_layers = []
        self.decoder_layers = []
        stack = model_arguments.stack_arguments(
            spec, units, num_layers, cell_options
        )
        for index, arguments in enumerate(stack):
            encoder_input = width if index == 0 else memory_width
            spec.validate(arguments, input_dim=encoder_input)
            encoder = spec.layer(
                return_sequences=True,
                return_state=True,
                name=f"encoder_{index}",
                dtype=dtype,
                **arguments,
            )
            if self.bidirectional:
                encoder = wrap_bidirectional(
                    encoder, name=f"bidirectional_encoder_{index}", dtype=dtype
                )
            self.encoder_layers.append(encoder)
            spec.validate(arguments, input_dim=width if index == 0 else units)
            self.decoder_layers.append(
                spec.layer(
                    return_sequences=True,
                    return_state=True,
                    name=f"decoder_{index}",
                    dtype=dtype,
                    **arguments,
                )
            )
        sizes = _state_sizes(self.decoder_layers[0].cell.state_size)
        # The bridge sets the states as wide as the hidden state; others
        # (Clockwork's step counter) start as the cell's own.
        self.bridges = [
            [
                keras.layers.Dense(
                    size,
                    activation="tanh",
                    name=f"bridge_{index}_{state}",
                    dtype=dtype,
                )
                if size == units
                else None
                for state, size in enumerate(sizes)
            ]
            for index in range(len(stack))
        ]
        self.dropout_layer = keras.layers.Dropout(
            dropout, name="dropout", dtype=dtype
        )
        if attention is not None:
            self.feed_projection = keras.layers.Dense(
                self.decoder_layers[0].cell.projection_size,
                use_bias=False,
                name="feed_projection",
                dtype=dtype,
            )
            self.key_projection = keras.layers.Dense(
                units, use_bias=False, name="key_projection", dtype=dtype
            )
            if attention == "bahdanau":
                self.query_projection = keras.layers.Dense(
                    units, use_bias=False, name="query_projection", dtype=dtype
                )
                self.score_vector = keras.layers.Dense(
                    1, use_bias=False, name="score_vector", dtype=dtype
                )
            self.combine = keras.layers.Dense(
                units,
                activation="tanh",
                use_bias=False,
                name="attentional",
                dtype=dtype,
            )
        self.projection = None
        self.head = None
        if self.tie_embeddings and width != units:
            self.projection = keras.layers.Dense(
                width, use_bias=False, name="projection", dtype=dtype
            )
        if not self.tie_embeddings:
            self.head = keras.layers.Dense(
                vocabulary_size, name="logits", dtype=dtype
            )

    # --- building ------------------------------------------------------

    def build(self, input_shape=None):
        width = self.embedding_dim or self.units
        memory_width = self.units * (2 if self.bidirectional else 1)
        self.source_embedding.build((None, None))
        self.target_embedding.build((None, None))
        for index in range(len(self.encoder_layers)):
            self.encoder_layers[index].build(
                (None, None, width if index == 0 else memory_width)
            )
            self.decoder_layers[index].build(
                (None, None, width if index == 0 else self.units)
            )
            final_width = self.units * (2 if self.bidirectional else 1)
            for bridge in self.bridges[index]:
                if bridge is not None:
                    bridge.build((None, final_width))
        if self.attention is not None:
            self.feed_projection.build((None, self.units))
            self.key_projection.build((None, None, memory_width))
            if self.attention == "bahdanau":
                self.query_projection.build((None, self.units))
                self.score_vector.build((None, None, self.units))
            self.combine.build((None, memory_width + self.units))
        if self.projection is not None:
            self.projection.build((None, None, self.units))
        if self.head is not None:
            self.head.build((None, None, self.units))
        self.built = True

    # --- the network -----------------------------------------------------

    def call(self, inputs, training=False):
        source_ids, target_ids = inputs
        memory = self.encode(source_ids, training=training)
        outputs = self.decode(target_ids, memory, training=training)
        return self.logits(self._drop(outputs, training))

    def encode(self, source_ids, training=False):
        """Runs the encoder.

        Args:
            source_ids: int tensor `(batch, source_steps)`, padded with 0.
            training: Python boolean, whether dropout is active.

        Returns:
            A dict: `memory` (the encoder outputs), `keys` (their
            projection for the attention score), `mask` (boolean, `False`
            at padding) and `states` (the decoder's initial states, a list
            per layer), the `memory` argument of `decode` and `step`.
        """
        mask = ops.not_equal(source_ids, self.tokenizer.pad_id)
        x = self._drop(self.source_embedding(source_ids), training)
        states = []
        for index, layer in enumerate(self.encoder_layers):
            outputs = layer(x, mask=mask, training=training)
            x, finals = outputs[0], list(outputs[1:])
            if index < len(self.encoder_layers) - 1:
                x = self._drop(x, training)
            states.append(self._bridge(index, finals))
        memory = {"memory": x, "mask": mask, "states": states}
        if self.attention is not None:
            memory["keys"] = self.key_projection(x)
        return memory

    def _bridge(self, index, finals):
        cell = self.decoder_layers[index].cell
        batch = ops.shape(finals[0])[0]
        initial = list(cell.get_initial_state(batch))
        count = len(initial)
        if self.bidirectional:
            finals = [
                ops.concatenate([forward, backward], axis=-1)
                for forward, backward in zip(finals[:count], finals[count:])
            ]
        return [
            bridge(final) if bridge is not None else start
            for bridge, final, start in zip(
                self.bridges[index], finals, initial
            )
        ]

    def decode(self, target_ids, memory, training=False):
        """Teacher-forced decoding of whole target sequences.

        Args:
            target_ids: int tensor `(batch, target_steps)` starting with the
                start id.
            memory: the dict from `encode`.
            training: Python boolean, whether dropout is active.

        Returns:
            The attentional vectors `(batch, target_steps, units)` (the
            top decoder layer's outputs when `attention=None`).
        """
        x = self._drop(self.target_embedding(target_ids), training)
        if self.attention is None:
            for index, layer in enumerate(self.decoder_layers):
                if index > 0:
                    x = self._drop(x, training)
                x = layer(
                    x, initial_state=memory["states"][index], training=training
                )[0]
            return x
        first = self.decoder_layers[0].cell
        projected = ops.transpose(
            first.project(x, training=training), (1, 0, 2)
        )
        steps, batch = ops.shape(projected)[0], ops.shape(projected)[1]
        inputs = [projected]
        # Random masks are drawn before the loop: a seed generator cannot
        # advance inside a JAX scan.
        dropout_masks = (
            training and self.dropout > 0 and len(self.decoder_layers) > 1
        )
        if dropout_masks:
            inputs.append(self._dropout_masks(steps, batch))
        zoneout = training and first.zoneout > 0
        if zoneout:
            inputs.extend(
                layer.cell.zoneout_mask(batch, steps)
                for layer in self.decoder_layers
            )
        step_functions = [
            layer.cell.step_function(states, training=training)
            for layer, states in zip(self.decoder_layers, memory["states"])
        ]
        flat_states, structure = _flatten(memory["states"])
        feed = ops.zeros((batch, self.units), dtype=self.compute_dtype)

        def step(inputs_t, carry):
            inputs_t = list(inputs_t)
            masks = inputs_t.pop(1) if dropout_masks else None
            zoneout_masks = inputs_t[1:] if zoneout else None
            states = _unflatten(carry[:-1], structure)
            attentional, _, new_states = self._step(
                inputs_t[0],
                carry[-1],
                states,
                memory,
                step_functions,
                layer_masks=masks,
                zoneout_masks=zoneout_masks,
            )
            return attentional, tuple(_flatten(new_states)[0]) + (attentional,)

        _, outputs, _ = recurrent_loop(
            step,
            tuple(inputs),
            tuple(flat_states) + (feed,),
            initial_output=feed,
        )
        # The cells cache their dropout masks until reset, as keras.layers.RNN
        # resets them after its loop: kept, a mask would be reused by the
        # next batch (and, traced on TensorFlow, read from a finished graph).
        for layer in self.decoder_layers:
            layer.cell.reset_dropout_mask()
            layer.cell.reset_recurrent_dropout_mask()
        return ops.transpose(outputs, (1, 0, 2))

    def _dropout_masks(self, steps, batch):
        # Between decoder layers; one block of `units` per upper layer.
        shape = (steps, batch, self.units * (len(self.decoder_layers) - 1))
        keep = keras.random.uniform(shape, seed=self.seed_generator) >= (
            self.dropout
        )
        return ops.cast(keep, self.compute_dtype) / (1.0 - self.dropout)

    def _step(
        self,
        projected,
        feed,
        states,
        memory,
        step_functions,
        layer_masks=None,
        zoneout_masks=None,
    ):
        x = projected + self.feed_projection(feed)
        new_states = []
        for index, layer in enumerate(self.decoder_layers):
            cell = layer.cell
            if index > 0:
                if layer_masks is not None:
                    block = layer_masks[
                        :, (index - 1) * self.units : index * self.units
                    ]
                    x = x * block
                x = cell.project(x)
            zoneout_mask = (
                None if zoneout_masks is None else zoneout_masks[index]
            )
            x, layer_states = step_functions[index](
                x, list(states[index]), zoneout_mask
            )
            new_states.append(list(layer_states))
        context, weights = self._attend(x, memory)
        attentional = self.combine(ops.concatenate([context, x], axis=-1))
        return attentional, weights, new_states

    def _attend(self, query, memory):
        keys = memory["keys"]
        if self.attention == "luong":
            scores = ops.einsum("bsu,bu->bs", keys, query)
        else:
            hidden = ops.tanh(
                keys + ops.expand_dims(self.query_projection(query), 1)
            )
            scores = ops.squeeze(self.score_vector(hidden), -1)
        scores = ops.where(
            memory["mask"],
            ops.cast(scores, "float32"),
            ops.cast(-1e9, "float32"),
        )
        weights = ops.softmax(scores, axis=-1)
        context = ops.einsum(
            "bs,bsm->bm",
            ops.cast(weights, memory["memory"].dtype),
            memory["memory"],
        )
        return context, weights

    def initial_state(self, memory):
        """The decoder state before the first `step`: the bridged encoder
        states of every layer and a zero attentional vector."""
        batch = ops.shape(memory["mask"])[0]
        feed = ops.zeros((batch, self.units), self.compute_dtype)
        return [[list(states) for states in memory["states"]], feed]

    def step(self, token_ids, state, memory):
        """One decoding step with explicit state (the engine's step API).

        Args:
            token_ids: int tensor `(batch,)`, the previous target token
                (the start id first).
            state: from `initial_state(memory)` at the first step, then
                the `state` a previous `step` returned.
            memory: the dict from `encode`.

        Returns:
            `(logits, state, attention)`: float32 logits `(batch,
            vocabulary_size)`, the new state, and the attention weights
            `(batch, source_steps)` in float32 (zeros when
            `attention=None`).
        """
        x = self.target_embedding(token_ids)
        states, feed = state
        if self.attention is None:
            new_states = []
            for layer, layer_states in zip(self.decoder_layers, states):
                x, layer_states = layer.cell(x, list(layer_states))
                new_states.append(list(layer_states))
            weights = ops.zeros(ops.shape(memory["mask"]), "float32")
            return self.logits(x), [new_states, feed], weights
        step_functions = [
            layer.cell.step_function(layer_states)
            for layer, layer_states in zip(self.decoder_layers, states)
        ]
        projected = self.decoder_layers[0].cell.project(x)
        attentional, weights, new_states = self._step(
            projected, feed, states, memory, step_functions
        )
        return self.logits(attentional), [new_states, attentional], weights

    def logits(self, x):
        """The float32 logits of decoder outputs or attentional vectors."""
        if self.projection is not None:
            x = self.projection(x)
        if self.tie_embeddings:
            logits = self.target_embedding(x, reverse=True)
        else:
            logits = self.head(x)
        return ops.cast(logits, "float32")

    def _drop(self, x, training):
        if not self.dropout:
            return x
        return self.dropout_layer(x, training=training)

    def get_config(self):
        config = {
            "tokenizer": self.tokenizer.get_config(),
            "cell": self.cell,
            "attention": self.attention,
            "units": self.units,
            "num_layers": self.num_layers,
            "embedding_dim": self.embedding_dim,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
            "cell_options": self.cell_options,
            "max_length": self.max_length,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def _state_sizes(state_size):
    return [state_size] if isinstance(state_size, int) else list(state_size)


def _flatten(states):
    flat, structure = [], []
    for layer_states in states:
        flat.extend(layer_states)
        structure.append(len(layer_states))
    return flat, structure


def _unflatten(flat, structure):
    states, start = [], 0
    for count in structure:
        states.append(list(flat[start : start + count]))
        start += count
    return states
