import collections
import time

import pytest

from gatedkeras.data import synthetic_text

# An independent recogniser of the grammar in the module docstring, built on
# the module's lexicon only. Each function returns every way its phrase can
# end from position i, so no parse is missed.
NOUN = {
    form: number
    for pair in synthetic_text._NOUNS
    for number, form in enumerate(pair)
}
INTRANSITIVE = {
    form: number
    for pair in synthetic_text._INTRANSITIVE_VERBS
    for number, form in enumerate(pair)
}
TRANSITIVE = {
    form: number
    for pair in synthetic_text._TRANSITIVE_VERBS
    for number, form in enumerate(pair)
}
DETERMINER = {synthetic_text._SHARED_DETERMINER: {0, 1}}
for number, forms in enumerate(synthetic_text._DETERMINERS):
    DETERMINER.update({form: {number} for form in forms})
ADJECTIVES = set(synthetic_text._ADJECTIVES)
PREPOSITIONS = set(synthetic_text._PREPOSITIONS)
VERB_PAIRS = {
    pair[0]: pair
    for pair in synthetic_text._INTRANSITIVE_VERBS
    + synthetic_text._TRANSITIVE_VERBS
}
VERB_PAIRS.update({pair[1]: pair for pair in VERB_PAIRS.values()})


def word(words, i):
    return words[i] if i < len(words) else None


def simple_np(words, i):
    """{(end, number)} for Det Adj{0,2} Noun."""
    numbers = DETERMINER.get(word(words, i))
    if numbers is None:
        return set()
    i += 1
    for _ in range(2):
        if word(words, i) in ADJECTIVES:
            i += 1
    number = NOUN.get(word(words, i))
    return {(i + 1, number)} if number in numbers else set()


def pp(words, i):
    if word(words, i) not in PREPOSITIONS:
        return set()
    return {end for end, _ in simple_np(words, i + 1)}


def np_(words, i):
    """{(end, number, depth)}: depth is the relative-clause nesting."""
    out = set()
    for j, number in simple_np(words, i):
        out.add((j, number, 0))
        out.update((k, number, 0) for k in pp(words, j))
        if word(words, j) == "that":
            out.update(
                (k, number, depth + 1)
                for k, depth in relative(words, j + 1, number)
            )
    return out


def relative(words, i, number):
    out = set(vp(words, i, number))
    for j, inner, depth in np_(words, i):
        if TRANSITIVE.get(word(words, j)) == inner:
            out.add((j + 1, depth))
    return out


def vp(words, i, number):
    """{(end, depth)} for a verb phrase agreeing with `number`."""
    out = set()
    if INTRANSITIVE.get(word(words, i)) == number:
        out.add((i + 1, 0))
        out.update((k, 0) for k in pp(words, i + 1))
    if TRANSITIVE.get(word(words, i)) == number:
        out.update((j, depth) for j, _, depth in np_(words, i + 1))
    return out


def parses(sentence):
    """{(subject depth, deepest nesting)} over the parses of a sentence."""
    words = sentence.split(" ")
    out = set()
    for j, number, depth in np_(words, 0):
        for k, vp_depth in vp(words, j, number):
            if k == len(words) - 1 and words[k] == ".":
                out.add((depth, max(depth, vp_depth)))
    return out


def test_lexicon_categories_are_disjoint():
    categories = [
        set(NOUN),
        set(INTRANSITIVE) | set(TRANSITIVE),
        set(DETERMINER),
        ADJECTIVES,
        PREPOSITIONS,
        {"that", "."},
    ]
    for a in range(len(categories)):
        for b in range(a + 1, len(categories)):
            assert not categories[a] & categories[b]
    # Number must be readable from the noun alone.
    assert len(NOUN) == 2 * len(synthetic_text._NOUNS)


def test_recogniser_checks_agreement():
    assert parses("the dog that the cats near the house chase runs .")
    assert not parses("the dog that the cats near the house chase run .")
    assert not parses("the dog that the cats near the house chases runs .")


def test_generate_is_deterministic_per_seed():
    assert synthetic_text.generate(50, seed=4) == synthetic_text.generate(
        50, seed=4
    )
    assert synthetic_text.generate(50, seed=4) != synthetic_text.generate(
        50, seed=5
    )
    assert synthetic_text.corpus("valid", seed=1) != synthetic_text.corpus(
        "valid", seed=2
    )


def test_generated_sentences_parse_and_respect_max_depth():
    for max_depth in (0, 1, 3):
        sentences = synthetic_text.generate(
            1000, seed=max_depth, max_depth=max_depth
        )
        for sentence in sentences:
            assert sentence.endswith(" .")
            assert "  " not in sentence
            found = parses(sentence)
            # The grammar is unambiguous: one parse per sentence.
            assert len(found) == 1, sentence
            (subject_depth, deepest) = found.pop()
            assert deepest <= max_depth, sentence


def test_depth_distribution():
    depths = collections.Counter()
    for sentence in synthetic_text.generate(4000, seed=7):
        ((subject_depth, _),) = parses(sentence)
        depths[subject_depth] += 1
    fractions = {depth: count / 4000 for depth, count in depths.items()}
    # Expected about 0.55, 0.29, 0.10 and 0.06.
    assert 0.45 < fractions[0] < 0.65
    assert 0.2 < fractions[1] < 0.38
    assert 0.05 < fractions[2] < 0.16
    assert 0.02 < fractions[3] < 0.1
    assert set(depths) == {0, 1, 2, 3}


def test_corpus_splits():
    start = time.perf_counter()
    synthetic_text._corpus.cache_clear()
    texts = {
        split: synthetic_text.corpus(split)
        for split in ("train", "valid", "test")
    }
    assert time.perf_counter() - start < 2
    assert 300_000 <= len(texts["train"]) < 301_000
    assert 30_000 <= len(texts["valid"]) < 31_000
    assert 30_000 <= len(texts["test"]) < 31_000
    allowed = set("abcdefghijklmnopqrstuvwxyz .\n")
    for split, text in texts.items():
        assert set(text) <= allowed
        assert text.endswith(" .\n")
        assert "\n\n" not in text
        synthetic_text._corpus.cache_clear()
        assert synthetic_text.corpus(split) == text
        for line in text.splitlines()[:300]:
            assert len(parses(line)) == 1, line
    assert synthetic_text.corpus() == texts["train"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_splits_share_no_long_sentence(seed):
    train = set(synthetic_text.corpus("train", seed).splitlines())
    valid = synthetic_text.corpus("valid", seed).splitlines()
    test = synthetic_text.corpus("test", seed).splitlines()
    for held_out in (valid, test):
        shared = [line for line in held_out if line in train]
        # Short sentences recur by chance; long ones must not.
        assert all(len(line.split()) < 8 for line in shared), shared
        assert len(shared) < 0.05 * len(held_out)
    assert all(len(line.split()) < 8 for line in set(valid) & set(test)), set(
        valid
    ) & set(test)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5])
def test_agreement_probes(depth):
    probes = synthetic_text.agreement_probes(100, depth=depth, seed=3)
    assert probes == synthetic_text.agreement_probes(100, depth=depth, seed=3)
    assert probes != synthetic_text.agreement_probes(100, depth=depth, seed=4)
    assert len(probes) == 100
    numbers = collections.Counter()
    relative_kinds = collections.Counter()
    for probe in probes:
        assert isinstance(probe, synthetic_text.AgreementProbe)
        assert probe.depth == depth
        assert probe.prefix.endswith(" ") and not probe.prefix.endswith("  ")
        words = probe.prefix[:-1].split(" ")
        # The prefix is exactly a subject noun phrase of the given depth.
        ((number, found_depth),) = {
            (n, d) for end, n, d in np_(words, 0) if end == len(words)
        }
        assert found_depth == depth == words.count("that")
        numbers[number] += 1
        correct_pair = VERB_PAIRS[probe.correct]
        assert correct_pair == VERB_PAIRS[probe.wrong]
        assert correct_pair[number] == probe.correct
        assert correct_pair[1 - number] == probe.wrong
        # prefix + correct starts a sentence; prefix + wrong cannot.
        ending = " ." if probe.correct in INTRANSITIVE else " the dog ."
        assert parses(probe.prefix + probe.correct + ending)
        assert not parses(probe.prefix + probe.wrong + ending)
        attractor = [w for w in words if w in NOUN][-1]
        if depth >= 1:
            assert NOUN[attractor] != number
            after_that = words[words.index("that") + 1]
            relative_kinds[after_that in DETERMINER] += 1
    assert numbers == {0: 50, 1: 50}
    if depth >= 1:
        # Both object and subject relatives occur.
        assert relative_kinds[True] > 10 and relative_kinds[False] > 10


@pytest.mark.parametrize(
    "function, kwargs, name",
    [
        (synthetic_text.generate, {"num_sentences": 0}, "num_sentences"),
        (synthetic_text.generate, {"num_sentences": 2.0}, "num_sentences"),
        (synthetic_text.generate, {"num_sentences": True}, "num_sentences"),
        (synthetic_text.generate, {"num_sentences": 2, "seed": -1}, "seed"),
        (
            synthetic_text.generate,
            {"num_sentences": 2, "max_depth": -1},
            "max_depth",
        ),
        (synthetic_text.corpus, {"split": "validation"}, "split"),
        (synthetic_text.corpus, {"seed": "0"}, "seed"),
        (synthetic_text.agreement_probes, {"num_probes": 0}, "num_probes"),
        (synthetic_text.agreement_probes, {"depth": -1}, "depth"),
        (synthetic_text.agreement_probes, {"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments_raise(function, kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        function(**kwargs)
