"""The parallel text sources of the translation recipe: the synthetic corpus,
Multi30k-layout folders (plain and gzipped), dicts of split files and TFDS
under `tfds.testing.mock_data`; and the errors that name the bad file."""

import gzip
import os
import pathlib
import types

import pytest

from gatedkeras.data import parallel
from gatedkeras.data import synthetic_parallel
from gatedkeras.data.parallel import Pairs

MULTI30K = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "multi30k",
    "task1", "raw",
)  # fmt: skip
TED = "ted_hrlr_translate/pt_to_en"

GERMAN = ["Ein Hund läuft.", "Zwei  Katzen schlafen.", "Ein Kind liest."]
ENGLISH = ["A dog runs.", "Two  cats sleep.", "A child reads."]


def _write(path, lines, gz=False, end="\n"):
    """Writes `lines`, one a line, plain or gzipped; returns the path."""
    data = ("\n".join(lines) + end).encode("utf-8")
    path = str(path) + (".gz" if gz else "")
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    return path


def _multi30k(folder, splits=("train", "val", "test_2016_flickr"), gz=False):
    """A tiny folder in the Multi30k layout: `<split>.de` and `<split>.en`.

    Each split's sentences are tagged with its name, so a test can tell
    which files were read.
    """
    os.makedirs(folder, exist_ok=True)
    for split in splits:
        _write(folder / f"{split}.de", [f"{split}: {s}" for s in GERMAN], gz)
        _write(folder / f"{split}.en", [f"{split}: {s}" for s in ENGLISH], gz)
    return str(folder)


# --- synthetic ---------------------------------------------------------------


def _stand_in(monkeypatch):
    """Puts a minimal `synthetic_parallel` with the real one's interface in
    its place, so the plumbing is checked apart from the generator."""
    module = types.ModuleType("gatedkeras.data.synthetic_parallel")
    module.SOURCE_LANGUAGE = "lern"
    module.TARGET_LANGUAGE = "tarn"
    sizes = {"train": 5, "valid": 3, "test": 2}

    def corpus(split, seed=0):
        return [
            (f"src {split} {seed} {i}", f"tgt {split} {seed} {i}")
            for i in range(sizes[split])
        ]

    module.corpus = corpus
    monkeypatch.setattr(parallel, "synthetic_parallel", module)
    return module


def test_synthetic_reads_every_split_with_its_seed(monkeypatch):
    _stand_in(monkeypatch)
    splits = parallel.load("synthetic", seed=7)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (5, 3, 2)
    assert splits.train.sources[0] == "src train 7 0"
    assert splits.train.targets[0] == "tgt train 7 0"
    assert splits.valid.sources[-1] == "src valid 7 2"
    assert splits.test.targets[1] == "tgt test 7 1"
    assert (splits.source_language, splits.target_language) == ("lern", "tarn")
    assert "seed 7" in splits.source
    # Naming the corpus's own languages is allowed.
    same = parallel.load("synthetic", "lern", "tarn", seed=7)
    assert same.train == splits.train


@pytest.mark.parametrize(
    "languages", [("de", "en"), ("tarn", "lern"), ("lern", "en"), (None, "x")]
)
def test_synthetic_refuses_other_languages(monkeypatch, languages):
    _stand_in(monkeypatch)
    with pytest.raises(ValueError, match="translates 'lern' into 'tarn'"):
        parallel.load("synthetic", *languages)


def test_synthetic_refuses_a_test_split(monkeypatch):
    _stand_in(monkeypatch)
    with pytest.raises(ValueError, match="test_split='test_2017_mscoco'"):
        parallel.load("synthetic", test_split="test_2017_mscoco")


def test_the_real_synthetic_corpus():
    splits = parallel.load("synthetic")
    assert splits.source_language == synthetic_parallel.SOURCE_LANGUAGE
    assert splits.target_language == synthetic_parallel.TARGET_LANGUAGE
    assert len(splits.train) > len(splits.valid) > 0
    assert len(splits.test) > 0
    for pairs in (splits.train, splits.valid, splits.test):
        assert all(isinstance(s, str) and s for s in pairs.sources)
        assert all(isinstance(t, str) and t for t in pairs.targets)
    rows = synthetic_parallel.corpus("valid", seed=0)
    assert splits.valid.sources == [source.strip() for source, _ in rows]


# --- Multi30k-layout folders -------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_folder_in_the_multi30k_layout(tmp_path, gz):
    folder = _multi30k(tmp_path / "m30k", gz=gz)
    splits = parallel.load(folder, "de", "en")
    assert splits.train.sources == [f"train: {s}" for s in GERMAN]
    assert splits.train.targets == [f"train: {s}" for s in ENGLISH]
    assert splits.valid.sources[0] == "val: Ein Hund läuft."
    assert splits.test.targets[2] == "test_2016_flickr: A child reads."
    assert (splits.source_language, splits.target_language) == ("de", "en")
    assert folder in splits.source
    assert "de -> en" in splits.source
    assert "test_2016_flickr" in splits.source


def test_folder_reads_the_other_direction(tmp_path):
    folder = _multi30k(tmp_path / "m30k", gz=True)
    splits = parallel.load(folder, "en", "de")
    assert splits.train.sources == [f"train: {s}" for s in ENGLISH]
    assert splits.train.targets == [f"train: {s}" for s in GERMAN]
    assert "en -> de" in splits.source


def test_folder_mixes_plain_and_gzipped_files(tmp_path):
    folder = tmp_path / "m30k"
    _multi30k(folder, splits=("train",), gz=True)
    _multi30k(folder, splits=("val",), gz=False)
    splits = parallel.load(str(folder), "de", "en")
    assert len(splits.train) == len(splits.valid) == 3
    assert splits.test is None


def test_lines_are_stripped_and_blank_pairs_dropped(tmp_path):
    folder = tmp_path / "m30k"
    os.makedirs(folder)
    # Windows line ends and surrounding spaces on one side, a blank line on
    # both, no final newline on the other: the same two pairs.
    (folder / "train.de").write_bytes(b"  Ein  Hund \r\n\r\n\tZwei\r\n")
    _write(folder / "train.en", ["A  dog", "   ", "Two"], gz=True, end="")
    _multi30k(folder, splits=("val",))
    splits = parallel.load(str(folder), "de", "en")
    assert splits.train.sources == ["Ein  Hund", "Zwei"]
    assert splits.train.targets == ["A  dog", "Two"]


def test_only_a_newline_ends_a_line(tmp_path):
    folder = tmp_path / "m30k"
    _multi30k(folder, splits=("val",))
    # U+2028 inside a sentence must not cut it into two lines.
    _write(folder / "train.de", ["Ein\u2028Hund", "Zwei"])
    _write(folder / "train.en", ["A dog", "Two"])
    splits = parallel.load(str(folder), "de", "en")
    assert splits.train.sources == ["Ein\u2028Hund", "Zwei"]


@pytest.mark.parametrize(
    "valid_name, test_names, test_split, expected_test",
    [
        ("valid", ("test",), None, "test"),
        ("dev", ("test", "test_2016_flickr"), None, "test_2016_flickr"),
        ("val", ("test_2017_mscoco",), None, None),
        ("val", ("test_2016_flickr", "test_2017_mscoco"), "test_2017_mscoco",
         "test_2017_mscoco"),
    ],
)  # fmt: skip
def test_folder_finds_the_validation_and_test_splits(
    tmp_path, valid_name, test_names, test_split, expected_test
):
    folder = _multi30k(
        tmp_path / "m30k", splits=("train", valid_name) + test_names
    )
    splits = parallel.load(folder, "de", "en", test_split=test_split)
    assert splits.valid.sources[0].startswith(f"{valid_name}: ")
    if expected_test is None:
        assert splits.test is None
    else:
        assert splits.test.sources[0].startswith(f"{expected_test}: ")
        assert expected_test in splits.source
    assert f"train, {valid_name}" in splits.source


def test_folder_infers_the_other_language_of_two(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    splits = parallel.load(folder, target_language="de")
    assert (splits.source_language, splits.target_language) == ("en", "de")
    splits = parallel.load(folder, source_language="de")
    assert (splits.source_language, splits.target_language) == ("de", "en")


def test_folder_asks_for_the_languages(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    with pytest.raises(ValueError, match=r"\['de', 'en'\].*source_language"):
        parallel.load(folder)
    # With three languages one code does not settle the other.
    _write(tmp_path / "m30k" / "train.fr", ["Un chien."])
    with pytest.raises(ValueError, match=r"\['de', 'en', 'fr'\]"):
        parallel.load(folder, source_language="de")


@pytest.mark.skipif(
    not os.path.isdir(MULTI30K),
    reason=f"Multi30k task 1 is not in {os.path.normpath(MULTI30K)}",
)
def test_the_real_multi30k():
    splits = parallel.load(MULTI30K, "de", "en")
    assert len(splits.train) == 29_000
    assert len(splits.valid) == 1_014
    assert len(splits.test) == 1_000
    assert splits.train.sources[0] == (
        "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche."
    )
    assert splits.train.targets[0] == (
        "Two young, White males are outside near many bushes."
    )
    assert "test_2016_flickr" in splits.source
    mscoco = parallel.load(MULTI30K, "en", "de", test_split="test_2017_mscoco")
    assert len(mscoco.test) == 461
    assert mscoco.train.sources == splits.train.targets


# --- dicts of split files ----------------------------------------------------


def test_dict_of_split_files(tmp_path):
    paths = {
        "train": (
            _write(tmp_path / "a.src", GERMAN),
            _write(tmp_path / "a.tgt", ENGLISH, gz=True),
        ),
        "valid": (
            _write(tmp_path / "b.src", GERMAN[:2]),
            _write(tmp_path / "b.tgt", ENGLISH[:2]),
        ),
        "test": (
            pathlib.Path(_write(tmp_path / "c.src", GERMAN[:1])),
            pathlib.Path(_write(tmp_path / "c.tgt", ENGLISH[:1])),
        ),
    }
    splits = parallel.load(paths)
    assert splits.train == Pairs(GERMAN, ENGLISH)
    assert splits.valid == Pairs(GERMAN[:2], ENGLISH[:2])
    assert splits.test == Pairs(GERMAN[:1], ENGLISH[:1])
    assert (splits.source_language, splits.target_language) == (
        "source",
        "target",
    )
    assert paths["train"][1] in splits.source

    without_test = {"train": paths["train"], "valid": paths["valid"]}
    splits = parallel.load(without_test, "de", "en")
    assert splits.test is None
    assert (splits.source_language, splits.target_language) == ("de", "en")
    assert parallel.load({**without_test, "test": None}).test is None


@pytest.mark.parametrize(
    "data, match",
    [
        ({"train": ("a", "b")}, "must name 'train' and 'valid'"),
        ({"train": 1, "valid": 2, "dev": 3}, "must name 'train' and 'valid'"),
        ({"train": ("a",), "valid": ("a", "b")}, r"data\['train'\]=\('a',\)"),
    ],
)
def test_dict_of_split_files_refuses_bad_shapes(data, match):
    with pytest.raises(ValueError, match=match):
        parallel.load(data)


# --- errors ------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_mismatched_line_counts(tmp_path, gz):
    folder = _multi30k(tmp_path / "m30k", gz=gz)
    short = _write(tmp_path / "m30k" / "val.en", ENGLISH[:2], gz)
    with pytest.raises(ValueError) as info:
        parallel.load(folder, "de", "en")
    message = str(info.value)
    assert "val.de" in message and "has 3 lines" in message
    assert f"{short!r} has 2" in message


def test_a_line_empty_on_one_side(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    target = _write(tmp_path / "m30k" / "train.en", ["A dog.", " ", "Kid."])
    with pytest.raises(ValueError) as info:
        parallel.load(folder, "de", "en")
    assert f"Line 2 is empty in {target!r}" in str(info.value)
    assert "line=2" in str(info.value)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_an_empty_file(tmp_path, gz):
    folder = _multi30k(tmp_path / "m30k", gz=gz)
    empty = _write(tmp_path / "m30k" / "val.de", [], gz, end="")
    with pytest.raises(ValueError, match="empty") as info:
        parallel.load(folder, "de", "en")
    assert repr(empty) in str(info.value)


def test_a_missing_validation_split(tmp_path):
    folder = _multi30k(tmp_path / "m30k", splits=("train", "test"))
    with pytest.raises(FileNotFoundError, match="no validation files") as info:
        parallel.load(folder, "de", "en")
    for name in ("val.de", "val.en.gz", "valid.de", "dev.en.gz"):
        assert repr(os.path.join(folder, name)) in str(info.value)


def test_half_a_split(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    os.remove(os.path.join(folder, "test_2016_flickr.en"))
    expected = repr(os.path.join(folder, "test_2016_flickr.en.gz"))
    with pytest.raises(FileNotFoundError, match="no 'en' file") as info:
        parallel.load(folder, "de", "en")
    assert expected in str(info.value)


def test_languages_without_files(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    with pytest.raises(FileNotFoundError) as info:
        parallel.load(folder, "fr", "es")
    message = str(info.value)
    assert repr(os.path.join(folder, "train.fr")) in message
    assert repr(os.path.join(folder, "train.es.gz")) in message
    assert "['de', 'en']" in message


def test_a_test_split_that_is_not_there(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    with pytest.raises(FileNotFoundError, match="'test_2018_flickr'") as info:
        parallel.load(folder, "de", "en", test_split="test_2018_flickr")
    assert repr(os.path.join(folder, "test_2018_flickr.de")) in str(info.value)


def test_a_folder_without_training_files(tmp_path):
    folder = _multi30k(tmp_path / "m30k", splits=("val",))
    with pytest.raises(FileNotFoundError, match="no training files"):
        parallel.load(folder, "de", "en")


def test_a_split_both_plain_and_gzipped(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    _write(tmp_path / "m30k" / "train.de", GERMAN, gz=True)
    with pytest.raises(ValueError, match=r"train\.de\.gz' exist"):
        parallel.load(folder, "de", "en")


def test_missing_files_in_a_dict(tmp_path):
    train = (_write(tmp_path / "s", GERMAN), _write(tmp_path / "t", ENGLISH))
    missing = str(tmp_path / "nowhere.gz")
    with pytest.raises(FileNotFoundError, match="nowhere.gz"):
        parallel.load({"train": train, "valid": (train[0], missing)})


def test_files_that_are_not_text(tmp_path):
    train = (_write(tmp_path / "s", GERMAN), _write(tmp_path / "t", ENGLISH))
    not_gzip = tmp_path / "fake.gz"
    not_gzip.write_text("not compressed\n")
    with pytest.raises(ValueError, match="does not decompress.*fake.gz"):
        parallel.load({"train": train, "valid": (train[0], str(not_gzip))})
    latin1 = tmp_path / "latin1.gz"
    with gzip.open(latin1, "wb") as f:
        f.write("Grüße\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8.*latin1.gz"):
        parallel.load({"train": train, "valid": (str(latin1), train[1])})


@pytest.mark.parametrize(
    "data", ["wmt14", "train.de", 3, ["a", "b"], None, "tfds"]
)
def test_data_that_is_not_accepted(data):
    with pytest.raises(ValueError, match="Received: data=") as info:
        parallel.load(data)
    assert "'synthetic'" in str(info.value) and "tfds:" in str(info.value)


def test_the_same_language_on_both_sides(tmp_path):
    folder = _multi30k(tmp_path / "m30k")
    with pytest.raises(ValueError, match="must differ"):
        parallel.load(folder, "de", "de")


def test_pairs_must_line_up():
    assert len(Pairs(["a", "b"], ["x", "y"])) == 2
    with pytest.raises(ValueError, match="2 sources and 1 targets"):
        Pairs(["a", "b"], ["x"])


# --- TFDS under mock_data ----------------------------------------------------


def test_tfds_translation_under_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    # mock_data gives each language of the Translation feature a random
    # string of ' abcdefghij'; with no metadata it accepts any split name
    # and yields the same examples for each.
    with tfds.testing.mock_data(num_examples=12):
        splits = parallel.load(f"tfds:{TED}")
        reverse = parallel.load(f"tfds:{TED}", "en", "pt")
        english = parallel.load(f"tfds:{TED}", target_language="pt")
    # supervised_keys of ted_hrlr_translate/pt_to_en are ("pt", "en").
    assert (splits.source_language, splits.target_language) == ("pt", "en")
    assert (reverse.source_language, reverse.target_language) == ("en", "pt")
    assert english.source_language == "en"
    assert f"tfds:{TED} (pt -> en" in splits.source
    assert 0 < len(splits.train) <= 12
    assert len(splits.valid) == len(splits.test) == len(splits.train)
    for sentence in splits.train.sources + splits.train.targets:
        assert isinstance(sentence, str)
        assert sentence == sentence.strip() and sentence
        assert set(sentence) <= set(" abcdefghij")
    assert splits.train.sources != splits.train.targets
    assert reverse.train.sources == splits.train.targets
    assert reverse.train.targets == splits.train.sources


def test_tfds_refuses_languages_it_does_not_have():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=2):
        with pytest.raises(ValueError, match=r"has \['en', 'pt'\]"):
            parallel.load(f"tfds:{TED}", "de", "en")
        with pytest.raises(ValueError, match=r"has \['en', 'pt'\]"):
            parallel.load(f"tfds:{TED}", target_language="de")


def _metadata(tfds, data_dir, split_names):
    """Writes metadata for `TED` whose only splits are `split_names`, so
    that mock_data (policy USE_FILES) reports those splits."""
    builder = tfds.builder(TED, data_dir=str(data_dir))
    builder.info.set_splits(
        tfds.core.SplitDict(
            [
                tfds.core.SplitInfo(
                    name=name,
                    shard_lengths=[4],
                    num_bytes=0,
                    filename_template=None,
                )
                for name in split_names
            ]
        )
    )
    os.makedirs(builder.data_dir, exist_ok=True)
    builder.info.write_to_directory(builder.data_dir)


def test_tfds_splits_from_metadata(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    _metadata(tfds, tmp_path / "no_test", ["train", "validation"])
    _metadata(tfds, tmp_path / "no_valid", ["train", "test"])
    policy = tfds.testing.MockPolicy.USE_FILES
    with tfds.testing.mock_data(
        num_examples=4, data_dir=str(tmp_path / "no_test"), policy=policy
    ):
        splits = parallel.load(f"tfds:{TED}")
        assert splits.test is None
        assert len(splits.valid) > 0
        with pytest.raises(ValueError, match="no split 'test_2'"):
            parallel.load(f"tfds:{TED}", test_split="test_2")
    with tfds.testing.mock_data(
        num_examples=4, data_dir=str(tmp_path / "no_valid"), policy=policy
    ):
        with pytest.raises(ValueError, match="no 'validation' split"):
            parallel.load(f"tfds:{TED}")


def test_tfds_decodes_and_skips_pairs_with_an_empty_side():
    tfds = pytest.importorskip("tensorflow_datasets")
    tf = pytest.importorskip("tensorflow")

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices(
            {
                "pt": ["  olá, mundo ", "", "sim", " "],
                "en": ["hello,  world\n", "yes", "", " "],
            }
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        splits = parallel.load(f"tfds:{TED}")
    for pairs in (splits.train, splits.valid, splits.test):
        assert pairs == Pairs(["olá, mundo"], ["hello,  world"])
    # Three of four pairs in each of the three splits.
    assert "9 pairs with an empty side skipped" in splits.source
