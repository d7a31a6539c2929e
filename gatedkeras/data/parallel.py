"""Parallel text sources for translation: generated, local files, TFDS.

`load(data, source_language, target_language)` turns the translation
recipe's `data=` argument into a `ParallelSplits`: aligned source and target
sentences (plain strings) of train, valid and, where the source has one,
test. Tokenising is the tokenizer's job; this module only finds and reads
the sentence pairs, as `gatedkeras.data.text` does for language modelling,
and refuses files that do not line up with an error naming them.

Accepted `data`:

- `"synthetic"`: the package's generated corpus (`synthetic_parallel`),
  the offline default.
- a folder in the Multi30k layout, one sentence a line, line `i` of the
  source file translating line `i` of the target file: `train.de`,
  `train.en`, `val.de`, `val.en`, `test_2016_flickr.de`, ... each either
  plain or gzipped (`train.de.gz`). The validation split may also be named
  `valid` or `dev`; the test split is `test_split`, else `test_2016_flickr`
  (the Multi30k test set most papers report), else `test`, else none.
- a dict `{"train": (source_path, target_path), "valid": (...), "test":
  (...)}`, `"test"` optional; paths ending in `.gz` are decompressed.
- `"tfds:<name>[/<config>]"`: a tensorflow-datasets translation dataset
  (needs internet the first time), such as `"tfds:wmt14_translate/de-en"`
  or `"tfds:ted_hrlr_translate/pt_to_en"`; splits `train`, `validation`
  and `test` (or `test_split`).

Each line is stripped of surrounding whitespace. A line empty on both sides
(a blank separator) is dropped; empty on one side only, the files are out of
step, which is refused. TFDS datasets are not ours to fix: their pairs with
an empty side are skipped, and counted in `source`.
"""

import dataclasses
import gzip
import os
import re

from gatedkeras.data import synthetic_parallel
from gatedkeras.data import text as text_source

# Names Multi30k and its kin give the validation split, in order of
# preference.
_VALID_SPLITS = ("val", "valid", "dev")
# The test set most Multi30k results are reported on, then the plain name.
_DEFAULT_TEST_SPLITS = ("test_2016_flickr", "test")
_ACCEPTED = (
    "`data` must be 'synthetic', a folder in the Multi30k layout "
    "(train.<lang>[.gz], val.<lang>[.gz], ...), a dict {'train': "
    "(source_path, target_path), 'valid': (...), 'test': (...)}, or "
    "'tfds:<name>[/<config>]'."
)


@dataclasses.dataclass(frozen=True)
class Pairs:
    """Aligned sentences: `targets[i]` translates `sources[i]`.

    Args:
        sources: the source sentences.
        targets: the target sentences, as many as `sources`.

    >>> from gatedkeras.data.parallel import Pairs
    >>> pairs = Pairs(["ein Hund läuft"], ["a dog runs"])
    >>> len(pairs)
    1
    """

    sources: list[str]
    targets: list[str]

    def __post_init__(self):
        if len(self.sources) != len(self.targets):
            raise ValueError(
                "`sources` and `targets` must hold as many sentences. "
                f"Received: {len(self.sources)} sources and "
                f"{len(self.targets)} targets"
            )

    def __len__(self):
        return len(self.sources)


@dataclasses.dataclass(frozen=True)
class ParallelSplits:
    """The sentence pairs of each split and the languages they are in.

    Args:
        train: training pairs.
        valid: validation pairs.
        test: test pairs, or `None` when the source has no test split.
        source_language: code of the language translated from (`"de"`).
        target_language: code of the language translated into (`"en"`).
        source: where the pairs came from, in words (for model cards).

    >>> from gatedkeras.data.parallel import Pairs, ParallelSplits
    >>> pairs = Pairs(["ein Hund"], ["a dog"])
    >>> splits = ParallelSplits(pairs, pairs, None, "de", "en", "example")
    >>> splits.test is None
    True
    """

    train: Pairs
    valid: Pairs
    test: Pairs | None
    source_language: str
    target_language: str
    source: str


def load(
    data="synthetic",
    source_language=None,
    target_language=None,
    test_split=None,
    seed=0,
):
    """Reads the parallel splits named by `data` (see the module docstring).

    Args:
        data: `"synthetic"`, a folder in the Multi30k layout, a dict of
            `(source_path, target_path)` per split, or
            `"tfds:<name>[/<config>]"`. Defaults to `"synthetic"`.
        source_language: code of the language to translate from. For a
            folder, the code in its file names (`"de"` for `train.de.gz`);
            for TFDS, a key of its `Translation` feature. Defaults to
            `None`: the synthetic corpus's, `"source"` for a dict, TFDS's
            `supervised_keys`; a folder needs it (unless `target_language`
            is given and the folder holds only two languages).
        target_language: code of the language to translate into, as
            `source_language`. Defaults to `None`.
        test_split: for a folder, the name of the test files
            (`"test_2017_mscoco"` for `test_2017_mscoco.de.gz`); for TFDS,
            the test split's name. Defaults to `None`: `test_2016_flickr`,
            else `test`, where present.
        seed: seed of the synthetic corpus. Defaults to `0`.

    Returns:
        A `ParallelSplits`.

    >>> from gatedkeras.data import parallel
    >>> splits = parallel.load("synthetic")
    >>> splits.source_language, splits.target_language
    ('lern', 'tarn')
    >>> len(splits.train) > len(splits.valid) > 0
    True
    """
    if source_language is not None and source_language == target_language:
        raise ValueError(
            "`source_language` and `target_language` must differ. "
            f"Received: source_language={source_language!r}, "
            f"target_language={target_language!r}"
        )
    if isinstance(data, dict):
        _refuse_test_split(data, test_split)
        return _from_split_files(
            data, source_language or "source", target_language or "target"
        )
    if isinstance(data, (str, os.PathLike)):
        data = os.fspath(data)
        if data == "synthetic":
            _refuse_test_split(data, test_split)
            return _synthetic(source_language, target_language, seed)
        if data.startswith("tfds:"):
            return _from_tfds(
                data[len("tfds:") :],
                source_language,
                target_language,
                test_split,
            )
        if os.path.isdir(data):
            return _from_folder(
                data, source_language, target_language, test_split
            )
    raise ValueError(
        f"{_ACCEPTED} A path must be an existing folder. Received: "
        f"data={data!r}"
    )


def _refuse_test_split(data, test_split):
    if test_split is not None:
        raise ValueError(
            "`test_split` names the test files of a folder or the test "
            "split of a TFDS dataset; the synthetic corpus and a dict of "
            f"files have their own. Received: test_split={test_split!r} "
            f"with data={data!r}"
        )


def _synthetic(source_language, target_language, seed):
    source = synthetic_parallel.SOURCE_LANGUAGE
    target = synthetic_parallel.TARGET_LANGUAGE
    if source_language not in (None, source) or target_language not in (
        None,
        target,
    ):
        raise ValueError(
            f"The synthetic corpus translates {source!r} into {target!r}; "
            "leave `source_language` and `target_language` unset or pass "
            f"those. Received: source_language={source_language!r}, "
            f"target_language={target_language!r}"
        )

    def pairs(split):
        rows = synthetic_parallel.corpus(split, seed=seed)
        return Pairs([row[0] for row in rows], [row[1] for row in rows])

    return ParallelSplits(
        pairs("train"),
        pairs("valid"),
        pairs("test"),
        source_language=source,
        target_language=target,
        source=f"gatedkeras synthetic parallel corpus (seed {seed})",
    )


def _read_lines(path):
    """The lines of a text file, gzipped or not, without the last newline."""
    if not path.endswith(".gz"):
        text = text_source.read_text(path)
    else:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"No such text file. Received: path={path!r}"
            )
        try:
            with gzip.open(path, "rb") as f:
                raw = f.read()
        # A file that is not gzip raises OSError; a cut-off one, EOFError.
        except (OSError, EOFError) as error:
            raise ValueError(
                "Expected a gzip-compressed text file (its name ends in "
                f"'.gz'), but it does not decompress ({error}). "
                f"Received: path={path!r}"
            ) from None
        text = text_source.decode_text(raw, path)
    # Only "\n" ends a line: `str.splitlines` would also cut at characters
    # such as U+2028 inside a sentence and put the two files out of step.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _read_pairs(source_path, target_path):
    source_path, target_path = os.fspath(source_path), os.fspath(target_path)
    sources = _read_lines(source_path)
    targets = _read_lines(target_path)
    if len(sources) != len(targets):
        raise ValueError(
            "The source and target files of a split must have as many lines "
            "(line i of one translates line i of the other), but "
            f"{source_path!r} has {len(sources)} lines and {target_path!r} "
            f"has {len(targets)}. Received: source={source_path!r}, "
            f"target={target_path!r}"
        )
    kept_sources, kept_targets = [], []
    for number, (source, target) in enumerate(zip(sources, targets), 1):
        source, target = source.strip(), target.strip()
        if not source and not target:
            continue
        if not source or not target:
            empty, full = (
                (source_path, target_path)
                if not source
                else (target_path, source_path)
            )
            raise ValueError(
                f"Line {number} is empty in {empty!r} but not in {full!r}, "
                "so the files are out of step: each line must translate the "
                f"line of the same number. Received: path={empty!r}, "
                f"line={number}"
            )
        kept_sources.append(source)
        kept_targets.append(target)
    return Pairs(kept_sources, kept_targets)


def _from_split_files(paths, source_language, target_language):
    unknown = set(paths) - {"train", "valid", "test"}
    if unknown or "train" not in paths or "valid" not in paths:
        raise ValueError(
            "Split files must name 'train' and 'valid' (and optionally "
            f"'test'). Received: {sorted(paths, key=str)}"
        )
    pairs = {}
    for split, files in paths.items():
        if files is None and split == "test":
            continue
        if (
            not isinstance(files, (list, tuple))
            or len(files) != 2
            or not all(isinstance(f, (str, os.PathLike)) for f in files)
        ):
            raise ValueError(
                f"Each split must be a (source_path, target_path) pair. "
                f"Received: data[{split!r}]={files!r}"
            )
        pairs[split] = _read_pairs(*files)
    return ParallelSplits(
        pairs["train"],
        pairs["valid"],
        pairs.get("test"),
        source_language=source_language,
        target_language=target_language,
        source=", ".join(
            f"{split}: {os.fspath(files[0])} | {os.fspath(files[1])}"
            for split, files in paths.items()
            if files is not None
        ),
    )


def _infer_languages(found, source_language, target_language, default):
    """Both language codes, from what was given, or `None` if ambiguous.

    Which of two languages is the source cannot be told from the data, so
    it is only inferred when one side is given and exactly two languages
    are available, or from `default` (TFDS's `supervised_keys`).
    """
    if source_language is not None and target_language is not None:
        return source_language, target_language
    if source_language is None and target_language is None:
        return default
    given = source_language or target_language
    if len(found) == 2 and given in found:
        other = found[0] if found[1] == given else found[1]
        return source_language or other, target_language or other
    return None


def _split_file(folder, split, language):
    """`<split>.<language>`, plain or gzipped, or `None` if neither."""
    candidates = [
        os.path.join(folder, f"{split}.{language}{suffix}")
        for suffix in ("", ".gz")
    ]
    found = [path for path in candidates if os.path.isfile(path)]
    if len(found) > 1:
        raise ValueError(
            f"Both {found[0]!r} and {found[1]!r} exist; keep one of them so "
            f"the {split} split is not ambiguous. Received: "
            f"data={folder!r}"
        )
    return found[0] if found else None


def _expected(folder, split, language):
    path = os.path.join(folder, f"{split}.{language}")
    return f"{path!r} or {path + '.gz'!r}"


def _folder_split(folder, split, source_language, target_language):
    """The pairs of one split, or `None` if it has neither file."""
    source = _split_file(folder, split, source_language)
    target = _split_file(folder, split, target_language)
    if source is None and target is None:
        return None
    for path, language in (
        (source, source_language),
        (target, target_language),
    ):
        if path is None:
            raise FileNotFoundError(
                f"The {split} split has no {language!r} file: expected "
                f"{_expected(folder, split, language)}. Received: "
                f"data={folder!r}"
            )
    return _read_pairs(source, target)


def _first_split(folder, names, source_language, target_language):
    """`(name, pairs)` of the first split in `names` the folder holds."""
    for name in names:
        pairs = _folder_split(folder, name, source_language, target_language)
        if pairs is not None:
            return name, pairs
    return None, None


def _from_folder(folder, source_language, target_language, test_split):
    found = sorted(
        {
            match.group(1)
            for name in os.listdir(folder)
            if (match := re.fullmatch(r"train\.([^.]+)(\.gz)?", name))
            and os.path.isfile(os.path.join(folder, name))
        }
    )
    if not found:
        raise FileNotFoundError(
            "The folder holds no training files: expected train.<lang> or "
            "train.<lang>.gz for each language, as Multi30k's train.de.gz "
            f"and train.en.gz. Received: data={folder!r}"
        )
    languages = _infer_languages(
        found, source_language, target_language, default=None
    )
    if languages is None:
        example = found + ["<lang>"] * (2 - len(found))
        raise ValueError(
            "Pass both `source_language` and `target_language`: the "
            f"folder's training files are in {found}, and which one is the "
            "source cannot be told from the files (for example "
            f"source_language={example[0]!r}, "
            f"target_language={example[1]!r}). Received: "
            f"source_language={source_language!r}, "
            f"target_language={target_language!r}, data={folder!r}"
        )
    source_language, target_language = languages
    train = _folder_split(folder, "train", source_language, target_language)
    if train is None:
        raise FileNotFoundError(
            "The folder has no training files for these languages: expected "
            f"{_expected(folder, 'train', source_language)} and "
            f"{_expected(folder, 'train', target_language)}. Its training "
            f"files are in {found}. Received: "
            f"source_language={source_language!r}, "
            f"target_language={target_language!r}, data={folder!r}"
        )
    valid_split, valid = _first_split(
        folder, _VALID_SPLITS, source_language, target_language
    )
    if valid is None:
        expected = ", ".join(
            _expected(folder, split, language)
            for split in _VALID_SPLITS
            for language in (source_language, target_language)
        )
        raise FileNotFoundError(
            "The folder has no validation files: expected a pair named "
            f"{' or '.join(_VALID_SPLITS)}, that is {expected}. Received: "
            f"data={folder!r}"
        )
    candidates = (test_split,) if test_split else _DEFAULT_TEST_SPLITS
    test_name, test = _first_split(
        folder, candidates, source_language, target_language
    )
    if test_split and test is None:
        raise FileNotFoundError(
            f"The folder has no {test_split!r} test files: expected "
            f"{_expected(folder, test_split, source_language)} and "
            f"{_expected(folder, test_split, target_language)}. Received: "
            f"test_split={test_split!r}, data={folder!r}"
        )
    names = f"train, {valid_split}" + (f", {test_name}" if test_name else "")
    return ParallelSplits(
        train,
        valid,
        test,
        source_language=source_language,
        target_language=target_language,
        source=(
            f"{folder} ({source_language} -> {target_language}; splits {names})"
        ),
    )


def _from_tfds(name, source_language, target_language, test_split):
    import tensorflow_datasets as tfds

    data = f"tfds:{name}"
    builder = tfds.builder(name)
    builder.download_and_prepare()
    info = builder.info
    # A `tfds.features.Translation` is a dict of one Text feature per
    # language code.
    found = sorted(
        key
        for key, feature in info.features.items()
        if isinstance(feature, tfds.features.Text)
    )
    keys = info.supervised_keys
    default = (
        tuple(keys)
        if isinstance(keys, (tuple, list))
        and len(keys) == 2
        and all(key in found for key in keys)
        else None
    )
    languages = _infer_languages(
        found, source_language, target_language, default
    )
    if languages is None or not set(languages) <= set(found):
        raise ValueError(
            f"`source_language` and `target_language` must be languages of "
            f"{data!r}, which has {found}"
            + ("" if default else " and no (source, target) supervised_keys")
            + f". Received: source_language={source_language!r}, "
            f"target_language={target_language!r}"
        )
    source_language, target_language = languages
    # Empty where TFDS has no metadata for the dataset (as under
    # `tfds.testing.mock_data`): then every split is tried.
    splits = list(info.splits)

    def has(split):
        return not splits or split in splits

    if not has("validation"):
        raise ValueError(
            f"{data!r} has no 'validation' split to validate on. Its splits: "
            f"{splits}. Received: data={data!r}"
        )
    test_name = test_split or "test"
    if test_split and not has(test_split):
        raise ValueError(
            f"{data!r} has no split {test_split!r}. Its splits: {splits}. "
            f"Received: test_split={test_split!r}"
        )
    skipped = 0

    def read(split):
        nonlocal skipped
        sources, targets = [], []
        for row in tfds.as_numpy(builder.as_dataset(split=split)):
            source = row[source_language].decode("utf-8").strip()
            target = row[target_language].decode("utf-8").strip()
            if source and target:
                sources.append(source)
                targets.append(target)
            else:
                skipped += 1
        return Pairs(sources, targets)

    train, valid = read("train"), read("validation")
    test = read(test_name) if has(test_name) else None
    names = "train, validation"
    if test is not None:
        names += f", {test_name}"
    note = f"; {skipped} pairs with an empty side skipped" if skipped else ""
    return ParallelSplits(
        train,
        valid,
        test,
        source_language=source_language,
        target_language=target_language,
        source=(
            f"{data} ({source_language} -> {target_language}; splits "
            f"{names}{note})"
        ),
    )
