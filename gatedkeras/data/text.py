"""Text sources for language modelling: generated, local files, TFDS.

`load(data, level)` turns a `data=` argument into a `TextSplits` of raw
text (train, valid and, where the source has one, test). Tokenising is the
`Tokenizer`'s job; this module only finds and reads text, and refuses what
is not text with an error that says what it found.

Accepted `data`:

- `"synthetic"`: the package's generated corpus (`synthetic_text`), the
  offline default.
- a text file: split by position, the first 90% for training and the last
  10% for validation, as nanoGPT splits Tiny Shakespeare (word level cuts at
  the next line break so no word is split).
- a folder holding files whose names contain `train`, `valid` (or `val`)
  and optionally `test`, as Penn Treebank's `ptb.train.txt` and so on; or
  a dict `{"train": path, "valid": path, "test": path}`, or a list of two
  or three paths in that order.
- `"tfds:<name>[/<config>]"`: a tensorflow-datasets text dataset (needs
  internet the first time): its first string feature (`text` if present),
  examples joined with newlines; splits `train`, `validation` (or `valid`,
  else the last 10% of train) and `test`.
"""

import dataclasses
import os
import re

from gatedkeras.data import synthetic_text

LEVELS = ("char", "word")
_VALID_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class TextSplits:
    """Raw text of each split.

    Args:
        train: training text.
        valid: validation text.
        test: test text, or `None` when the source has no test split.
        source: where the text came from, in words (for model cards).
    """

    train: str
    valid: str
    test: str = None
    source: str = ""


def check_level(level):
    if level not in LEVELS:
        raise ValueError(
            f"`level` must be one of {LEVELS}. Received: level={level!r}"
        )
    return level


def load(data="synthetic", level="char", seed=0):
    """Reads the text splits named by `data` (see the module docstring).

    Args:
        data: `"synthetic"`, a path, a folder, a dict or list of split
            paths, or `"tfds:<name>[/<config>]"`. Defaults to
            `"synthetic"`.
        level: `"char"` or `"word"`; only decides where a single file is
            cut. Defaults to `"char"`.
        seed: seed of the synthetic corpus. Defaults to `0`.

    Returns:
        A `TextSplits`.

    >>> from gatedkeras.data import text
    >>> splits = text.load("synthetic")
    >>> len(splits.train) > len(splits.valid) > 0
    True
    """
    check_level(level)
    if isinstance(data, dict):
        return _from_split_files(data)
    if isinstance(data, (list, tuple)):
        if len(data) not in (2, 3):
            raise ValueError(
                "A list of split files must hold 2 (train, valid) or 3 "
                f"(train, valid, test) paths. Received: data={data!r}"
            )
        return _from_split_files(dict(zip(("train", "valid", "test"), data)))
    if not isinstance(data, (str, os.PathLike)):
        raise ValueError(
            "`data` must be 'synthetic', a path, a dict or list of split "
            f"paths, or 'tfds:<name>'. Received: data={data!r}"
        )
    data = os.fspath(data)
    if data == "synthetic":
        return TextSplits(
            synthetic_text.corpus("train", seed=seed),
            synthetic_text.corpus("valid", seed=seed),
            synthetic_text.corpus("test", seed=seed),
            source=f"gatedkeras synthetic grammar (seed {seed})",
        )
    if data.startswith("tfds:"):
        return _from_tfds(data[len("tfds:") :], level)
    if os.path.isdir(data):
        return _from_folder(data)
    if not os.path.exists(data):
        raise FileNotFoundError(
            "`data` is not 'synthetic', 'tfds:<name>' or an existing file or "
            f"folder. Received: data={data!r}"
        )
    return _split_by_position(read_text(data), level, source=data)


def read_text(path):
    """The UTF-8 text of a file; refuses missing, empty and binary files."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such text file. Received: path={path!r}")
    with open(path, "rb") as f:
        return decode_text(f.read(), path)


def decode_text(raw, path):
    """Decodes the bytes read from `path`, refusing what is not text.

    Shared by `read_text` and by readers of compressed files (the parallel
    corpora), so every source refuses bad files with the same messages.

    Args:
        raw: the bytes of the file (decompressed, where it was compressed).
        path: the file they came from, named in the errors.

    Returns:
        The text, a `str`.

    Raises:
        ValueError: if the bytes are not UTF-8, hold NUL bytes, or are
            empty or only whitespace.

    >>> from gatedkeras.data.text import decode_text
    >>> decode_text("Grüß Gott".encode("utf-8"), "gruss.txt")
    'Grüß Gott'
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            "Expected a UTF-8 text file, but it has bytes that are not "
            f"UTF-8 ({error.reason} at byte {error.start}). "
            f"Received: path={path!r}"
        ) from None
    if "\x00" in text:
        raise ValueError(
            "Expected a text file, but it holds NUL bytes (a binary file?). "
            f"Received: path={path!r}"
        )
    if not text.strip():
        raise ValueError(f"The text file is empty. Received: path={path!r}")
    return text


def _split_by_position(text, level, source):
    cut = int(len(text) * (1 - _VALID_FRACTION))
    if level == "word":
        newline = text.find("\n", cut)
        cut = len(text) if newline < 0 else newline + 1
    train, valid = text[:cut], text[cut:]
    if not train.strip() or not valid.strip():
        raise ValueError(
            "The text is too short to split 90/10 into training and "
            f"validation text. Received: {len(text)} characters from "
            f"{source!r}"
        )
    return TextSplits(
        train, valid, None, source=f"{source} (first 90% train, last 10% valid)"
    )


def _from_split_files(paths):
    unknown = set(paths) - {"train", "valid", "test"}
    if unknown or "train" not in paths or "valid" not in paths:
        raise ValueError(
            "Split files must name 'train' and 'valid' (and optionally "
            f"'test'). Received: {sorted(paths)}"
        )
    texts = {
        split: read_text(os.fspath(path))
        for split, path in paths.items()
        if path is not None
    }
    return TextSplits(
        texts["train"],
        texts["valid"],
        texts.get("test"),
        source=", ".join(f"{k}: {v}" for k, v in paths.items()),
    )


def _from_folder(folder):
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        for split, pattern in (
            ("train", r"train"),
            ("valid", r"valid|(?<![a-z])val(?![a-z])|dev"),
            ("test", r"test"),
        ):
            if re.search(pattern, name.lower()):
                if split in found:
                    raise ValueError(
                        f"Two files in the folder look like the {split} "
                        f"split: {found[split]!r} and {path!r}. Pass "
                        "`data={'train': ..., 'valid': ..., 'test': ...}`. "
                        f"Received: data={folder!r}"
                    )
                found[split] = path
                break
    if "train" not in found or "valid" not in found:
        raise FileNotFoundError(
            "The folder must hold a training and a validation file (names "
            "containing 'train' and 'valid', as ptb.train.txt and "
            f"ptb.valid.txt). Found: {sorted(found)}. Received: "
            f"data={folder!r}"
        )
    return _from_split_files(found)


def _from_tfds(name, level):
    import numpy as np
    import tensorflow_datasets as tfds

    builder = tfds.builder(name)
    builder.download_and_prepare()
    features = builder.info.features
    text_keys = [
        key
        for key, feature in features.items()
        if isinstance(feature, tfds.features.Text)
        or getattr(feature, "np_dtype", None) == np.dtype(object)
    ]
    if not text_keys:
        raise ValueError(
            f"TFDS dataset '{name}' has no text feature. Received: features="
            f"{list(features)}"
        )
    key = "text" if "text" in text_keys else text_keys[0]
    splits = builder.info.splits

    def read(split):
        rows = tfds.as_numpy(builder.as_dataset(split=split))
        return "\n".join(row[key].decode("utf-8") for row in rows)

    source = f"tfds:{name} (feature '{key}')"
    valid_split = next(
        (s for s in ("validation", "valid", "dev") if s in splits), None
    )
    test = read("test") if "test" in splits else None
    if valid_split is None:
        parts = _split_by_position(read("train"), level, source)
        return dataclasses.replace(parts, test=test)
    return TextSplits(read("train"), read(valid_split), test, source=source)
