"""What the synthetic corpus lets us check beyond the loss.

Two yardsticks for a model trained on `data="synthetic"`:

- `ngram_baseline`: an interpolated Kneser-Ney n-gram model fitted on the
  same training text. A recurrent model that does not beat it has not
  learned more than local statistics.
- `agreement_accuracy`: for sentence prefixes that end just before the
  main verb, with `depth` relative clauses between the subject and the verb
  and a nearest noun of the opposite number, how often the model gives the
  verb form that agrees with the subject the higher probability (the probe
  of Linzen et al. 2016, arXiv 1611.01368). An n-gram model sits at chance
  (0.5): the subject is out of its reach.
"""

import numpy as np
from keras import ops

from gatedkeras.data import synthetic_text
from gatedkeras.data import tokenizer as tokenizer_lib
from gatedkeras.ngram import NgramModel


def ngram_baseline(splits, level, order=3):
    """Validation cross-entropy (nats per token) of an n-gram model.

    Args:
        splits: a `gatedkeras.data.text.TextSplits`.
        level: `"char"` or `"word"`.
        order: the n-gram order. Defaults to `3`.
    """
    train = tokenizer_lib.split(splits.train, level)
    valid = tokenizer_lib.split(splits.valid, level)
    return NgramModel(order=order).fit(train).cross_entropy(valid)


def agreement_accuracy(model, depths=(0, 1, 2), num_probes=200, seed=1):
    """Fraction of agreement probes where the agreeing verb is likelier.

    Args:
        model: a `LanguageModel` trained on the synthetic corpus.
        depths: nesting depths to probe. Defaults to `(0, 1, 2)`.
        num_probes: probes per depth. Defaults to `200`.
        seed: seed of the probes (the corpus uses seed 0's own streams).
            Defaults to `1`.

    Returns:
        `{depth: accuracy}`.
    """
    result = {}
    for depth in depths:
        probes = synthetic_text.agreement_probes(num_probes, depth, seed)
        prefixes = ["\n" + probe.prefix for probe in probes]
        correct = continuation_log_probs(
            model, prefixes, [p.correct + " " for p in probes]
        )
        wrong = continuation_log_probs(
            model, prefixes, [p.wrong + " " for p in probes]
        )
        result[depth] = float(np.mean(correct > wrong))
    return result


def continuation_log_probs(model, prefixes, continuations):
    """log p(continuation | prefix) for each pair, in one batched call."""
    tokenizer = model.tokenizer
    rows, spans = [], []
    for prefix, continuation in zip(prefixes, continuations):
        head = tokenizer.encode(prefix)
        tail = tokenizer.encode(continuation)
        rows.append(np.concatenate([head, tail]))
        spans.append((len(head), len(head) + len(tail)))
    width = max(len(row) for row in rows)
    batch = np.zeros((len(rows), width), "int32")
    for i, row in enumerate(rows):
        batch[i, : len(row)] = row
    logits = ops.convert_to_numpy(model(batch)).astype("float64")
    log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    scores = np.zeros(len(rows))
    for i, (start, stop) in enumerate(spans):
        positions = np.arange(start, stop)
        scores[i] = log_probs[i, positions - 1, batch[i, positions]].sum()
    return scores
