"""A synthetic English-like corpus with long-distance number agreement.

The offline default corpus of the language-model recipe: seeded, generated
in pure Python in well under a second, with no download and no TensorFlow.
Its sentences come from a small probabilistic context-free grammar whose
main verb agrees in number with its subject across nested (centre-embedded)
relative clauses:

    the dog that the cats near the house chase runs .

Here "runs" agrees with "dog", not with the nearer "cats" or "house". A
recurrent model can learn this; an n-gram model, which sees only the last
few tokens, cannot. Subject-verb agreement across intervening nouns of the
other number ("attractors") is the classic probe of whether a language model
tracks syntax: Linzen et al. 2016, "Assessing the ability of LSTMs to learn
syntax-sensitive dependencies"; Gulordava et al. 2018, "Colorless green
recurrent networks dream hierarchically". `agreement_probes` gives such
items drawn from the same grammar.

The grammar (`n`, `m` a number, singular or plural, drawn uniformly):

    S      -> NP[n] VP[n] "."
    NP[n]  -> Det[n] Adj{0,2} Noun[n] (RC[n] | PP)?
    PP     -> Prep Det[m] Adj{0,2} Noun[m]
    RC[n]  -> "that" VP[n]                 (subject relative)
            | "that" NP[m] VerbT[m]        (object relative, centre-embedded)
    VP[n]  -> VerbI[n] PP? | VerbT[n] NP[m]

A noun phrase takes a relative clause with probability 0.45 while it is
nested in fewer than `max_depth` relative clauses, else a prepositional
phrase with probability 0.2; so subjects with 0, 1, 2 and 3 nested relative
clauses all occur (about 55%, 29%, 10% and 6%). Determiners mark number
only some of the time ("the" is both); nouns (25 stems, some irregular:
"child"/"children", "mouse"/"mice") and verbs (8 intransitive, 10
transitive) always do. Sentences are lowercase words separated by single
spaces and end in " ."; the characters are lowercase letters, space, "."
and, in `corpus`, newline.
"""

import dataclasses
import functools
import numbers
import random

_SINGULAR, _PLURAL = 0, 1

# Consonant-initial adjectives and nouns, so "a" never needs to be "an".
_NOUNS = (
    ("dog", "dogs"),
    ("cat", "cats"),
    ("bird", "birds"),
    ("horse", "horses"),
    ("farmer", "farmers"),
    ("teacher", "teachers"),
    ("doctor", "doctors"),
    ("pilot", "pilots"),
    ("girl", "girls"),
    ("boy", "boys"),
    ("king", "kings"),
    ("queen", "queens"),
    ("house", "houses"),
    ("tree", "trees"),
    ("garden", "gardens"),
    ("car", "cars"),
    ("box", "boxes"),
    ("fox", "foxes"),
    ("church", "churches"),
    ("baby", "babies"),
    ("city", "cities"),
    ("child", "children"),
    ("man", "men"),
    ("woman", "women"),
    ("mouse", "mice"),
)
_INTRANSITIVE_VERBS = (
    ("runs", "run"),
    ("sleeps", "sleep"),
    ("sings", "sing"),
    ("smiles", "smile"),
    ("laughs", "laugh"),
    ("waits", "wait"),
    ("falls", "fall"),
    ("cries", "cry"),
)
_TRANSITIVE_VERBS = (
    ("chases", "chase"),
    ("sees", "see"),
    ("likes", "like"),
    ("follows", "follow"),
    ("watches", "watch"),
    ("knows", "know"),
    ("helps", "help"),
    ("pushes", "push"),
    ("finds", "find"),
    ("hears", "hear"),
)
_ADJECTIVES = (
    "big",
    "small",
    "red",
    "happy",
    "quiet",
    "tall",
    "brown",
    "lazy",
    "young",
    "clever",
    "black",
    "noisy",
)
_PREPOSITIONS = ("near", "behind", "beside", "under", "above")
# "the" serves both numbers; the others mark number, as in English.
_SHARED_DETERMINER = "the"
_DETERMINERS = (("a", "this", "every"), ("some", "these", "many"))

_P_THE = 0.6
_P_ONE_ADJECTIVE = 0.25
_P_TWO_ADJECTIVES = 0.08
_P_RELATIVE = 0.45
_P_PREPOSITION = 0.2
_P_OBJECT_RELATIVE = 0.5
_P_TRANSITIVE = 0.6
_P_VERB_PREPOSITION = 0.25

_NOUN_NUMBER = {
    form: number for pair in _NOUNS for number, form in enumerate(pair)
}

# Characters per split; the test and valid splits are a tenth of train, as
# in the Penn Treebank language-modelling split.
_SPLIT_SIZES = {"train": 300_000, "valid": 30_000, "test": 30_000}
_MAX_DEPTH = 3


@dataclasses.dataclass(frozen=True)
class AgreementProbe:
    """A sentence prefix that ends right before its main verb.

    Args:
        prefix: the words from the start of the sentence up to and
            including the space before the main verb.
        correct: the main verb in the number of the subject.
        wrong: the same verb in the other number.
        depth: how many nested relative clauses lie between the subject
            and the main verb.
    """

    prefix: str
    correct: str
    wrong: str
    depth: int


class _Generator:
    """Samples the grammar with one `random.Random`.

    `chain`, where given, is the exact number of relative clauses still to
    nest inside a phrase: `agreement_probes` uses it to sample subjects of a
    given depth directly instead of by rejection. `None` samples freely.
    """

    def __init__(self, rng, max_depth):
        self.rng = rng
        self.max_depth = max_depth

    def number(self):
        return _PLURAL if self.rng.random() < 0.5 else _SINGULAR

    def sentence(self):
        words = []
        number = self.number()
        self.noun_phrase(number, 0, words)
        self.verb_phrase(number, 0, words)
        words.append(".")
        return " ".join(words)

    def simple_noun_phrase(self, number, words):
        rng = self.rng
        if rng.random() < _P_THE:
            words.append(_SHARED_DETERMINER)
        else:
            words.append(rng.choice(_DETERMINERS[number]))
        r = rng.random()
        if r < _P_TWO_ADJECTIVES:
            words.extend(rng.sample(_ADJECTIVES, 2))
        elif r < _P_TWO_ADJECTIVES + _P_ONE_ADJECTIVE:
            words.append(rng.choice(_ADJECTIVES))
        words.append(rng.choice(_NOUNS)[number])

    def noun_phrase(self, number, depth, words, chain=None):
        self.simple_noun_phrase(number, words)
        if chain is None:
            r = self.rng.random()
            if r < _P_RELATIVE:
                if depth < self.max_depth:
                    self.relative_clause(number, depth + 1, words)
            elif r < _P_RELATIVE + _P_PREPOSITION:
                self.prepositional_phrase(words)
        elif chain > 0:
            self.relative_clause(number, depth + 1, words, chain - 1)
        elif self.rng.random() < _P_PREPOSITION / (1 - _P_RELATIVE):
            self.prepositional_phrase(words)

    def prepositional_phrase(self, words):
        words.append(self.rng.choice(_PREPOSITIONS))
        self.simple_noun_phrase(self.number(), words)

    def relative_clause(self, number, depth, words, chain=None):
        words.append("that")
        if self.rng.random() < _P_OBJECT_RELATIVE:
            inner = self.number()
            self.noun_phrase(inner, depth, words, chain)
            words.append(self.rng.choice(_TRANSITIVE_VERBS)[inner])
        else:
            self.verb_phrase(number, depth, words, chain)

    def verb_phrase(self, number, depth, words, chain=None):
        rng = self.rng
        # A chain that must go on needs an object to carry it.
        if (chain is not None and chain > 0) or rng.random() < _P_TRANSITIVE:
            words.append(rng.choice(_TRANSITIVE_VERBS)[number])
            self.noun_phrase(self.number(), depth, words, chain)
        else:
            words.append(rng.choice(_INTRANSITIVE_VERBS)[number])
            if rng.random() < _P_VERB_PREPOSITION:
                self.prepositional_phrase(words)


def _check_int(name, value, minimum):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(
            f"Argument `{name}` must be {kind} integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def _derived_rng(purpose, seed):
    # A string seed is hashed with SHA-512 by `random.Random`, so each
    # (purpose, seed) pair gets its own stream, stable across platforms and
    # Python runs, and unrelated to `random.Random(seed)` used by `generate`.
    return random.Random(f"gatedkeras.synthetic_text:{purpose}:{seed}")


def generate(num_sentences, seed=0, max_depth=_MAX_DEPTH):
    """Samples sentences from the grammar.

    Args:
        num_sentences: Positive integer, how many sentences to sample.
        seed: Non-negative integer; the same seed gives the same sentences.
            Defaults to `0`.
        max_depth: Non-negative integer, the most relative clauses that may
            nest inside each other; `0` gives no relative clauses. Defaults
            to `3`.

    Returns:
        A list of `num_sentences` strings, each a sentence of lowercase
        words separated by single spaces ending in `" ."`, without newline.

    Example:

    >>> from gatedkeras.data import synthetic_text
    >>> synthetic_text.generate(2, seed=1)
    ['some lazy mice that sleep fall .', 'the woman sees the young big house .']
    """
    num_sentences = _check_int("num_sentences", num_sentences, 1)
    seed = _check_int("seed", seed, 0)
    max_depth = _check_int("max_depth", max_depth, 0)
    generator = _Generator(random.Random(seed), max_depth)
    return [generator.sentence() for _ in range(num_sentences)]


@functools.lru_cache(maxsize=6)
def _corpus(split, seed):
    generator = _Generator(_derived_rng(split, seed), _MAX_DEPTH)
    target = _SPLIT_SIZES[split]
    lines = []
    size = 0
    while size < target:
        line = generator.sentence()
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def corpus(split="train", seed=0):
    """The text of one split of the corpus.

    Each split samples the grammar (with `max_depth=3`) from its own random
    stream, derived from `(split, seed)` by hashing, so the splits are
    independent samples of one distribution: no split is a shifted or
    shared part of another's stream. Short sentences (such as
    "the dog runs .") are frequent under the grammar and so recur across
    splits by chance, as they would in any two samples; removing them would
    bias the held-out estimate of the grammar's entropy. About 2% of the
    valid and test sentences also occur in train, all of them short: over
    seeds 0 to 29 none had more than 5 words.

    Args:
        split: `"train"` (about 300,000 characters), `"valid"` or `"test"`
            (about 30,000 characters each). Defaults to `"train"`.
        seed: Non-negative integer; the same seed gives the same text.
            Defaults to `0`.

    Returns:
        A string of sentences, one per line, each line ending in `"\\n"`.

    Example:

    >>> from gatedkeras.data import synthetic_text
    >>> text = synthetic_text.corpus("valid")
    >>> len(text) > 30_000, text.endswith(" .\\n")
    (True, True)
    """
    if split not in _SPLIT_SIZES:
        raise ValueError(
            "Argument `split` must be one of ('train', 'valid', 'test'). "
            f"Received: split={split!r}"
        )
    return _corpus(split, _check_int("seed", seed, 0))


def agreement_probes(num_probes=200, depth=1, seed=0):
    """Subject-verb agreement probes drawn from the grammar.

    Each probe is a sentence prefix made of a subject noun phrase with
    exactly `depth` relative clauses nested in it, ending before the main
    verb. For `depth >= 1` the last noun before the verb (the attractor) has
    the other number from the subject, so a model that agrees with the
    nearest noun chooses the wrong verb. The subject is singular in
    even-numbered probes and plural in odd-numbered ones, so that always
    choosing one number scores exactly one half (for even `num_probes`).

    The prefixes are sampled with the corpus's probabilities, except that
    every phrase on the path from the subject to the innermost clause takes
    a relative clause (an object relative, or a subject relative with a
    transitive verb, which carries the path on in its object), and that
    prefixes whose attractor has the subject's number are drawn again. A
    `depth` above 3, the corpus's `max_depth`, gives nesting never seen in
    training.

    Args:
        num_probes: Positive integer, how many probes. Defaults to `200`.
        depth: Non-negative integer, the number of nested relative clauses
            between the subject and the main verb. Defaults to `1`.
        seed: Non-negative integer; the same seed gives the same probes.
            Defaults to `0`.

    Returns:
        A list of `num_probes` `AgreementProbe`s.

    Example:

    >>> from gatedkeras.data import synthetic_text
    >>> probe = synthetic_text.agreement_probes(1, depth=1, seed=1)[0]
    >>> probe.prefix, probe.correct, probe.wrong
    ('the happy garden that the mice chase ', 'hears', 'hear')
    """
    num_probes = _check_int("num_probes", num_probes, 1)
    depth = _check_int("depth", depth, 0)
    seed = _check_int("seed", seed, 0)
    rng = _derived_rng(f"probes:{depth}", seed)
    generator = _Generator(rng, depth)
    probes = []
    while len(probes) < num_probes:
        number = _PLURAL if len(probes) % 2 else _SINGULAR
        words = []
        generator.noun_phrase(number, 0, words, chain=depth)
        if depth >= 1:
            attractor = next(w for w in reversed(words) if w in _NOUN_NUMBER)
            if _NOUN_NUMBER[attractor] == number:
                continue
        if rng.random() < _P_TRANSITIVE:
            verb = rng.choice(_TRANSITIVE_VERBS)
        else:
            verb = rng.choice(_INTRANSITIVE_VERBS)
        probes.append(
            AgreementProbe(
                prefix=" ".join(words) + " ",
                correct=verb[number],
                wrong=verb[1 - number],
                depth=depth,
            )
        )
    return probes
