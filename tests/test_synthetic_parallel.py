import collections
import re

import pytest

from gatedkeras.data import synthetic_parallel as sp

# An independent translator for the grammar in the module docstring, built
# on the module's lexicon tables only: it parses a Lern sentence (every
# parse, so an ambiguous sentence would show) and writes each parse in Tarn.
DETERMINERS = {}  # Lern determiner -> {(kind, number)}
for kind, forms in enumerate(sp._LERN_DETERMINERS):
    for number, form in enumerate(forms):
        DETERMINERS.setdefault(form, set()).add((kind, number))
NOUNS = {
    form: (index, number)
    for index, noun in enumerate(sp._NOUNS)
    for number, form in enumerate(noun.lern)
}
ADJECTIVES = {lern: index for index, (lern, _) in enumerate(sp._ADJECTIVES)}
PREPOSITIONS = dict(sp._ADPOSITIONS)
INTRANSITIVE = {
    form: (verb.tarn, number)
    for verb in sp._INTRANSITIVE_VERBS
    for number, form in enumerate(verb.lern)
}
TRANSITIVE = {
    form: (verb.tarn, number)
    for verb in sp._TRANSITIVE_VERBS
    for number, form in enumerate(verb.lern)
}

# Tarn word -> (gender, number) for the words that agree with a noun.
TARN_DETERMINERS = {
    form: (gender, number)
    for kind in sp._TARN_DETERMINERS
    for gender, forms in enumerate(kind)
    for number, form in enumerate(forms)
}
TARN_ADJECTIVES = {
    sp._tarn_adjective(a, gender, number): (gender, number)
    for a in range(len(sp._ADJECTIVES))
    for gender in (0, 1)
    for number in (0, 1)
}
TARN_NOUNS = {
    form: (noun.gender, number)
    for noun in sp._NOUNS
    for number, form in enumerate(noun.tarn)
}
TARN_VERBS = {
    form: number
    for verb in sp._INTRANSITIVE_VERBS + sp._TRANSITIVE_VERBS
    for number, form in enumerate(verb.tarn)
}
TARN_POSTPOSITIONS = set(PREPOSITIONS.values())


def word(words, i):
    return words[i] if i < len(words) else None


def simple_np(words, i):
    """[(end, number, tarn)] for Det Adj* Noun."""
    out = []
    j = i + 1
    adjectives = []
    while word(words, j) in ADJECTIVES:
        adjectives.append(ADJECTIVES[words[j]])
        j += 1
    if word(words, j) not in NOUNS or len(adjectives) > 2:
        return out
    noun, number = NOUNS[words[j]]
    gender = sp._NOUNS[noun].gender
    for kind, det_number in DETERMINERS.get(word(words, i), ()):
        if det_number != number:
            continue
        tarn = [sp._TARN_DETERMINERS[kind][gender][number]]
        tarn.append(sp._NOUNS[noun].tarn[number])
        tarn += [
            sp._tarn_adjective(a, gender, number) for a in reversed(adjectives)
        ]
        out.append((j + 1, number, tarn))
    return out


def pp(words, i):
    """[(end, tarn)] for Prep NP'."""
    if word(words, i) not in PREPOSITIONS:
        return []
    post = PREPOSITIONS[words[i]]
    return [(j, tarn + [post]) for j, _, tarn in simple_np(words, i + 1)]


def np_(words, i, depth):
    out = []
    for j, number, tarn in simple_np(words, i):
        out.append((j, number, tarn))
        out += [(k, number, tarn + more) for k, more in pp(words, j)]
        if depth == 0 and word(words, j) == "that":
            out += [
                (k, number, tarn + ["ke"] + more)
                for k, more in relative(words, j + 1, number)
            ]
    return out


def relative(words, i, number):
    out = vp(words, i, number, depth=1)
    for j, inner, tarn in np_(words, i, depth=1):
        if word(words, j) in TRANSITIVE:
            forms, verb_number = TRANSITIVE[words[j]]
            if verb_number == inner:
                out.append((j + 1, tarn + [forms[inner]]))
    return out


def vp(words, i, number, depth):
    out = []
    if word(words, i) in INTRANSITIVE:
        forms, verb_number = INTRANSITIVE[words[i]]
        if verb_number == number:
            out.append((i + 1, [forms[number]]))
            out += [(k, more + [forms[number]]) for k, more in pp(words, i + 1)]
    if word(words, i) in TRANSITIVE:
        forms, verb_number = TRANSITIVE[words[i]]
        if verb_number == number:
            out += [
                (k, tarn + ["mo", forms[number]])
                for k, _, tarn in np_(words, i + 1, depth)
            ]
    return out


def translations(source):
    """Every Tarn sentence the grammar allows for a Lern sentence."""
    words = source[0].lower() + source[1:-1]
    words = words.split(" ")
    out = set()
    for j, number, tarn in np_(words, 0, depth=0):
        for k, more in vp(words, j, number, depth=0):
            if k == len(words):
                out.add(sp._write(tarn + more))
    return out


def words_of(sentence):
    return sentence[:-1].lower().split(" ")


def test_translator_checks_the_grammar():
    assert translations("The dog that sees the cats sleeps under a tree.") == {
        "Ra voro ke rui misken mo videt na bask ven nimet."
    }
    assert translations("The dog that the cats see runs.") == {
        "Ra voro ke rui misken vidot kulet."
    }
    # Agreement and word order are enforced.
    assert not translations("The dog that the cats sees runs.")
    assert not translations("The dogs runs.")
    assert not translations("A dogs runs.")
    assert not translations("The dog the cat sees.")


def test_lexicon_forms_are_distinct_and_in_range():
    lern = sp.vocabulary("lern")
    tarn = sp.vocabulary("tarn")
    assert 40 <= len(lern) <= 80
    assert 40 <= len(tarn) <= 80
    assert not set(lern) & set(tarn)
    for forms in (lern, tarn):
        assert all(re.fullmatch("[a-z]+", form) for form in forms), forms
    # No Tarn form has two readings: each is a determiner, noun, adjective,
    # verb, postposition or particle, with one gender and number.
    categories = [
        set(TARN_DETERMINERS),
        set(TARN_NOUNS),
        set(TARN_ADJECTIVES),
        set(TARN_VERBS),
        TARN_POSTPOSITIONS,
        {"ke", "mo"},
    ]
    assert sum(len(c) for c in categories) == len(tarn)
    assert set().union(*categories) == set(tarn)
    assert len(TARN_DETERMINERS) == 12 and len(TARN_ADJECTIVES) == 20
    # Gender is a property of the Tarn noun, not visible in Lern: both
    # genders occur, half the nouns each.
    genders = collections.Counter(noun.gender for noun in sp._NOUNS)
    assert genders[0] == genders[1] == len(sp._NOUNS) // 2


def test_corpus_words_are_the_vocabulary():
    pairs = sp.corpus("train")
    lern = {w for source, _ in pairs for w in words_of(source)}
    tarn = {w for _, target in pairs for w in words_of(target)}
    assert lern == set(sp.vocabulary(sp.SOURCE_LANGUAGE))
    assert tarn == set(sp.vocabulary(sp.TARGET_LANGUAGE))


def test_sizes_and_determinism():
    sp._splits.cache_clear()
    splits = {split: sp.corpus(split) for split in ("train", "valid", "test")}
    assert {split: len(pairs) for split, pairs in splits.items()} == {
        "train": 20_000,
        "valid": 1_000,
        "test": 1_000,
    }
    sp._splits.cache_clear()
    for split, pairs in splits.items():
        assert sp.corpus(split, seed=0) == pairs
        assert sp.corpus(split, seed=1) != pairs
    assert sp.generate(30, seed=4) == sp.generate(30, seed=4)
    assert sp.generate(30, seed=4) != sp.generate(30, seed=5)
    assert len(sp.generate(30, seed=4)) == 30


@pytest.mark.parametrize("seed", [0, 1])
def test_held_out_splits_are_disjoint(seed):
    train = {source for source, _ in sp.corpus("train", seed)}
    valid = [source for source, _ in sp.corpus("valid", seed)]
    test = [source for source, _ in sp.corpus("test", seed)]
    assert len(set(valid)) == len(valid) and len(set(test)) == len(test)
    assert not train & set(valid)
    assert not train & set(test)
    assert not set(valid) & set(test)


def test_format():
    pairs = sp.corpus("valid") + sp.corpus("train")[:3000]
    pattern = re.compile(r"[A-Z][a-z]*( [a-z]+)+\.")
    for source, target in pairs:
        for sentence in (source, target):
            assert pattern.fullmatch(sentence), sentence
        assert 3 <= len(source.split(" ")) <= 14, source
        assert 3 <= len(target.split(" ")) <= 17, target
    lengths = collections.Counter(len(s.split()) for s, _ in pairs)
    assert min(lengths) == 3 and max(lengths) == 14


def test_every_pair_is_the_grammars_only_translation():
    pairs = sp.corpus("train")[:3000] + sp.corpus("test") + sp.generate(500)
    for source, target in pairs:
        # Exactly one parse: the source determines the target.
        assert translations(source) == {target}, source


def test_source_determines_target_across_the_corpus():
    seen = {}
    for source, target in sp.corpus("train"):
        assert seen.setdefault(source, target) == target
    # Short sentences recur in train; held-out splits are all unseen.
    assert len(seen) < 20_000


def test_constructions_occur_in_the_corpus():
    sources = [source for source, _ in sp.corpus("train")]
    count = collections.Counter()
    for source in sources:
        words = words_of(source)
        count["relative"] += "that" in words
        count["preposition"] += any(w in PREPOSITIONS for w in words)
        count["transitive"] += any(w in TRANSITIVE for w in words)
        pairs = zip(words, words[1:])
        count["two_adjectives"] += any(
            a in ADJECTIVES and b in ADJECTIVES for a, b in pairs
        )
    fractions = {key: value / len(sources) for key, value in count.items()}
    assert 0.25 < fractions["relative"] < 0.55
    assert 0.2 < fractions["preposition"] < 0.5
    assert 0.5 < fractions["transitive"] < 0.85
    assert 0.05 < fractions["two_adjectives"] < 0.3


def check_tarn_agreement(target):
    """Asserts each Tarn noun phrase and the main verb agree; returns the
    number of noun phrases checked."""
    words = words_of(target)
    phrases = 0
    for i, w in enumerate(words):
        if w not in TARN_DETERMINERS:
            continue
        # Det Noun Adj*: all share the noun's gender and number.
        features = TARN_NOUNS[words[i + 1]]
        assert TARN_DETERMINERS[w] == features, target
        j = i + 2
        while j < len(words) and words[j] in TARN_ADJECTIVES:
            assert TARN_ADJECTIVES[words[j]] == features, target
            j += 1
        phrases += 1
    # The last word is the main verb, in the number of the subject, whose
    # noun is the second word.
    assert TARN_VERBS[words[-1]] == TARN_NOUNS[words[1]][1], target
    return phrases


def test_agreement_holds():
    pairs = sp.corpus("train")[:5000] + sp.corpus("valid")
    phrases = sum(check_tarn_agreement(target) for _, target in pairs)
    assert phrases > 1.5 * len(pairs)
    # Both genders and numbers occur with adjectives.
    features = collections.Counter(
        TARN_ADJECTIVES[w]
        for _, target in pairs
        for w in words_of(target)
        if w in TARN_ADJECTIVES
    )
    assert len(features) == 4 and min(features.values()) > 200


def test_same_lern_word_has_gender_dependent_tarn_forms():
    # "the big" becomes "ra ... groda" or "ru ... grodu" depending only on
    # the Tarn noun's gender: Lern carries no trace of it.
    forms = collections.defaultdict(set)
    for source, target in sp.corpus("train")[:5000]:
        lern, tarn = words_of(source), words_of(target)
        if lern[0] == "the" and lern[1] in ADJECTIVES and lern[2] in NOUNS:
            forms[lern[1]].add((tarn[0], TARN_NOUNS[tarn[1]][0]))
    for adjective, seen in forms.items():
        assert len({gender for _, gender in seen}) == 2, adjective
        for determiner, gender in seen:
            assert TARN_DETERMINERS[determiner][0] == gender


def test_probes():
    probes = sp.probes(200, seed=0)
    assert probes == sp.probes(200, seed=0)
    assert probes != sp.probes(200, seed=1)
    assert sp.probes(7) == probes[:7]
    assert len(probes) == 200
    assert all(isinstance(probe, sp.Probe) for probe in probes)
    assert collections.Counter(p.construction for p in probes) == {
        construction: 40 for construction in sp.CONSTRUCTIONS
    }
    train = {source for source, _ in sp.corpus("train", seed=0)}
    sources = [probe.source for probe in probes]
    assert len(set(sources)) == len(sources)
    assert not train & set(sources)
    for probe in probes:
        assert translations(probe.source) == {probe.target}, probe
        assert len(probe.source.split(" ")) <= 14
        check_tarn_agreement(probe.target)


def probes_of(construction):
    return [p for p in sp.probes(500) if p.construction == construction]


def test_verb_final_probes():
    for probe in probes_of("verb_final"):
        lern, tarn = words_of(probe.source), words_of(probe.target)
        verbs = [i for i, w in enumerate(lern) if w in TRANSITIVE]
        assert len(verbs) == 1 and verbs[0] < len(lern) - 2, probe
        assert tarn[-1] in TARN_VERBS and tarn[-2] == "mo", probe
        assert tarn[-1] == TRANSITIVE[lern[verbs[0]]][0][TARN_VERBS[tarn[-1]]]
        assert "that" not in lern and not set(lern) & set(PREPOSITIONS)


def test_adjective_after_noun_probes():
    for probe in probes_of("adjective_after_noun"):
        lern, tarn = words_of(probe.source), words_of(probe.target)
        adjectives = [w for w in lern if w in ADJECTIVES]
        assert 1 <= len(adjectives) <= 2
        # Lern: Det Adj+ Noun; Tarn: Det Noun Adj+, in mirror order.
        assert lern[len(adjectives) + 1] in NOUNS, probe
        assert tarn[1] in TARN_NOUNS, probe
        stems = [sp._ADJECTIVES[ADJECTIVES[a]][1] for a in reversed(adjectives)]
        after = tarn[2 : 2 + len(stems)]
        assert [w[: len(s)] for w, s in zip(after, stems)] == stems, probe
        assert all(w in TARN_ADJECTIVES for w in after), probe


def test_postposition_probes():
    for probe in probes_of("postposition"):
        lern, tarn = words_of(probe.source), words_of(probe.target)
        (prep,) = [w for w in lern if w in PREPOSITIONS]
        (post,) = [w for w in tarn if w in TARN_POSTPOSITIONS]
        assert PREPOSITIONS[prep] == post
        # Lern: Prep Det ... Noun; Tarn: Det Noun ... Post.
        assert lern[lern.index(prep) + 1] in DETERMINERS, probe
        before = tarn[: tarn.index(post)]
        last_noun = max(i for i, w in enumerate(before) if w in TARN_NOUNS)
        assert all(w in TARN_ADJECTIVES for w in before[last_noun + 1 :])


def test_relative_clause_probes():
    kinds = collections.Counter()
    verbs = {**INTRANSITIVE, **TRANSITIVE}
    for probe in probes_of("relative_clause"):
        lern, tarn = words_of(probe.source), words_of(probe.target)
        assert tarn.count("ke") == lern.count("that") >= 1, probe
        # The subject's clause: its noun phrases take no clause of their own,
        # so its verb is the first verb after "that" (after "ke" in Tarn).
        start = lern.index("that") + 1
        lern_verb = next(w for w in lern[start:] if w in verbs)
        ke = tarn.index("ke")
        tarn_index = next(
            i for i in range(ke + 1, len(tarn)) if tarn[i] in TARN_VERBS
        )
        assert tarn[tarn_index] in verbs[lern_verb][0], probe
        if lern[start] in verbs:
            kinds["subject"] += 1
            # A subject relative's verb agrees with the head noun.
            assert TARN_VERBS[tarn[tarn_index]] == TARN_NOUNS[tarn[1]][1]
            if lern[start] in TRANSITIVE:
                # Lern: "that" Verb Object; Tarn: "ke" Object "mo" Verb.
                assert tarn[tarn_index - 1] == "mo", probe
                assert tarn_index > ke + 3, probe
        else:
            kinds["object"] += 1
            # An object relative's verb agrees with the clause's subject.
            assert TARN_VERBS[tarn[tarn_index]] == TARN_NOUNS[tarn[ke + 2]][1]
            assert tarn[tarn_index - 1] != "mo", probe
        # The main verb comes last, after the whole clause.
        assert tarn_index < len(tarn) - 1
    assert kinds["object"] > 10 and kinds["subject"] > 10


def test_gender_agreement_probes():
    for probe in probes_of("gender_agreement"):
        lern, tarn = words_of(probe.source), words_of(probe.target)
        # Lern: Det Adj Noun Verb Det Adj Noun, the same Det and Adj twice.
        assert len(lern) == 7 and lern[3] in TRANSITIVE, probe
        assert lern[0] == lern[4] and lern[1] == lern[5], probe
        assert NOUNS[lern[2]][1] == NOUNS[lern[6]][1]
        # Tarn: the same words in forms of different gender.
        assert tarn[0] != tarn[3] and tarn[2] != tarn[5], probe
        assert TARN_NOUNS[tarn[1]][0] != TARN_NOUNS[tarn[4]][0]
        assert TARN_DETERMINERS[tarn[0]][0] == TARN_NOUNS[tarn[1]][0]
        assert TARN_DETERMINERS[tarn[3]][0] == TARN_NOUNS[tarn[4]][0]


@pytest.mark.parametrize(
    "function, kwargs, name",
    [
        (sp.corpus, {"split": "validation"}, "split"),
        (sp.corpus, {"split": "train", "seed": -1}, "seed"),
        (sp.corpus, {"split": "train", "seed": "0"}, "seed"),
        (sp.generate, {"num_pairs": 0}, "num_pairs"),
        (sp.generate, {"num_pairs": 2, "seed": 1.5}, "seed"),
        (sp.probes, {"num": 0}, "num"),
        (sp.probes, {"num": True}, "num"),
        (sp.vocabulary, {"language": "english"}, "language"),
    ],
)
def test_bad_arguments_raise(function, kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        function(**kwargs)
