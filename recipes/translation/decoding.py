"""Greedy and beam-search decoding over the model's compiled step.

Both encode a batch of sentences once, then call one compiled decoder step
per output token with the state carried (never re-running the prefix).
The step is compiled once per model and input shape
(`gatedkeras.engine.compiled`); sources are padded to multiples of 8, so
a handful of shapes serve every call.

Beam search keeps `beam_width` hypotheses per sentence. At each step every
live hypothesis is extended by every token; of the `2 * beam_width` best
extensions per sentence, those ending in the end token are finished and
the best `beam_width` others stay live. A sentence is done once it has
`beam_width` finished hypotheses, or at `max_length`; the finished one with
the best log-probability / length ** `length_penalty` wins (Wu et al.
2016, arXiv 1609.08144, use a smoothed variant). keras-hub's `BeamSampler`
scores by summed log-probabilities without that normalisation and works on
a fixed-length prompt buffer, so it does not fit an encoder-decoder with
a carried state.
"""

import dataclasses

import numpy as np
from keras import ops

from gatedkeras.engine.compiled import compile_function


@dataclasses.dataclass
class Hypothesis:
    """A decoded sentence.

    Args:
        ids: the target token ids, without start or end ids.
        score: its log-probability, end token included.
        attention: float32 `(steps, source_steps)`, the attention weights
            of every output step over the source tokens: `len(ids) + 1`
            steps (the end token's too), or `len(ids)` for a hypothesis cut
            at `max_length`.
    """

    ids: list
    score: float
    attention: np.ndarray


def _functions(model):
    functions = getattr(model, "_decoding_functions", None)
    if functions is None:

        def encode(source_ids):
            memory = model.encode(source_ids)
            return memory, model.initial_state(memory)

        functions = (
            compile_function(encode, model),
            compile_function(model.step, model),
        )
        model._decoding_functions = functions
    return functions


def greedy(model, source_ids, max_length):
    """The most likely token at every step, for a batch of sources.

    Args:
        model: a `Translator`.
        source_ids: int32 array `(batch, source_steps)`, padded.
        max_length: the most tokens to emit per sentence, end included.

    Returns:
        A list of `Hypothesis`, one per row.
    """
    encode, step = _functions(model)
    end = model.tokenizer.end_id
    memory, state = encode(source_ids)
    batch = len(source_ids)
    tokens = np.full((batch,), model.tokenizer.start_id, "int32")
    ids = [[] for _ in range(batch)]
    scores = np.zeros(batch)
    weights = []
    done = np.zeros(batch, bool)
    for _ in range(max_length):
        logits, state, attention = step(tokens, state, memory)
        log_probs = _log_softmax(ops.convert_to_numpy(logits))
        weights.append(ops.convert_to_numpy(attention))
        tokens = log_probs.argmax(-1).astype("int32")
        for row in np.flatnonzero(~done):
            scores[row] += log_probs[row, tokens[row]]
            if tokens[row] == end:
                done[row] = True
            else:
                ids[row].append(int(tokens[row]))
        if done.all():
            break
    weights = np.stack(weights, 1)
    return [
        Hypothesis(
            ids[row], float(scores[row]), weights[row, : len(ids[row]) + 1]
        )
        for row in range(batch)
    ]


def beam_search(model, source_ids, beam_width, max_length, length_penalty=1.0):
    """Beam search with length normalisation, for a batch of sources.

    Args:
        model: a `Translator`.
        source_ids: int32 array `(batch, source_steps)`, padded.
        beam_width: hypotheses kept per sentence.
        max_length: the most tokens per hypothesis, end included.
        length_penalty: finished hypotheses rank by score / length **
            `length_penalty`. Defaults to `1.0`.

    Returns:
        A list of `Hypothesis`, the best of each row.
    """
    encode, step = _functions(model)
    end = model.tokenizer.end_id
    batch, width = len(source_ids), beam_width
    # Every row's sentence repeated `width` times: row b * width + k.
    memory, state = encode(np.repeat(source_ids, width, axis=0))
    tokens = np.full((batch * width,), model.tokenizer.start_id, "int32")
    scores = np.full((batch, width), -np.inf)
    scores[:, 0] = 0.0  # at first all beams are the same: expand one
    history = np.zeros((batch * width, 0), "int32")
    weights = None
    finished = [[] for _ in range(batch)]
    done = np.zeros(batch, bool)
    for length in range(1, max_length + 1):
        logits, state, attention = step(tokens, state, memory)
        log_probs = _log_softmax(ops.convert_to_numpy(logits))
        attention = ops.convert_to_numpy(attention)[:, None, :]
        weights = (
            attention
            if weights is None
            else np.concatenate([weights, attention], 1)
        )
        vocabulary = log_probs.shape[-1]
        total = scores[:, :, None] + log_probs.reshape(batch, width, vocabulary)
        total = total.reshape(batch, width * vocabulary)
        best = np.argsort(-total, axis=1, kind="stable")[:, : 2 * width]
        parents = np.zeros((batch, width), "int64")
        next_tokens = np.full((batch, width), end, "int32")
        next_scores = np.full((batch, width), -np.inf)
        for row in range(batch):
            if done[row]:
                continue
            live = 0
            for rank, flat in enumerate(best[row]):
                beam, token = divmod(int(flat), vocabulary)
                score = total[row, flat]
                if not np.isfinite(score):
                    break
                source = row * width + beam
                if token == end:
                    # Only an end among the best `width` finishes a
                    # hypothesis, as beam search without the spare
                    # candidates would see it.
                    if rank < width:
                        finished[row].append(
                            Hypothesis(
                                history[source].tolist(),
                                float(score),
                                weights[source, :length].copy(),
                            )
                        )
                    continue
                parents[row, live] = beam
                next_tokens[row, live] = token
                next_scores[row, live] = score
                live += 1
                if live == width:
                    break
            if len(finished[row]) >= width or live == 0:
                done[row] = True
        if done.all():
            break
        sources = (np.arange(batch)[:, None] * width + parents).reshape(-1)
        history = np.concatenate(
            [history[sources], next_tokens.reshape(-1, 1)], axis=1
        )
        weights = weights[sources]
        tokens = next_tokens.reshape(-1)
        scores = np.where(done[:, None], -np.inf, next_scores)
        state = _gather(state, sources)
    results = []
    for row in range(batch):
        candidates = list(finished[row])
        if not candidates:
            # `max_length` reached before an end: the live hypotheses.
            for beam in range(width):
                if np.isfinite(scores[row, beam]):
                    source = row * width + beam
                    candidates.append(
                        Hypothesis(
                            history[source].tolist(),
                            float(scores[row, beam]),
                            weights[source].copy(),
                        )
                    )
        results.append(
            max(
                candidates,
                key=lambda h: h.score / (len(h.ids) + 1) ** length_penalty,
            )
        )
    return results


def _gather(state, indices):
    indices = ops.convert_to_tensor(indices.astype("int32"))

    def gather(value):
        if isinstance(value, (list, tuple)):
            return [gather(v) for v in value]
        return ops.take(value, indices, axis=0)

    return gather(state)


def _log_softmax(logits):
    logits = logits.astype("float64")
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
