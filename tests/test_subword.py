"""The shared subword tokenizer: training, round trips, special ids,
decoder outputs, unseen text, config round trip and bad input; and, where
../shared/data has it, a vocabulary trained on Multi30k."""

import base64
import gzip
import io
import json
import os
import random

import numpy as np
import pytest
import sentencepiece

from gatedkeras.data.subword import SubwordTokenizer

MULTI30K = os.path.join(
    os.path.dirname(__file__),
    "..",
    "..",
    "shared",
    "data",
    "multi30k",
    "task1",
    "raw",
)

_GERMAN = {
    "subjects": [
        "Ein Mädchen",
        "Ein Junge",
        "Eine Frau",
        "Ein älterer Mann",
        "Zwei Hunde",
        "Ein Künstler",
    ],
    "verbs": ["läuft", "spielt", "schläft", "wartet", "tanzt", "grüßt"],
    "places": [
        "über die Straße",
        "vor dem Gebäude",
        "im Grünen",
        "an der Brücke",
        "neben einem Fahrrad",
        "auf dem Bürgersteig",
    ],
}
_ENGLISH = {
    "subjects": [
        "A girl",
        "A boy",
        "A woman",
        "An older man",
        "Two dogs",
        "An artist",
    ],
    "verbs": ["runs", "plays", "sleeps", "waits", "dances", "waves"],
    "places": [
        "across the street",
        "in front of the building",
        "in the park",
        "at the bridge",
        "next to a bicycle",
        "on the sidewalk",
    ],
}


def _sentences(words, rng, count):
    sentences = []
    for _ in range(count):
        subject = rng.choice(words["subjects"])
        verb = rng.choice(words["verbs"])
        place = rng.choice(words["places"])
        end = rng.choice([".", ".", "!", "?"])
        sentences.append(f"{subject} {verb} {place}{end}")
    return sentences


def _corpus(count=200, seed=0):
    """German- and English-like caption pairs, with umlauts and ß."""
    rng = random.Random(seed)
    return _sentences(_GERMAN, rng, count) + _sentences(_ENGLISH, rng, count)


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def tokenizer(corpus):
    return SubwordTokenizer.train(corpus, vocabulary_size=120)


def _pieces(tokenizer):
    processor = sentencepiece.SentencePieceProcessor()
    processor.LoadFromSerializedProto(
        base64.b64decode(tokenizer.get_config()["model"])
    )
    return [processor.id_to_piece(i) for i in range(tokenizer.vocabulary_size)]


def test_train_is_deterministic(corpus):
    first = SubwordTokenizer.train(corpus, vocabulary_size=120, seed=3)
    second = SubwordTokenizer.train(list(corpus), vocabulary_size=120, seed=3)
    assert first.get_config() == second.get_config()
    bpe = [
        SubwordTokenizer.train(corpus, vocabulary_size=120, model_type="bpe")
        for _ in range(2)
    ]
    assert bpe[0].get_config() == bpe[1].get_config()


def test_train_writes_no_files(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    SubwordTokenizer.train(corpus, vocabulary_size=80)
    assert list(tmp_path.iterdir()) == []


def test_train_takes_any_iterable(corpus):
    from_generator = SubwordTokenizer.train(
        (line for line in corpus), vocabulary_size=120
    )
    from_list = SubwordTokenizer.train(corpus, vocabulary_size=120)
    assert from_generator.get_config() == from_list.get_config()


def test_round_trip(tokenizer, corpus):
    for sentence in corpus[:50] + corpus[-50:]:
        ids = tokenizer.encode(sentence)
        assert ids.dtype == np.int32
        assert ids.ndim == 1 and ids.size > 0
        assert tokenizer.decode(ids) == sentence
    # Words never seen, from characters that were.
    unseen = "Eine Bürgerin grüßt ältere Tänzer an der Straßenbrücke?"
    assert tokenizer.decode(tokenizer.encode(unseen)) == unseen
    assert tokenizer.decode(tokenizer.encode("")) == ""


def test_subwords_are_shorter_than_characters(tokenizer, corpus):
    # A subword vocabulary merges frequent character runs: fewer ids than
    # characters, at least one per word.
    lengths, characters = 0, 0
    for sentence in corpus[:20] + corpus[-20:]:
        length = tokenizer.encode(sentence).size
        assert len(sentence.split()) <= length < len(sentence)
        lengths, characters = lengths + length, characters + len(sentence)
    assert lengths < 0.6 * characters


def test_encode_batch(tokenizer, corpus):
    batch = tokenizer.encode(corpus[:5])
    assert isinstance(batch, list) and len(batch) == 5
    for sentence, ids in zip(corpus[:5], batch):
        np.testing.assert_array_equal(ids, tokenizer.encode(sentence))
    assert tokenizer.decode(batch) == corpus[:5]
    assert tokenizer.encode([]) == []


def test_special_ids(tokenizer, corpus):
    assert tokenizer.pad_id == 0
    assert tokenizer.unknown_id == 1
    assert tokenizer.start_id == 2
    assert tokenizer.end_id == 3
    assert _pieces(tokenizer)[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    # `encode` adds none of them, and known text needs no unknown id.
    ids = np.concatenate(tokenizer.encode(corpus))
    assert ids.min() >= 4
    assert ids.max() < tokenizer.vocabulary_size


def test_decode_drops_padding_and_stops_at_end(tokenizer, corpus):
    ids = tokenizer.encode(corpus[0])
    start, end, pad = tokenizer.start_id, tokenizer.end_id, tokenizer.pad_id
    other = tokenizer.encode(corpus[1])
    decoder_output = [start, *ids, end, *other, end, pad, pad]
    assert tokenizer.decode(decoder_output) == corpus[0]
    assert tokenizer.decode(np.array(decoder_output)) == corpus[0]
    # A padded 2-D batch, one row per sentence; a row that never ends.
    width = max(ids.size, other.size) + 3
    batch = np.zeros((2, width), "int32")
    batch[0, : ids.size + 1] = [*ids, end]
    batch[1, : other.size] = other
    assert tokenizer.decode(batch) == [corpus[0], corpus[1]]
    assert tokenizer.decode([[end, *ids], [pad, pad]]) == ["", ""]
    assert tokenizer.decode([]) == ""


def test_unknown_characters_map_to_unknown_id(tokenizer):
    text = "Ein Mädchen sagt Привет 😀 und 你好."
    ids = tokenizer.encode(text)
    assert tokenizer.unknown_id in ids.tolist()
    decoded = tokenizer.decode(ids)
    assert decoded.startswith("Ein Mädchen sagt")
    assert "⁇" in decoded
    assert "😀" not in decoded
    assert decoded.endswith(" und  ⁇ .")
    # The pieces keep the surface of what is unknown, for plots.
    pieces = tokenizer.tokens(text)
    assert len(pieces) == ids.size
    assert "Привет" in pieces and "😀" in pieces


def test_text_is_normalised(tokenizer):
    # Extra spaces, tabs, line breaks and no-break spaces collapse to one
    # space; a decomposed umlaut (u + U+0308) composes to "ü" (NFKC).
    messy = "  Ein\u00a0Mädchen\tläuft \n über  die Stra\u00dfe.  "
    assert tokenizer.decode(tokenizer.encode(messy)) == (
        "Ein Mädchen läuft über die Straße."
    )
    decomposed = "Ein Mädchen la\u0308uft u\u0308ber die Straße."
    np.testing.assert_array_equal(
        tokenizer.encode(decomposed),
        tokenizer.encode("Ein Mädchen läuft über die Straße."),
    )


def test_tokens(tokenizer, corpus):
    for sentence in corpus[:10]:
        pieces = tokenizer.tokens(sentence)
        assert all(isinstance(piece, str) for piece in pieces)
        assert len(pieces) == tokenizer.encode(sentence).size
        assert "".join(pieces).replace("▁", " ").strip() == sentence
        assert pieces[0].startswith("▁")


def test_config_json_round_trip(tokenizer, corpus):
    config = tokenizer.get_config()
    assert set(config) == {"model"}
    assert isinstance(config["model"], str)
    restored = SubwordTokenizer.from_config(json.loads(json.dumps(config)))
    from_bytes = SubwordTokenizer(base64.b64decode(config["model"]))
    for other in (restored, from_bytes):
        assert other.vocabulary_size == tokenizer.vocabulary_size
        assert other.get_config() == config
        for left, right in zip(other.encode(corpus), tokenizer.encode(corpus)):
            np.testing.assert_array_equal(left, right)
        assert other.tokens(corpus[0]) == tokenizer.tokens(corpus[0])


def test_vocabulary_size(corpus):
    # The corpus has fewer pieces than asked: a smaller vocabulary, not an
    # error (`hard_vocab_limit=False`).
    for model_type in ("unigram", "bpe"):
        small = SubwordTokenizer.train(corpus, model_type=model_type)
        assert 4 + 30 < small.vocabulary_size < 8000
        assert len(set(_pieces(small))) == small.vocabulary_size
        exact = SubwordTokenizer.train(
            corpus, vocabulary_size=60, model_type=model_type
        )
        assert exact.vocabulary_size == 60
        sentence = corpus[0]
        assert exact.decode(exact.encode(sentence)) == sentence
        # Fewer pieces: longer encodings.
        assert exact.encode(sentence).size >= small.encode(sentence).size


def test_character_coverage_below_one_leaves_rare_characters_out():
    corpus = ["aaaa bbbb aaab"] * 200 + ["q"]
    full = SubwordTokenizer.train(corpus, vocabulary_size=20)
    partial = SubwordTokenizer.train(
        corpus, vocabulary_size=20, character_coverage=0.99
    )
    assert full.unknown_id not in full.encode("q").tolist()
    assert partial.unknown_id in partial.encode("q").tolist()


@pytest.mark.parametrize(
    "texts, options, match",
    [
        ([], {}, "without text"),
        (["", "   ", "\n"], {}, "without text"),
        ("Ein Hund läuft.", {}, "not one string"),
        (["Ein Hund läuft.", 3], {}, "Python strings"),
        ([b"Ein Hund"], {}, "Python strings"),
        (_corpus(20), {"model_type": "wordpiece"}, "model_type="),
        (_corpus(20), {"vocabulary_size": 4}, "vocabulary_size="),
        (_corpus(20), {"vocabulary_size": 60.0}, "vocabulary_size="),
        (_corpus(20), {"vocabulary_size": 10}, "required_chars"),
        (_corpus(20), {"character_coverage": 0}, "character_coverage="),
        (_corpus(20), {"character_coverage": 1.5}, "character_coverage="),
    ],
)
def test_train_rejects_bad_input(texts, options, match):
    with pytest.raises(ValueError, match=match):
        SubwordTokenizer.train(texts, **options)


@pytest.mark.parametrize(
    "model, match",
    [
        ("not base64!", "not base64"),
        ("Zm9v", "do not parse"),
        (b"garbage", "do not parse"),
        (12, "Received: model=<class 'int'>"),
    ],
)
def test_constructor_rejects_bad_models(model, match):
    with pytest.raises(ValueError, match=match):
        SubwordTokenizer(model)


def test_constructor_rejects_other_special_ids(corpus):
    writer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=writer,
        vocab_size=60,
        minloglevel=2,
    )
    with pytest.raises(ValueError, match=r"\(pad, unk, bos, eos\)"):
        SubwordTokenizer(writer.getvalue())


def test_bad_encode_and_decode_input(tokenizer):
    with pytest.raises(ValueError, match="Python str"):
        tokenizer.encode(5)
    with pytest.raises(ValueError, match="Python str"):
        tokenizer.encode(["Ein Hund", b"bytes"])
    with pytest.raises(ValueError, match="Python str"):
        tokenizer.tokens(["Ein Hund"])
    with pytest.raises(ValueError, match="Expected ids in"):
        tokenizer.decode([5, tokenizer.vocabulary_size])
    with pytest.raises(ValueError, match="Expected ids in"):
        tokenizer.decode([-1])
    with pytest.raises(ValueError, match="integer ids"):
        tokenizer.decode(np.array([4.0, 5.0]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        tokenizer.decode(np.zeros((2, 2, 2), "int32"))


def _read_lines(name):
    with gzip.open(os.path.join(MULTI30K, name), "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@pytest.mark.skipif(
    not os.path.isdir(MULTI30K),
    reason="Multi30k is not in ../shared/data/multi30k/task1/raw",
)
def test_multi30k_shared_vocabulary():
    german = _read_lines("train.de.gz")
    english = _read_lines("train.en.gz")
    tokenizer = SubwordTokenizer.train(german + english, vocabulary_size=8000)
    assert tokenizer.vocabulary_size == 8000
    restored = SubwordTokenizer.from_config(
        json.loads(json.dumps(tokenizer.get_config()))
    )
    for language in ("de", "en"):
        lines = _read_lines(f"val.{language}.gz")[:100]
        ids = restored.encode(lines)
        assert all(tokenizer.unknown_id not in row.tolist() for row in ids)
        decoded = restored.decode(ids)
        for line, text in zip(lines, decoded):
            # Exact, but for the odd double or no-break space.
            assert text == " ".join(line.split())
        # Words of the training language are mostly whole pieces.
        pieces = sum(row.size for row in ids)
        words = sum(len(line.split()) for line in lines)
        assert words <= pieces < 1.6 * words
