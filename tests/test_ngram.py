import math
import time

import pytest

from gatedkeras.data import synthetic_text
from gatedkeras.ngram import NgramModel

TINY = "abracadabra arbadacarba"
OOV = "#"


def reference_prob(train, order, discount, token, context):
    """Interpolated Kneser-Ney written out from its definition, by brute
    force: every count is a fresh scan of the training sequence."""
    train = tuple(train)
    vocabulary = sorted(set(train))

    def occurrences(gram):
        return [
            i
            for i in range(len(train) - len(gram) + 1)
            if train[i : i + len(gram)] == gram
        ]

    def a(gram, top):
        if top:
            return len(occurrences(gram))
        return len({train[i - 1] for i in occurrences(gram) if i > 0})

    def p(token, history, top):
        if history is None:
            return 1 / (len(vocabulary) + 1)
        lower = p(token, history[1:] if history else None, False)
        follows = [a(history + (v,), top) for v in vocabulary]
        if sum(follows) == 0:
            return lower
        seen = sum(1 for count in follows if count > 0)
        return (
            max(a(history + (token,), top) - discount, 0) / sum(follows)
            + discount * seen / sum(follows) * lower
        )

    history = tuple(context)[-(order - 1) :] if order > 1 else ()
    return p(token, history, len(history) + 1 == order)


CONTEXTS = ["", "a", "ab", "xab", "ra", "r ", "zz", "a#", "#b", "dab", "bra"]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_brute_force_reference(order):
    model = NgramModel(order=order, discount=0.6).fit(TINY)
    for context in CONTEXTS:
        for token in sorted(set(TINY)) + [OOV]:
            expected = reference_prob(TINY, order, 0.6, token, context)
            assert math.exp(model.log_prob(token, context)) == pytest.approx(
                expected, rel=1e-12
            ), (token, context)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_probabilities_sum_to_one_over_vocabulary_and_oov(order):
    model = NgramModel(order=order).fit(TINY)
    for context in CONTEXTS + [list("cad"), ("b", "r")]:
        total = sum(
            math.exp(model.log_prob(token, context))
            for token in sorted(model.vocabulary) + [OOV]
        )
        assert total == pytest.approx(1.0, abs=1e-12), context


def test_word_tokens_sum_to_one():
    words = synthetic_text.generate(200, seed=1)
    tokens = " ".join(words).split(" ")
    model = NgramModel(order=3).fit(tokens)
    for context in [(), ("the",), ("the", "dog"), ("that", "the"), ("x", "y")]:
        total = sum(
            math.exp(model.log_prob(token, context))
            for token in sorted(model.vocabulary) + ["<unk>"]
        )
        assert total == pytest.approx(1.0, abs=1e-12)


def test_order_one_is_the_smoothed_unigram():
    model = NgramModel(order=1, discount=0.75).fit(TINY)
    size = len(TINY)
    vocabulary = set(TINY)
    for token in sorted(vocabulary) + [OOV]:
        expected = max(TINY.count(token) - 0.75, 0) / size + (
            0.75 * len(vocabulary) / size / (len(vocabulary) + 1)
        )
        # The context is ignored at order 1.
        for context in ["", "abra"]:
            assert math.exp(model.log_prob(token, context)) == pytest.approx(
                expected, rel=1e-12
            )


def test_oov_is_finite():
    model = NgramModel(order=3).fit(TINY)
    for context in ["ab", "##", ""]:
        value = model.log_prob(OOV, context)
        assert math.isfinite(value) and value < 0
    assert math.isfinite(model.cross_entropy("zzz###"))


def test_cross_entropy_uses_shorter_contexts_first():
    model = NgramModel(order=3).fit(TINY)
    sequence = "cabra"
    expected = -sum(
        model.log_prob(token, sequence[max(0, i - 2) : i])
        for i, token in enumerate(sequence)
    ) / len(sequence)
    assert model.cross_entropy(sequence) == pytest.approx(expected)
    assert model.perplexity(sequence) == pytest.approx(math.exp(expected))
    assert model.cross_entropy(list(sequence)) == model.cross_entropy(sequence)


def test_higher_order_is_better_on_synthetic_text():
    train = synthetic_text.corpus("train")
    valid = synthetic_text.corpus("valid")
    start = time.perf_counter()
    trigram = NgramModel(order=3).fit(train)
    assert time.perf_counter() - start < 5
    start = time.perf_counter()
    trigram_entropy = trigram.cross_entropy(valid)
    assert time.perf_counter() - start < 5
    unigram_entropy = NgramModel(order=1).fit(train).cross_entropy(valid)
    assert trigram_entropy < unigram_entropy - 1
    # Train fits at least as well as held-out text.
    assert trigram.cross_entropy(train[:30_000]) <= trigram_entropy


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"order": 0}, "order"),
        ({"order": 2.0}, "order"),
        ({"order": True}, "order"),
        ({"discount": 0}, "discount"),
        ({"discount": 1}, "discount"),
        ({"discount": -0.5}, "discount"),
        ({"discount": "0.5"}, "discount"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        NgramModel(**kwargs)


def test_empty_sequences_raise():
    with pytest.raises(ValueError, match="non-empty"):
        NgramModel().fit("")
    with pytest.raises(ValueError, match="non-empty"):
        NgramModel().fit(TINY).cross_entropy([])


def test_scoring_before_fit_raises():
    model = NgramModel()
    for score in (
        lambda: model.log_prob("a", "b"),
        lambda: model.cross_entropy("ab"),
        lambda: model.perplexity("ab"),
    ):
        with pytest.raises(ValueError, match="not fitted"):
            score()
