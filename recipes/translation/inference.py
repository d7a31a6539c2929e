"""Translating raw text, and scoring a model on a held-out split."""

import math
import warnings

import keras
import numpy as np
from keras import ops

from gatedkeras import metrics
from gatedkeras.data import parallel
from gatedkeras.engine.compiled import compile_function
from recipes.translation import batches
from recipes.translation import decoding

_BATCH = 64


def translate(
    model,
    sentences,
    beam_width=5,
    max_length=None,
    return_attention=False,
    length_penalty=1.0,
):
    """Translates sentences of raw text.

    Sentences are tokenised with the model's own subword tokenizer, sorted
    by length and decoded 64 at a time, greedily (`beam_width=1`) or by
    beam search with length normalisation (`recipes.translation.decoding`).
    A sentence longer than the model's `max_length` subword tokens is
    truncated to it, with a `UserWarning` naming it.

    Args:
        model: a `Translator`.
        sentences: a string, or a list of strings.
        beam_width: hypotheses kept per sentence; `1` is greedy decoding.
            Defaults to `5`.
        max_length: the most subword tokens per translation; `None` allows
            twice the source length plus 10, up to the model's
            `max_length`. Defaults to `None`.
        return_attention: whether to return the attention weights too.
            Defaults to `False`.
        length_penalty: beam search ranks finished translations by
            log-probability / length ** `length_penalty`. Defaults to
            `1.0`.

    Returns:
        The translations (a string for a string, else a list), and with
        `return_attention=True` also the attention weights: per sentence a
        float32 array `(target_tokens + 1, source_tokens + 1)` (the end
        tokens included; rows sum to 1; zeros for `attention=None`), with
        the tokens from `model.tokenizer.tokens`.

    >>> model = from_preset("multi30k_de_en_gru")  # doctest: +SKIP
    >>> translate(model, "Ein Mann fährt Fahrrad.")  # doctest: +SKIP
    'A man is riding a bike.'
    """
    single = isinstance(sentences, str)
    if single:
        sentences = [sentences]
    sentences = list(sentences)
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise ValueError(
                "Expected sentences as strings. Received: "
                f"sentences[{index}]={sentence!r}"
            )
    if isinstance(beam_width, bool) or not isinstance(beam_width, int):
        raise ValueError(
            f"`beam_width` must be a positive integer. Received: "
            f"beam_width={beam_width!r}"
        )
    if beam_width < 1:
        raise ValueError(
            f"`beam_width` must be a positive integer. Received: "
            f"beam_width={beam_width!r}"
        )
    if max_length is not None and (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or max_length < 1
    ):
        raise ValueError(
            "`max_length` must be a positive integer or None. Received: "
            f"max_length={max_length!r}"
        )
    tokenizer = model.tokenizer
    sources = tokenizer.encode(sentences) if sentences else []
    too_long = [
        i for i, ids in enumerate(sources) if len(ids) > model.max_length
    ]
    if too_long:
        warnings.warn(
            f"{len(too_long)} sentence(s) longer than the model's max_length "
            f"= {model.max_length} subword tokens were truncated to it "
            f"(indices {too_long[:10]}{'...' if len(too_long) > 10 else ''}).",
            stacklevel=2,
        )
    sources = [
        np.append(ids[: model.max_length], tokenizer.end_id) for ids in sources
    ]
    order = np.argsort([len(s) for s in sources], kind="stable")
    hypotheses = [None] * len(sources)
    for start in range(0, len(order), _BATCH):
        rows = order[start : start + _BATCH]
        # Up to a power of two rows (copies of the last, which then end
        # with it) and a multiple of 8 steps: few shapes to compile.
        rows = list(rows)
        padded = rows + rows[-1:] * (_power_of_two(len(rows)) - len(rows))
        source_ids = batches.pad([sources[i] for i in padded], tokenizer.pad_id)
        limit = max_length or min(
            model.max_length + 1, 2 * source_ids.shape[1] + 10
        )
        if beam_width == 1:
            found = decoding.greedy(model, source_ids, limit)
        else:
            found = decoding.beam_search(
                model, source_ids, beam_width, limit, length_penalty
            )
        for row, hypothesis in zip(rows, found):
            hypotheses[row] = hypothesis
    translations = [tokenizer.decode(h.ids) for h in hypotheses]
    if single:
        translations = translations[0]
    if not return_attention:
        return translations
    attention = [
        h.attention[:, : len(source)].astype("float32")
        for h, source in zip(hypotheses, sources)
    ]
    return translations, attention[0] if single else attention


def _power_of_two(count):
    return 1 << (count - 1).bit_length()


def evaluate(model, data="synthetic", split="test", beam_width=5, limit=None):
    """Scores a model on a split of a parallel corpus.

    Translates every source sentence of the split (beam search, or greedy
    for `beam_width=1`) and scores the detokenised output against the
    references with sacreBLEU, and the reference translations' likelihood
    under the model (teacher forcing, no label smoothing).

    Args:
        model: a `Translator`.
        data: a `data=` source as `train()` takes; a folder is read in the
            model's `source_language` and `target_language`. Defaults to
            `"synthetic"`.
        split: `"valid"` or `"test"`. Defaults to `"test"`.
        beam_width: the beam; `1` decodes greedily. Defaults to `5`.
        limit: score only the first `limit` pairs. Defaults to `None`
            (all).

    Returns:
        A dict: `bleu` (sacreBLEU, detokenised and cased),
        `bleu_tokenized` (lower-cased and split at punctuation, comparable
        with tokenised BLEU figures), `chrf`, `loss` (nats per target
        token, end tokens included), `perplexity` and `sentences`.

    >>> evaluate(model, "data/multi30k", split="test")  # doctest: +SKIP
    {'bleu': 35.2, 'bleu_tokenized': 36.9, 'chrf': 60.1, ...}
    """
    if split not in ("valid", "test"):
        raise ValueError(
            f"`split` must be 'valid' or 'test'. Received: split={split!r}"
        )
    splits = parallel.load(
        data,
        source_language=model.source_language,
        target_language=model.target_language,
    )
    pairs = getattr(splits, split)
    if pairs is None:
        raise ValueError(
            f"The data has no {split} split. Received: data={data!r}"
        )
    return score_pairs(model, pairs, beam_width=beam_width, limit=limit)


def score_pairs(model, pairs, beam_width=5, limit=None, length_penalty=1.0):
    """`evaluate` on a `gatedkeras.data.parallel.Pairs`."""
    sources, references = list(pairs.sources), list(pairs.targets)
    if limit is not None:
        sources, references = sources[:limit], references[:limit]
    hypotheses = translate(
        model,
        sources,
        beam_width=beam_width,
        length_penalty=length_penalty,
    )
    loss = reference_loss(model, sources, references)
    return {
        "bleu": metrics.bleu(hypotheses, references),
        "bleu_tokenized": metrics.bleu_tokenized(hypotheses, references),
        "chrf": metrics.chrf(hypotheses, references),
        "loss": round(loss, 5),
        "perplexity": round(math.exp(min(loss, 700.0)), 3),
        "sentences": len(sources),
    }


def reference_loss(model, sources, references):
    """Mean negative log-likelihood, in nats per target token (the end
    token included), of the references given the sources."""
    tokenizer = model.tokenizer
    source_ids = tokenizer.encode(sources)
    target_ids = tokenizer.encode(references)
    run = _likelihood_function(model)
    order = np.argsort(
        [len(s) + len(t) for s, t in zip(source_ids, target_ids)]
    )
    total, count = 0.0, 0
    for start in range(0, len(order), _BATCH):
        rows = order[start : start + _BATCH]
        source = batches.pad(
            [
                np.append(source_ids[i][: model.max_length], tokenizer.end_id)
                for i in rows
            ],
            tokenizer.pad_id,
        )
        target_in = batches.pad(
            [
                np.concatenate([[tokenizer.start_id], target_ids[i]])
                for i in rows
            ],
            tokenizer.pad_id,
        )
        target_out = batches.pad(
            [np.append(target_ids[i], tokenizer.end_id) for i in rows],
            tokenizer.pad_id,
        )
        nll, tokens = run(source, target_in, target_out)
        total += float(ops.convert_to_numpy(nll))
        count += int(ops.convert_to_numpy(tokens))
    return total / max(count, 1)


def _likelihood_function(model):
    fn = getattr(model, "_likelihood_function", None)
    if fn is None:
        pad_id = model.tokenizer.pad_id

        def likelihood(source, target_in, target_out):
            logits = model((source, target_in))
            nll = keras.losses.sparse_categorical_crossentropy(
                target_out, logits, from_logits=True
            )
            weights = ops.cast(ops.not_equal(target_out, pad_id), "float32")
            return ops.sum(nll * weights), ops.sum(weights)

        fn = compile_function(likelihood, model)
        model._likelihood_function = fn
    return fn
