"""A synthetic parallel corpus between two made-up languages.

The offline default dataset of the translation recipe: seeded, generated in
pure Python in a fraction of a second, with no download and no TensorFlow.
Each pair is one sentence structure (a tree) written out in two languages
whose word orders differ, so that a model must reorder (attend), and whose
agreement rules differ, so that it must also track features the source does
not show. The translation is deterministic: every source sentence has
exactly one correct target, so exact-match accuracy and BLEU near 100 are
reachable.

The source language, Lern (`SOURCE_LANGUAGE = "lern"`), has English words
and English order: subject-verb-object, determiner and adjectives before
the noun, prepositions, relative clauses introduced by "that". Nouns and
verbs mark number ("dog"/"dogs", "runs"/"run"), and so do determiners some
of the time ("a"/"some", "this"/"these"; "the" serves both numbers).

The target language, Tarn (`TARGET_LANGUAGE = "tarn"`), is verb final:
subject-object-verb, adjectives after the noun (in mirror order, so "big
red dog" is "dog red big"), postpositions, relative clauses after their
noun with the verb last, and the particle "mo" after the direct object (so
that subject and object relatives differ, as they do in Lern). Every noun
has a gender, A or B, a property of the Tarn word that Lern does not show;
the determiner and the adjectives agree with their noun in gender and
number, and the verb agrees with its subject in number:

    Lern: The big red dog that sees the cats sleeps under a tree.
    Tarn: Ra voro kira groda ke rui misken mo videt na bask ven nimet.

The grammar (`n`, `m` a number; `g` the gender of the noun's Tarn word;
`k` the kind of determiner: definite, indefinite or demonstrative):

    Lern                                  Tarn
    S      -> NP[n] VP[n]                 NP[n] VP[n]
    NP[n]  -> Det[k,n] Adj* Noun[n] Mod?  Det[k,g,n] Noun[n] Adj[g,n]* Mod?
    Mod    -> PP | RC[n]                  PP | RC[n]
    PP     -> Prep NP'[m]                 NP'[m] Post
    RC[n]  -> "that" VP[n]                "ke" VP[n]        (subject rel.)
            | "that" NP[m] VerbT[m]       "ke" NP[m] VerbT[m] (object rel.)
    VP[n]  -> VerbI[n] PP?                PP? VerbI[n]
            | VerbT[n] NP[m]              NP[m] "mo" VerbT[n]

`NP'` takes no modifier; `Adj*` is zero (60%), one (30%) or two (10%)
distinct adjectives. Relative clauses do not nest: a noun phrase of the
main clause takes a relative clause with probability 0.25, else a
prepositional phrase with probability 0.15; inside a relative clause a
noun phrase takes only a prepositional phrase (probability 0.15). Verb
phrases are transitive with probability 0.6; an intransitive one takes a
prepositional phrase with probability 0.3. Sentences longer than 14 Lern
words are drawn again, so Lern sentences have 3 to 14 words and Tarn ones
3 to 17.

Lexicon: 10 nouns, 5 adjectives, 4 intransitive and 5 transitive verbs, 4
prepositions and 3 kinds of determiner, giving 53 Lern and 76 Tarn word
forms (see `vocabulary`). Sentences are written like real text: the first
letter capitalised, words separated by single spaces and a final "."
attached to the last word.
"""

import dataclasses
import functools
import random
import typing

from gatedkeras.data.synthetic_text import _check_int

SOURCE_LANGUAGE = "lern"
TARGET_LANGUAGE = "tarn"
CONSTRUCTIONS = (
    "verb_final",
    "adjective_after_noun",
    "postposition",
    "relative_clause",
    "gender_agreement",
)

_SINGULAR, _PLURAL = 0, 1
_GENDER_A, _GENDER_B = 0, 1
_DEFINITE, _INDEFINITE, _DEMONSTRATIVE = 0, 1, 2


class _Noun(typing.NamedTuple):
    lern: tuple  # (singular, plural)
    tarn: tuple  # (singular, plural)
    gender: int  # of the Tarn word


class _Verb(typing.NamedTuple):
    lern: tuple  # (singular, plural)
    tarn: tuple  # (singular, plural)


# Lern words start with a consonant, so "a" never needs to be "an". Tarn
# genders are spread over word endings, so a noun's form does not give its
# gender away: a model has to learn it noun by noun.
_NOUNS = (
    _Noun(("dog", "dogs"), ("voro", "voron"), _GENDER_A),
    _Noun(("cat", "cats"), ("misk", "misken"), _GENDER_B),
    _Noun(("bird", "birds"), ("tilo", "tilon"), _GENDER_B),
    _Noun(("horse", "horses"), ("kaval", "kavalen"), _GENDER_A),
    _Noun(("farmer", "farmers"), ("gelun", "gelunen"), _GENDER_B),
    _Noun(("teacher", "teachers"), ("dorme", "dormen"), _GENDER_A),
    _Noun(("child", "children"), ("pim", "pimen"), _GENDER_A),
    _Noun(("king", "kings"), ("hesar", "hesaren"), _GENDER_B),
    _Noun(("house", "houses"), ("lodi", "lodin"), _GENDER_B),
    _Noun(("tree", "trees"), ("bask", "basken"), _GENDER_A),
)
# (Lern word, Tarn stem); the Tarn form is the stem plus an ending that
# agrees with the noun, `_TARN_ADJECTIVE_ENDINGS[gender][number]`.
_ADJECTIVES = (
    ("big", "grod"),
    ("small", "mil"),
    ("red", "kir"),
    ("tall", "lom"),
    ("happy", "fel"),
)
_TARN_ADJECTIVE_ENDINGS = (("a", "ai"), ("u", "ui"))
_INTRANSITIVE_VERBS = (
    _Verb(("runs", "run"), ("kulet", "kulot")),
    _Verb(("sleeps", "sleep"), ("nimet", "nimot")),
    _Verb(("sings", "sing"), ("liret", "lirot")),
    _Verb(("waits", "wait"), ("bavet", "bavot")),
)
_TRANSITIVE_VERBS = (
    _Verb(("sees", "see"), ("videt", "vidot")),
    _Verb(("chases", "chase"), ("zaget", "zagot")),
    _Verb(("likes", "like"), ("amet", "amot")),
    _Verb(("follows", "follow"), ("seket", "sekot")),
    _Verb(("helps", "help"), ("juvet", "juvot")),
)
# (Lern preposition, Tarn postposition).
_ADPOSITIONS = (
    ("near", "pes"),
    ("behind", "dor"),
    ("under", "ven"),
    ("above", "hal"),
)
# `_LERN_DETERMINERS[kind][number]`: number shows only on some of them.
_LERN_DETERMINERS = (("the", "the"), ("a", "some"), ("this", "these"))
# `_TARN_DETERMINERS[kind][gender][number]`.
_TARN_DETERMINERS = (
    (("ra", "rai"), ("ru", "rui")),
    (("na", "nai"), ("nu", "nui")),
    (("sa", "sai"), ("su", "sui")),
)
_LERN_RELATIVE = "that"
_TARN_RELATIVE = "ke"
_TARN_OBJECT = "mo"


# The indices of the nouns of each gender, for the gender probes.
_BY_GENDER = tuple(
    tuple(i for i, noun in enumerate(_NOUNS) if noun.gender == gender)
    for gender in (_GENDER_A, _GENDER_B)
)


def _tarn_adjective(index, gender, number):
    return _ADJECTIVES[index][1] + _TARN_ADJECTIVE_ENDINGS[gender][number]


_P_KINDS = (0.5, 0.3, 0.2)  # definite, indefinite, demonstrative
_P_ONE_ADJECTIVE = 0.3
_P_TWO_ADJECTIVES = 0.1
_P_RELATIVE = 0.25
_P_PREPOSITION = 0.15
_P_OBJECT_RELATIVE = 0.5
_P_TRANSITIVE = 0.6
_P_VERB_PREPOSITION = 0.3
_MAX_WORDS = 14

_SPLIT_SIZES = {"train": 20_000, "valid": 1_000, "test": 1_000}


# The tree, written out by the `_lern_*` and `_tarn_*` functions below.
class _NounPhrase(typing.NamedTuple):
    kind: int
    number: int
    noun: int
    adjectives: tuple
    modifier: object  # None, _Prepositional or a relative clause


class _Prepositional(typing.NamedTuple):
    adposition: int
    noun_phrase: _NounPhrase


class _SubjectRelative(typing.NamedTuple):
    verb_phrase: object


class _ObjectRelative(typing.NamedTuple):
    subject: _NounPhrase
    verb: int


class _Intransitive(typing.NamedTuple):
    verb: int
    prepositional: object  # None or _Prepositional


class _Transitive(typing.NamedTuple):
    verb: int
    object: _NounPhrase


class _Sentence(typing.NamedTuple):
    subject: _NounPhrase
    verb_phrase: object


@dataclasses.dataclass(frozen=True)
class Probe:
    """A held-out pair that shows one construction of the grammar.

    Args:
        source: the Lern sentence.
        target: its Tarn translation, the only correct one.
        construction: the construction the pair was drawn to show, one of
            `CONSTRUCTIONS`.
    """

    source: str
    target: str
    construction: str


class _Sampler:
    """Samples trees with one `random.Random`, with the grammar's odds.

    `depth` is 0 in the main clause, whose noun phrases may take a relative
    clause, and 1 inside a relative clause, whose noun phrases may not.
    """

    def __init__(self, rng):
        self.rng = rng

    def number(self):
        return _PLURAL if self.rng.random() < 0.5 else _SINGULAR

    def kind(self):
        r = self.rng.random()
        if r < _P_KINDS[0]:
            return _DEFINITE
        return _INDEFINITE if r < _P_KINDS[0] + _P_KINDS[1] else _DEMONSTRATIVE

    def adjectives(self):
        r = self.rng.random()
        if r < _P_TWO_ADJECTIVES:
            count = 2
        elif r < _P_TWO_ADJECTIVES + _P_ONE_ADJECTIVE:
            count = 1
        else:
            count = 0
        return tuple(self.rng.sample(range(len(_ADJECTIVES)), count))

    def simple_noun_phrase(self, adjectives=None):
        return _NounPhrase(
            self.kind(),
            self.number(),
            self.rng.randrange(len(_NOUNS)),
            self.adjectives() if adjectives is None else adjectives,
            None,
        )

    def noun_phrase(self, depth):
        phrase = self.simple_noun_phrase()
        r = self.rng.random()
        if depth == 0 and r < _P_RELATIVE:
            modifier = self.relative_clause()
        elif depth == 0 and r < _P_RELATIVE + _P_PREPOSITION:
            modifier = self.prepositional_phrase()
        elif depth > 0 and r < _P_PREPOSITION:
            modifier = self.prepositional_phrase()
        else:
            return phrase
        return phrase._replace(modifier=modifier)

    def prepositional_phrase(self):
        return _Prepositional(
            self.rng.randrange(len(_ADPOSITIONS)), self.simple_noun_phrase()
        )

    def relative_clause(self):
        if self.rng.random() < _P_OBJECT_RELATIVE:
            return _ObjectRelative(
                self.noun_phrase(1), self.rng.randrange(len(_TRANSITIVE_VERBS))
            )
        return _SubjectRelative(self.verb_phrase(1))

    def verb_phrase(self, depth):
        if self.rng.random() < _P_TRANSITIVE:
            return self.transitive(self.noun_phrase(depth))
        return self.intransitive(
            self.prepositional_phrase()
            if self.rng.random() < _P_VERB_PREPOSITION
            else None
        )

    def transitive(self, object_phrase):
        return _Transitive(
            self.rng.randrange(len(_TRANSITIVE_VERBS)), object_phrase
        )

    def intransitive(self, prepositional=None):
        return _Intransitive(
            self.rng.randrange(len(_INTRANSITIVE_VERBS)), prepositional
        )

    def sentence(self):
        return _Sentence(self.noun_phrase(0), self.verb_phrase(0))


def _lern_noun_phrase(phrase, words):
    words.append(_LERN_DETERMINERS[phrase.kind][phrase.number])
    words.extend(_ADJECTIVES[a][0] for a in phrase.adjectives)
    words.append(_NOUNS[phrase.noun].lern[phrase.number])
    _lern_modifier(phrase.modifier, phrase.number, words)


def _lern_modifier(modifier, number, words):
    if isinstance(modifier, _Prepositional):
        words.append(_ADPOSITIONS[modifier.adposition][0])
        _lern_noun_phrase(modifier.noun_phrase, words)
    elif isinstance(modifier, _SubjectRelative):
        words.append(_LERN_RELATIVE)
        _lern_verb_phrase(modifier.verb_phrase, number, words)
    elif isinstance(modifier, _ObjectRelative):
        words.append(_LERN_RELATIVE)
        _lern_noun_phrase(modifier.subject, words)
        verb = _TRANSITIVE_VERBS[modifier.verb]
        words.append(verb.lern[modifier.subject.number])


def _lern_verb_phrase(phrase, number, words):
    if isinstance(phrase, _Transitive):
        words.append(_TRANSITIVE_VERBS[phrase.verb].lern[number])
        _lern_noun_phrase(phrase.object, words)
    else:
        words.append(_INTRANSITIVE_VERBS[phrase.verb].lern[number])
        _lern_modifier(phrase.prepositional, number, words)


def _tarn_noun_phrase(phrase, words):
    noun = _NOUNS[phrase.noun]
    words.append(_TARN_DETERMINERS[phrase.kind][noun.gender][phrase.number])
    words.append(noun.tarn[phrase.number])
    words.extend(
        _tarn_adjective(a, noun.gender, phrase.number)
        for a in reversed(phrase.adjectives)
    )
    _tarn_modifier(phrase.modifier, phrase.number, words)


def _tarn_modifier(modifier, number, words):
    if isinstance(modifier, _Prepositional):
        _tarn_noun_phrase(modifier.noun_phrase, words)
        words.append(_ADPOSITIONS[modifier.adposition][1])
    elif isinstance(modifier, _SubjectRelative):
        words.append(_TARN_RELATIVE)
        _tarn_verb_phrase(modifier.verb_phrase, number, words)
    elif isinstance(modifier, _ObjectRelative):
        words.append(_TARN_RELATIVE)
        _tarn_noun_phrase(modifier.subject, words)
        verb = _TRANSITIVE_VERBS[modifier.verb]
        words.append(verb.tarn[modifier.subject.number])


def _tarn_verb_phrase(phrase, number, words):
    if isinstance(phrase, _Transitive):
        _tarn_noun_phrase(phrase.object, words)
        words.append(_TARN_OBJECT)
        words.append(_TRANSITIVE_VERBS[phrase.verb].tarn[number])
    else:
        _tarn_modifier(phrase.prepositional, number, words)
        words.append(_INTRANSITIVE_VERBS[phrase.verb].tarn[number])


def _write(words):
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _lern_words(sentence):
    words = []
    _lern_noun_phrase(sentence.subject, words)
    _lern_verb_phrase(sentence.verb_phrase, sentence.subject.number, words)
    return words


def _pair(sentence, lern_words):
    tarn = []
    _tarn_noun_phrase(sentence.subject, tarn)
    _tarn_verb_phrase(sentence.verb_phrase, sentence.subject.number, tarn)
    return _write(lern_words), _write(tarn)


def _sample_pair(make_sentence):
    """Draws trees from `make_sentence()` until one fits the length limit."""
    while True:
        sentence = make_sentence()
        words = _lern_words(sentence)
        if len(words) <= _MAX_WORDS:
            return _pair(sentence, words)


def _derived_rng(purpose, seed):
    # A string seed is hashed with SHA-512 by `random.Random`, so each
    # (purpose, seed) gets its own stream, stable across platforms and
    # Python runs, and unrelated to `random.Random(seed)` used by `generate`.
    return random.Random(f"gatedkeras.synthetic_parallel:{purpose}:{seed}")


def generate(num_pairs, seed=0):
    """Samples translation pairs from the grammar.

    Unlike `corpus`, the pairs are independent draws: short sentences recur.

    Args:
        num_pairs: Positive integer, how many pairs to sample.
        seed: Non-negative integer; the same seed gives the same pairs.
            Defaults to `0`.

    Returns:
        A list of `num_pairs` `(lern, tarn)` tuples of sentences.

    Example:

    >>> from gatedkeras.data import synthetic_parallel
    >>> synthetic_parallel.generate(1, seed=2)
    [('This red small dog sleeps.', 'Sa voro mila kira nimet.')]
    """
    num_pairs = _check_int("num_pairs", num_pairs, 1)
    seed = _check_int("seed", seed, 0)
    sampler = _Sampler(random.Random(seed))
    return [_sample_pair(sampler.sentence) for _ in range(num_pairs)]


def _unique_pairs(sampler, count, exclude):
    pairs = []
    seen = set(exclude)
    while len(pairs) < count:
        pair = _sample_pair(sampler.sentence)
        if pair[0] not in seen:
            seen.add(pair[0])
            pairs.append(pair)
    return tuple(pairs)


@functools.lru_cache(maxsize=4)
def _splits(seed):
    sampler = _Sampler(_derived_rng("train", seed))
    train = tuple(
        _sample_pair(sampler.sentence) for _ in range(_SPLIT_SIZES["train"])
    )
    train_sources = frozenset(source for source, _ in train)
    valid = _unique_pairs(
        _Sampler(_derived_rng("valid", seed)),
        _SPLIT_SIZES["valid"],
        train_sources,
    )
    test = _unique_pairs(
        _Sampler(_derived_rng("test", seed)),
        _SPLIT_SIZES["test"],
        train_sources | {source for source, _ in valid},
    )
    return {"train": train, "valid": valid, "test": test}, train_sources


def corpus(split, seed=0):
    """The pairs of one split of the parallel corpus.

    Each split samples the grammar from its own random stream, derived from
    `(split, seed)` by hashing. The train split is 20,000 independent draws,
    so frequent short sentences (such as "The dog runs.") recur in it. The
    valid and test splits hold 1,000 distinct source sentences each, none
    of which occurs in train or in the other split: they measure
    translation of unseen sentences. Because the short sentences are
    nearly all in train already, held-out sentences are longer on average
    (about 8.4 Lern words against 7.7 in train, for seed 0).

    Args:
        split: `"train"` (20,000 pairs), `"valid"` or `"test"` (1,000
            pairs each).
        seed: Non-negative integer; the same seed gives the same pairs.
            Defaults to `0`.

    Returns:
        A list of `(lern, tarn)` tuples of sentences.

    Example:

    >>> from gatedkeras.data import synthetic_parallel
    >>> pairs = synthetic_parallel.corpus("valid")
    >>> len(pairs)
    1000
    >>> for sentence in pairs[0]:
    ...     print(sentence)
    A happy cat follows the happy trees.
    Nu misk felu rai basken felai mo seket.
    """
    if split not in _SPLIT_SIZES:
        raise ValueError(
            "Argument `split` must be one of ('train', 'valid', 'test'). "
            f"Received: split={split!r}"
        )
    splits, _ = _splits(_check_int("seed", seed, 0))
    return list(splits[split])


def _probe_sentence(sampler, construction):
    """A tree that shows `construction`, otherwise drawn as in the corpus."""
    if construction == "verb_final":
        # A transitive main clause without modifiers: only the verb moves.
        return _Sentence(
            sampler.simple_noun_phrase(),
            sampler.transitive(sampler.simple_noun_phrase()),
        )
    if construction == "adjective_after_noun":
        count = 2 if sampler.rng.random() < 0.5 else 1
        adjectives = tuple(sampler.rng.sample(range(len(_ADJECTIVES)), count))
        return _Sentence(
            sampler.simple_noun_phrase(adjectives=adjectives),
            sampler.intransitive(),
        )
    if construction == "postposition":
        if sampler.rng.random() < 0.5:
            subject = sampler.simple_noun_phrase()._replace(
                modifier=sampler.prepositional_phrase()
            )
            return _Sentence(subject, sampler.intransitive())
        return _Sentence(
            sampler.simple_noun_phrase(),
            sampler.intransitive(sampler.prepositional_phrase()),
        )
    if construction == "relative_clause":
        subject = sampler.simple_noun_phrase()._replace(
            modifier=sampler.relative_clause()
        )
        return _Sentence(subject, sampler.verb_phrase(0))
    # gender_agreement: the same Lern determiner and adjective on two nouns
    # whose Tarn genders differ, so their Tarn forms differ too.
    first = sampler.rng.randrange(2)
    subject = sampler.simple_noun_phrase(
        adjectives=(sampler.rng.randrange(len(_ADJECTIVES)),)
    )
    subject = subject._replace(noun=sampler.rng.choice(_BY_GENDER[first]))
    object_phrase = subject._replace(
        noun=sampler.rng.choice(_BY_GENDER[1 - first])
    )
    return _Sentence(subject, sampler.transitive(object_phrase))


def probes(num=200, seed=0):
    """Held-out pairs grouped by the construction they show.

    Probe `i` shows construction `CONSTRUCTIONS[i % 5]`, so each of the five
    gets `num // 5` probes (one more for the first `num % 5`):

    - `"verb_final"`: a transitive clause, "The dog sees a cat." / "Ra voro
      nu misk mo videt.": the verb moves to the end.
    - `"adjective_after_noun"`: a subject with one or two adjectives, which
      follow the noun in Tarn, in mirror order.
    - `"postposition"`: a prepositional phrase on the subject or the verb,
      whose preposition becomes a postposition after its noun phrase.
    - `"relative_clause"`: a subject with a subject or object relative
      clause, whose verb moves to the end of the clause.
    - `"gender_agreement"`: a transitive clause whose subject and object
      have the same Lern determiner, number and adjective, but nouns of
      different Tarn gender, so that the Tarn determiners and adjectives
      differ: "The big dog sees the big cat." / "Ra voro groda ru misk
      grodu mo videt."

    Apart from the construction, the pairs are drawn with the corpus's
    odds. No probe's source occurs in `corpus("train", seed)` or twice in
    the list, so accuracy on them measures generalisation.

    Args:
        num: Positive integer, how many probes in all. Defaults to `200`.
        seed: Non-negative integer, the seed of the corpus whose train split
            the probes avoid; the same seed gives the same probes. Defaults
            to `0`.

    Returns:
        A list of `num` `Probe`s.

    Example:

    >>> from gatedkeras.data import synthetic_parallel
    >>> probe = synthetic_parallel.probes(5)[4]
    >>> print(probe.construction, probe.source, probe.target, sep="\\n")
    gender_agreement
    These small dogs like these small houses.
    Sai voron milai sui lodin milui mo amot.
    """
    num = _check_int("num", num, 1)
    seed = _check_int("seed", seed, 0)
    _, train_sources = _splits(seed)
    sampler = _Sampler(_derived_rng("probes", seed))
    seen = set(train_sources)
    result = []
    while len(result) < num:
        construction = CONSTRUCTIONS[len(result) % len(CONSTRUCTIONS)]
        source, target = _sample_pair(
            lambda: _probe_sentence(sampler, construction)
        )
        if source not in seen:
            seen.add(source)
            result.append(Probe(source, target, construction))
    return result


def vocabulary(language):
    """The word forms of one language, lowercase, without the final ".".

    Args:
        language: `"lern"` (`SOURCE_LANGUAGE`) or `"tarn"`
            (`TARGET_LANGUAGE`).

    Returns:
        A sorted tuple of the distinct word forms the grammar can write.

    Example:

    >>> from gatedkeras.data import synthetic_parallel
    >>> len(synthetic_parallel.vocabulary("lern"))
    53
    >>> len(synthetic_parallel.vocabulary("tarn"))
    76
    """
    if language == SOURCE_LANGUAGE:
        words = {w for kind in _LERN_DETERMINERS for w in kind}
        words.update(w for noun in _NOUNS for w in noun.lern)
        words.update(lern for lern, _ in _ADJECTIVES)
        verbs = _INTRANSITIVE_VERBS + _TRANSITIVE_VERBS
        words.update(w for verb in verbs for w in verb.lern)
        words.update(lern for lern, _ in _ADPOSITIONS)
        words.add(_LERN_RELATIVE)
    elif language == TARGET_LANGUAGE:
        words = {
            w for kind in _TARN_DETERMINERS for gender in kind for w in gender
        }
        words.update(w for noun in _NOUNS for w in noun.tarn)
        words.update(
            _tarn_adjective(a, gender, number)
            for a in range(len(_ADJECTIVES))
            for gender in (_GENDER_A, _GENDER_B)
            for number in (_SINGULAR, _PLURAL)
        )
        verbs = _INTRANSITIVE_VERBS + _TRANSITIVE_VERBS
        words.update(w for verb in verbs for w in verb.tarn)
        words.update(tarn for _, tarn in _ADPOSITIONS)
        words.update((_TARN_RELATIVE, _TARN_OBJECT))
    else:
        raise ValueError(
            f"Argument `language` must be {SOURCE_LANGUAGE!r} or "
            f"{TARGET_LANGUAGE!r}. Received: language={language!r}"
        )
    return tuple(sorted(words))
