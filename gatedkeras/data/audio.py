"""Audio sources for speech recognition: generated, wav folders, TFDS.

`load(data, task)` turns the speech recipe's `data=` argument into an
`AudioSplits`: float32 mono waveforms at one sample rate, with a label and
a speaker for each, for train, valid and test. Features (spectrograms) are
the model's job; this module only finds, reads and resamples the audio, and
refuses files it cannot read with an error that names them.

Accepted `data`:

- `"synthetic"`: the package's generated speech (`synthetic_audio`), the
  offline default; its splits are the generator's own.
- a folder of wav files in the Free Spoken Digit Dataset (FSDD) layout,
  `{label}_{speaker}_{index}.wav` (`3_theo_12.wav`), or any wav files
  named in `labels_csv` (columns `file,label[,speaker]`). Splits:
  `split_by="speaker"` holds whole speakers out (`test_speakers`, by
  default the last speaker in sorted order; `valid_speakers`, by default
  the next-to-last, or `[]` to train on every other speaker and validate
  on a seeded 10% of their clips), so the scores measure new voices;
  `split_by="official"` is FSDD's own split by recording index (0-4 test,
  5-9 valid, the rest train), which mixes speakers across the splits and
  so measures new recordings of known voices; `split_by="random"` is a
  seeded 80/10/10 split of the files, for folders without speakers.
- `"tfds:<name>[/<config>]"`: a tensorflow-datasets audio dataset (needs
  internet the first time): `speech_commands` (16 kHz, word labels),
  `spoken_digit` (FSDD, 8 kHz), `librispeech` (16 kHz transcripts, lower-
  cased). Splits `train`, `validation` (or `valid`, `dev`, `dev_clean`)
  and `test` (or `test_clean`). A dataset with only a train split, as
  `spoken_digit`, is split as a folder is: by speaker where each example
  names one (`speaker_id`, or an FSDD file name), else seeded 80/10/10.

With `task="transcribe"` the labels are transcripts. Where every label is
a single digit (FSDD, `spoken_digit`), each split's clips are joined into
connected-digit utterances (`connected_digits`), as in TIDIGITS: "3 1 4".
They are built from the split's own clips, so held-out speakers stay held
out. Other labels are taken as the transcripts as they are.

Clips are kept however short they are (TFDS mock data is a few dozen
samples): the model pads.
"""

import csv
import dataclasses
import importlib
import math
import os
import re
import warnings

import numpy as np

SAMPLE_RATE = 8000
TASKS = ("classify", "transcribe")
SPLIT_BY = ("speaker", "official", "random")
SPLITS = ("train", "valid", "test")
# Connected-digit utterances per split: enough for a small CTC model to
# learn from 3000 single digits, as many test utterances as FSDD's test set
# has clips.
NUM_UTTERANCES = {"train": 3000, "valid": 300, "test": 300}
# `{label}_{speaker}_{index}.wav`, the FSDD file names.
_FSDD_NAME = re.compile(r"^([^_]+)_([^_]+)_(\d+)\.wav$", re.IGNORECASE)
# FSDD's official split: recordings 0-4 of each digit and speaker are test,
# 5-9 valid.
_OFFICIAL_TEST = range(0, 5)
_OFFICIAL_VALID = range(5, 10)
_RANDOM_FRACTIONS = (0.8, 0.1, 0.1)
_TFDS_SPLITS = {
    "train": ("train", "train_clean100"),
    "valid": ("validation", "valid", "dev", "dev_clean"),
    "test": ("test", "test_clean"),
}


@dataclasses.dataclass
class Clips:
    """Waveforms with their labels and speakers.

    Args:
        audio: float32 mono waveforms in [-1, 1], one array per clip.
        labels: the label of each clip: a class name, or a transcript.
        speakers: who speaks in each clip (`""` where unknown).
        paths: the file each clip was read from, or `None` where the
            clips were not read from files. Defaults to `None`.

    >>> from gatedkeras.data.audio import Clips
    >>> clips = Clips([np.zeros(80, "float32")], ["3"], ["theo"])
    >>> len(clips)
    1
    """

    audio: list[np.ndarray]
    labels: list[str]
    speakers: list[str]
    paths: list[str] | None = None

    def __post_init__(self):
        sizes = [len(self.audio), len(self.labels), len(self.speakers)]
        if self.paths is not None:
            sizes.append(len(self.paths))
        if len(set(sizes)) != 1:
            raise ValueError(
                "`audio`, `labels`, `speakers` (and `paths`) must hold one "
                f"entry per clip. Received: lengths {sizes}"
            )

    def __len__(self):
        return len(self.audio)

    def _subset(self, indices):
        return Clips(
            [self.audio[i] for i in indices],
            [self.labels[i] for i in indices],
            [self.speakers[i] for i in indices],
            None if self.paths is None else [self.paths[i] for i in indices],
        )


@dataclasses.dataclass
class AudioSplits:
    """The clips of each split, at one sample rate.

    Args:
        train: training clips.
        valid: validation clips.
        test: test clips.
        sample_rate: samples per second of every waveform.
        task: `"classify"` (labels are class names) or `"transcribe"`
            (labels are transcripts).
        source: where the clips came from and how they were split, in
            words (for model cards).
    """

    train: Clips
    valid: Clips
    test: Clips
    sample_rate: int
    task: str
    source: str


def load(
    data="synthetic",
    task="classify",
    sample_rate=SAMPLE_RATE,
    split_by="speaker",
    test_speakers=None,
    valid_speakers=None,
    labels_csv=None,
    skip_unreadable=False,
    seed=0,
    num_utterances=None,
):
    """Reads the audio splits named by `data` (see the module docstring).

    Args:
        data: `"synthetic"`, a folder of wav files, or
            `"tfds:<name>[/<config>]"`. Defaults to `"synthetic"`.
        task: `"classify"` or `"transcribe"`. Defaults to `"classify"`.
        sample_rate: the sample rate every waveform is resampled to.
            Defaults to `8000`.
        split_by: `"speaker"`, `"official"` (FSDD's index split) or
            `"random"` (seeded 80/10/10): how a folder, or a TFDS dataset
            with only a train split, is split. Defaults to `"speaker"`.
        test_speakers: speakers held out for testing with
            `split_by="speaker"`. Defaults to `None`: the last speaker in
            sorted order.
        valid_speakers: speakers held out for validation; `[]` holds out
            none, and validates on a seeded 10% of the training speakers'
            clips instead. Defaults to `None`: the last remaining speaker
            in sorted order.
        labels_csv: a CSV file with columns `file,label[,speaker]`, `file`
            relative to the folder; names the folder's clips instead of
            their file names. Defaults to `None`.
        skip_unreadable: skip (and count, and warn about) wav files that
            cannot be read, instead of raising. Defaults to `False`.
        seed: seed of the generated audio, the random split and the
            connected-digit utterances. Defaults to `0`.
        num_utterances: connected-digit utterances per split, an int for
            every split or a dict by split name. Defaults to `None`:
            3000 train, 300 valid, 300 test.

    Returns:
        An `AudioSplits`.

    >>> import os, tempfile
    >>> import scipy.io.wavfile
    >>> from gatedkeras.data import audio
    >>> folder = tempfile.mkdtemp()
    >>> for speaker in ("ann", "bob", "cy"):
    ...     for digit in "012":
    ...         path = os.path.join(folder, f"{digit}_{speaker}_0.wav")
    ...         scipy.io.wavfile.write(path, 8000, np.zeros(800, "int16"))
    >>> splits = audio.load(folder)
    >>> len(splits.train), splits.test.speakers, splits.valid.labels
    (3, ['cy', 'cy', 'cy'], ['0', '1', '2'])
    """
    if task not in TASKS:
        raise ValueError(
            f"`task` must be one of {TASKS}. Received: task={task!r}"
        )
    if split_by not in SPLIT_BY:
        raise ValueError(
            f"`split_by` must be one of {SPLIT_BY}. Received: "
            f"split_by={split_by!r}"
        )
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(
            "`sample_rate` must be a positive integer (samples per second). "
            f"Received: sample_rate={sample_rate!r}"
        )
    sample_rate = int(sample_rate)
    sizes = _num_utterances(num_utterances)
    if not isinstance(data, (str, os.PathLike)):
        raise ValueError(
            "`data` must be 'synthetic', a folder of wav files, or "
            f"'tfds:<name>[/<config>]'. Received: data={data!r}"
        )
    data = os.fspath(data)
    options = dict(
        task=task,
        sample_rate=sample_rate,
        split_by=split_by,
        test_speakers=test_speakers,
        valid_speakers=valid_speakers,
        seed=seed,
        sizes=sizes,
    )
    if data == "synthetic" or data.startswith("tfds:"):
        if labels_csv is not None:
            raise ValueError(
                "`labels_csv` names the clips of a folder; "
                f"{data!r} labels its own. Received: labels_csv={labels_csv!r}"
            )
        if data == "synthetic":
            return _from_synthetic(task, sample_rate, seed)
        return _from_tfds(data[len("tfds:") :], **options)
    if not os.path.exists(data):
        raise FileNotFoundError(
            "`data` is not 'synthetic', 'tfds:<name>' or an existing folder. "
            f"Received: data={data!r}"
        )
    if not os.path.isdir(data):
        raise ValueError(
            "`data` must be a folder of wav files, not a file. Received: "
            f"data={data!r}"
        )
    return _from_folder(
        data, labels_csv=labels_csv, skip_unreadable=skip_unreadable, **options
    )


def read_wav(path, sample_rate=SAMPLE_RATE):
    """Reads a PCM wav file as a float32 mono waveform at `sample_rate`.

    Integer samples (8-bit unsigned, 16-, 24- and 32-bit signed) are scaled
    into [-1, 1]; float samples are kept as they are. Channels are averaged
    into one; other sample rates are resampled with a polyphase filter
    (`scipy.signal.resample_poly`).

    Args:
        path: the wav file.
        sample_rate: the sample rate to return. Defaults to `8000`.

    Returns:
        A 1-D float32 array.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a readable wav file or holds no
            samples; the message names the file.

    >>> import os, tempfile
    >>> import scipy.io.wavfile
    >>> from gatedkeras.data.audio import read_wav
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> stereo = np.full((1600, 2), [16384, -16384], "int16")
    >>> scipy.io.wavfile.write(path, 16000, stereo)
    >>> wave = read_wav(path, 8000)
    >>> wave.dtype, wave.shape, float(np.abs(wave).max())
    (dtype('float32'), (800,), 0.0)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such wav file. Received: path={path!r}")
    import scipy.io.wavfile

    try:
        with warnings.catch_warnings():
            # Unknown chunks (metadata) are skipped with a warning; the
            # samples are still read.
            warnings.simplefilter("ignore", scipy.io.wavfile.WavFileWarning)
            rate, samples = scipy.io.wavfile.read(path)
    except Exception as error:
        raise ValueError(
            "Could not read the wav file (expected a PCM or float wav): "
            f"{type(error).__name__}: {error}. Received: path={path!r}"
        ) from None
    if samples.size == 0:
        raise ValueError(
            f"The wav file holds no samples. Received: path={path!r}"
        )
    wave = _to_float(samples)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)
    return resample(wave, rate, sample_rate)


def resample(wave, rate, sample_rate):
    """`wave`, sampled at `rate`, resampled to `sample_rate` (float32).

    >>> from gatedkeras.data.audio import resample
    >>> resample(np.ones(441, "float32"), 44100, 8000).shape
    (80,)
    """
    wave = np.asarray(wave, dtype=np.float32)
    if int(rate) == int(sample_rate):
        return wave
    import scipy.signal

    common = math.gcd(int(rate), int(sample_rate))
    up, down = int(sample_rate) // common, int(rate) // common
    return scipy.signal.resample_poly(wave, up, down).astype(np.float32)


def connected_digits(
    clips,
    num,
    seed=0,
    min_digits=2,
    max_digits=5,
    gap=(0.05, 0.2),
    sample_rate=SAMPLE_RATE,
):
    """Joins single-digit clips into connected-digit utterances.

    Each utterance is 2 to 5 (`min_digits` to `max_digits`) clips of one
    speaker, drawn at random from `clips`, with silences of random length
    between them; its label is the digits separated by single spaces, such
    as `"3 1 4"`. Speakers are drawn in proportion to their clips, and a
    clip is not repeated within an utterance while the speaker has others.

    Args:
        clips: a `Clips` of single-digit clips (labels `"0"` to `"9"`).
        num: how many utterances to make.
        seed: seed of the draws. Defaults to `0`.
        min_digits: fewest digits in an utterance. Defaults to `2`.
        max_digits: most digits in an utterance. Defaults to `5`.
        gap: shortest and longest silence between digits, in seconds.
            Defaults to `(0.05, 0.2)`.
        sample_rate: sample rate of `clips`, to size the silences.
            Defaults to `8000`.

    Returns:
        A `Clips` of `num` utterances; `paths` joins the paths of the clips
        used with `+` (or is `None` where `clips` has none).

    >>> from gatedkeras.data.audio import Clips, connected_digits
    >>> digits = Clips(
    ...     [np.ones(100, "float32") * d for d in range(10)],
    ...     [str(d) for d in range(10)],
    ...     ["ann"] * 10,
    ... )
    >>> utterances = connected_digits(digits, num=3, seed=1)
    >>> len(utterances), set(utterances.speakers)
    (3, {'ann'})
    >>> all(2 <= len(label.split()) <= 5 for label in utterances.labels)
    True
    """
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(
            f"`num` must be a non-negative integer. Received: num={num!r}"
        )
    if not 1 <= min_digits <= max_digits:
        raise ValueError(
            "`min_digits` and `max_digits` must satisfy 1 <= min_digits <= "
            f"max_digits. Received: min_digits={min_digits!r}, "
            f"max_digits={max_digits!r}"
        )
    if len(gap) != 2 or not 0 <= gap[0] <= gap[1]:
        raise ValueError(
            "`gap` must be (shortest, longest) silence in seconds, with "
            f"0 <= shortest <= longest. Received: gap={gap!r}"
        )
    if len(clips) == 0:
        raise ValueError(
            "`clips` must hold at least one single-digit clip to join. "
            "Received: 0 clips"
        )
    not_digits = sorted(
        {label for label in clips.labels if not _is_digit(label)}
    )
    if not_digits:
        raise ValueError(
            "Connected digits are joined from clips labelled with one digit "
            f"('0' to '9'). Received: labels {not_digits[:5]}"
        )
    rng = np.random.default_rng(seed)
    by_speaker = {}
    for index, speaker in enumerate(clips.speakers):
        by_speaker.setdefault(speaker, []).append(index)
    audio, labels, speakers, paths = [], [], [], []
    for _ in range(num):
        speaker = clips.speakers[rng.integers(len(clips))]
        own = by_speaker[speaker]
        count = int(rng.integers(min_digits, max_digits + 1))
        chosen = rng.choice(own, size=count, replace=count > len(own))
        pieces = []
        for position, index in enumerate(chosen):
            if position:
                length = round(rng.uniform(*gap) * sample_rate)
                pieces.append(np.zeros(length, np.float32))
            pieces.append(np.asarray(clips.audio[index], np.float32))
        audio.append(np.concatenate(pieces))
        labels.append(" ".join(clips.labels[i] for i in chosen))
        speakers.append(speaker)
        if clips.paths is not None:
            paths.append("+".join(clips.paths[i] for i in chosen))
    return Clips(audio, labels, speakers, paths if clips.paths else None)


# --- helpers -----------------------------------------------------------------


def _is_digit(label):
    return len(label) == 1 and label in "0123456789"


def _to_float(samples):
    if samples.dtype == np.uint8:
        # 8-bit wav is unsigned, silence at 128.
        return (samples.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(samples.dtype, np.signedinteger):
        # scipy left-justifies 24-bit samples in int32, so the full int32
        # range is right for them too.
        scale = -float(np.iinfo(samples.dtype).min)
        return samples.astype(np.float32) / scale
    if np.issubdtype(samples.dtype, np.floating):
        return samples.astype(np.float32)
    raise ValueError(f"Unsupported wav sample type {samples.dtype}")


def _num_utterances(num_utterances):
    if num_utterances is None:
        return dict(NUM_UTTERANCES)
    if isinstance(num_utterances, (int, np.integer)):
        num_utterances = dict.fromkeys(SPLITS, num_utterances)
    if not isinstance(num_utterances, dict) or not set(num_utterances) <= set(
        SPLITS
    ):
        raise ValueError(
            "`num_utterances` must be an int or a dict with keys among "
            f"{SPLITS}. Received: num_utterances={num_utterances!r}"
        )
    return {**NUM_UTTERANCES, **num_utterances}


def _from_synthetic(task, sample_rate, seed):
    # Imported here, not at the top: reading folders and TFDS does not need
    # the generator.
    synthetic_audio = importlib.import_module("gatedkeras.data.synthetic_audio")
    rate = synthetic_audio.SAMPLE_RATE
    splits = {}
    for split in SPLITS:
        rows = synthetic_audio.clips(task=task, split=split, seed=seed)
        splits[split] = Clips(
            [resample(row.audio, rate, sample_rate) for row in rows],
            [row.label for row in rows],
            [row.speaker for row in rows],
        )
    return AudioSplits(
        **splits,
        sample_rate=sample_rate,
        task=task,
        source=f"gatedkeras synthetic speech ({task}, seed {seed})",
    )


def _read_labels_csv(labels_csv, folder):
    labels_csv = os.fspath(labels_csv)
    if not os.path.isfile(labels_csv):
        raise FileNotFoundError(
            f"No such labels file. Received: labels_csv={labels_csv!r}"
        )
    with open(labels_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        columns = rows[0].keys() if rows else []
    if rows and not {"file", "label"} <= set(columns):
        raise ValueError(
            "`labels_csv` must have a header with columns `file,label` "
            f"(and optionally `speaker`). Received: columns={list(columns)}"
        )
    entries = []
    for row in rows:
        name = (row["file"] or "").strip()
        label = (row["label"] or "").strip()
        if not name or not label:
            continue
        path = os.path.join(folder, name)
        match = _FSDD_NAME.match(os.path.basename(name))
        speaker = (row.get("speaker") or "").strip()
        if not speaker and match:
            speaker = match.group(2)
        entries.append((path, label, speaker, None))
    if not entries:
        raise ValueError(
            "No labels found: `labels_csv` names no file with a label. "
            f"Received: labels_csv={labels_csv!r}, data={folder!r}"
        )
    missing = [path for path, *_ in entries if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f"`labels_csv` names {len(missing)} files not in the folder, "
            f"such as {missing[0]!r}. Received: labels_csv={labels_csv!r}"
        )
    return entries


def _scan_folder(folder):
    names = sorted(
        name
        for name in os.listdir(folder)
        if name.lower().endswith(".wav")
        and os.path.isfile(os.path.join(folder, name))
    )
    if not names:
        raise ValueError(
            f"The folder holds no .wav files. Received: data={folder!r}"
        )
    matches = {name: _FSDD_NAME.match(name) for name in names}
    unnamed = [name for name, match in matches.items() if match is None]
    if len(unnamed) == len(names):
        raise ValueError(
            "No labels found: no wav file is named in the FSDD layout "
            "`{label}_{speaker}_{index}.wav` (such as `3_theo_12.wav`); "
            "pass `labels_csv` with columns `file,label[,speaker]`. "
            f"Received: data={folder!r}"
        )
    if unnamed:
        raise ValueError(
            f"{len(unnamed)} wav files are not named "
            f"`{{label}}_{{speaker}}_{{index}}.wav`, such as {unnamed[0]!r}; "
            "rename them or pass `labels_csv`. "
            f"Received: data={folder!r}"
        )
    entries = [
        (
            os.path.join(folder, name),
            match.group(1),
            match.group(2),
            int(match.group(3)),
        )
        for name, match in matches.items()
    ]
    # FSDD order: by label, speaker and recording index (not 1, 10, 11, 2).
    return sorted(entries, key=lambda entry: entry[1:])


def _from_folder(
    folder,
    task,
    sample_rate,
    split_by,
    test_speakers,
    valid_speakers,
    labels_csv,
    skip_unreadable,
    seed,
    sizes,
):
    if labels_csv is not None:
        entries = _read_labels_csv(labels_csv, folder)
    else:
        entries = _scan_folder(folder)
    audio, kept, skipped = [], [], []
    for entry in entries:
        try:
            audio.append(read_wav(entry[0], sample_rate))
        except ValueError:
            if not skip_unreadable:
                raise
            skipped.append(entry[0])
            continue
        kept.append(entry)
    if skipped:
        warnings.warn(
            f"Skipped {len(skipped)} unreadable wav files in {folder!r}, "
            f"such as {skipped[0]!r}.",
            stacklevel=3,
        )
    if not kept:
        raise ValueError(
            f"No readable wav files in the folder. Received: data={folder!r}"
        )
    clips = Clips(
        audio,
        [entry[1] for entry in kept],
        [entry[2] for entry in kept],
        [entry[0] for entry in kept],
    )
    indices = [entry[3] for entry in kept]
    parts, how = _split(
        clips, indices, split_by, test_speakers, valid_speakers, seed, folder
    )
    source = f"{folder} ({how}"
    if skipped:
        source += f"; {len(skipped)} unreadable files skipped"
    return _finish(parts, task, sample_rate, seed, sizes, source + ")")


def _finish(parts, task, sample_rate, seed, sizes, source):
    """Joins digits into utterances where transcribing single digits."""
    every_label = [label for part in parts.values() for label in part.labels]
    if task == "transcribe" and all(_is_digit(label) for label in every_label):
        for number, split in enumerate(SPLITS):
            parts[split] = connected_digits(
                parts[split],
                sizes[split],
                seed=int(
                    np.random.SeedSequence([seed, number]).generate_state(1)[0]
                ),
                sample_rate=sample_rate,
            )
        source += "; connected digits " + ", ".join(
            f"{sizes[split]} {split}" for split in SPLITS
        )
    return AudioSplits(
        **parts, sample_rate=sample_rate, task=task, source=source
    )


def _split(clips, indices, split_by, test_speakers, valid_speakers, seed, data):
    """Splits `clips` into train, valid and test; also says how, in words."""
    if split_by != "speaker" and (test_speakers or valid_speakers):
        raise ValueError(
            "`test_speakers` and `valid_speakers` choose held-out speakers "
            "for `split_by='speaker'`. Received: "
            f"split_by={split_by!r}, test_speakers={test_speakers!r}, "
            f"valid_speakers={valid_speakers!r}"
        )
    if split_by == "official":
        if any(index is None for index in indices):
            raise ValueError(
                "`split_by='official'` needs FSDD file names "
                "`{label}_{speaker}_{index}.wav` for every clip. Received: "
                f"split_by='official', data={data!r}"
            )
        which = [
            "test"
            if index in _OFFICIAL_TEST
            else "valid"
            if index in _OFFICIAL_VALID
            else "train"
            for index in indices
        ]
        how = "FSDD official split: index 0-4 test, 5-9 valid, speakers mixed"
    elif split_by == "random":
        count = len(clips)
        if count < 3:
            raise ValueError(
                "A random split needs at least 3 clips. Received: "
                f"{count} clips from data={data!r}"
            )
        order = np.random.default_rng(seed).permutation(count)
        num_test = max(1, round(count * _RANDOM_FRACTIONS[2]))
        num_valid = max(1, round(count * _RANDOM_FRACTIONS[1]))
        which = ["train"] * count
        for position, index in enumerate(order):
            if position < num_test:
                which[index] = "test"
            elif position < num_test + num_valid:
                which[index] = "valid"
        how = f"random 80/10/10 split, seed {seed}"
    else:
        test, valid = _held_out_speakers(
            clips.speakers, test_speakers, valid_speakers, data
        )
        which = [
            "test" if s in test else "valid" if s in valid else "train"
            for s in clips.speakers
        ]
        how = f"split by speaker: test {test}, valid {valid}"
        if not valid:
            # Every other speaker trains; new recordings of their voices
            # choose the checkpoint.
            rest = [i for i, w in enumerate(which) if w == "train"]
            order = np.random.default_rng(seed).permutation(rest)
            num_valid = max(1, round(len(rest) * _RANDOM_FRACTIONS[1]))
            for index in order[:num_valid]:
                which[index] = "valid"
            how = (
                f"split by speaker: test {test}, valid a random 10% of the "
                f"other speakers' clips (seed {seed})"
            )
    parts = {
        split: clips._subset([i for i, w in enumerate(which) if w == split])
        for split in SPLITS
    }
    empty = [split for split in SPLITS if not parts[split]]
    if empty:
        raise ValueError(
            f"The {how} leaves no clips for {empty}. Received: "
            f"split_by={split_by!r}, data={data!r}"
        )
    return parts, how


def _as_list(speakers, name, empty_ok=False):
    if speakers is None:
        return None
    if isinstance(speakers, str):
        return [speakers]
    if not isinstance(speakers, (list, tuple, set)) or not (
        speakers or empty_ok
    ):
        raise ValueError(
            f"`{name}` must be a non-empty list of speaker names. Received: "
            f"{name}={speakers!r}"
        )
    return [str(speaker) for speaker in speakers]


def _held_out_speakers(speakers, test_speakers, valid_speakers, data):
    known = sorted(set(speakers))
    if "" in known:
        raise ValueError(
            "`split_by='speaker'` needs a speaker for every clip (from the "
            "file name or a `speaker` column of `labels_csv`); use "
            f"`split_by='random'` otherwise. Received: data={data!r}"
        )
    test = _as_list(test_speakers, "test_speakers")
    valid = _as_list(valid_speakers, "valid_speakers", empty_ok=True)
    for name, chosen in (("test_speakers", test), ("valid_speakers", valid)):
        unknown = sorted(set(chosen or []) - set(known))
        if unknown:
            raise ValueError(
                f"`{name}` names speakers the data does not have: {unknown}. "
                f"Its speakers: {known}. Received: {name}={chosen!r}"
            )
    if test is None:
        rest = [s for s in known if s not in (valid or [])]
        test = rest[-1:]
    if valid is None:
        rest = [s for s in known if s not in test]
        valid = rest[-1:]
    both = sorted(set(test) & set(valid))
    if both:
        raise ValueError(
            "A speaker cannot be held out for both testing and validation. "
            f"Received: test_speakers={test!r}, valid_speakers={valid!r}"
        )
    if len(known) < (3 if valid else 2) or set(test) | set(valid) >= set(known):
        raise ValueError(
            "Splitting by speaker needs at least one speaker left for "
            "training, test and valid each (valid_speakers=[] validates on "
            f"the training speakers instead). The data's speakers: {known}. "
            f"Received: test_speakers={test!r}, valid_speakers={valid!r}"
        )
    return test, valid


def _from_tfds(
    name,
    task,
    sample_rate,
    split_by,
    test_speakers,
    valid_speakers,
    seed,
    sizes,
):
    import tensorflow_datasets as tfds

    data = f"tfds:{name}"
    builder = tfds.builder(name)
    builder.download_and_prepare()
    info = builder.info
    features = info.features
    audio_keys = [
        key
        for key, feature in features.items()
        if isinstance(feature, tfds.features.Audio)
    ]
    if not audio_keys:
        raise ValueError(
            f"{data!r} has no audio feature. Received: features="
            f"{list(features)}"
        )
    audio_key = audio_keys[0]
    rate = features[audio_key].sample_rate
    if not rate:
        raise ValueError(
            f"{data!r} does not say its audio's sample rate. Received: "
            f"data={data!r}"
        )
    label_key, names = _tfds_labels(tfds, features, task, data)
    # Empty where TFDS has no metadata for the dataset (as under
    # `tfds.testing.mock_data`): then every split is tried.
    available = list(info.splits)

    def pick(split):
        candidates = _TFDS_SPLITS[split]
        if not available:
            return candidates[0]
        return next((c for c in candidates if c in available), None)

    def read(split_name):
        audio, labels, speakers = [], [], []
        for row in tfds.as_numpy(builder.as_dataset(split=split_name)):
            samples = np.asarray(row[audio_key])
            # TFDS decodes wav files to their 16-bit PCM values, even where
            # the feature's dtype is int64.
            if np.issubdtype(samples.dtype, np.integer):
                wave = samples.astype(np.float32) / 32768.0
            else:
                wave = samples.astype(np.float32)
            if wave.ndim == 2:
                wave = wave.mean(axis=1)
            audio.append(resample(wave, rate, sample_rate))
            labels.append(_tfds_label(row[label_key], names))
            speakers.append(_tfds_speaker(row))
        return Clips(audio, labels, speakers)

    chosen = {split: pick(split) for split in SPLITS}
    if chosen["train"] is None:
        raise ValueError(
            f"{data!r} has no training split. Its splits: {available}. "
            f"Received: data={data!r}"
        )
    if chosen["valid"] and chosen["test"]:
        parts = {split: read(chosen[split]) for split in SPLITS}
        how = "splits " + ", ".join(chosen[split] for split in SPLITS)
    else:
        # Only a train split (spoken_digit): split it as a folder is, by
        # speaker where every example names one, else at random.
        train = read(chosen["train"])
        no_speakers = not all(train.speakers)
        held_out = test_speakers or valid_speakers
        if split_by == "speaker" and no_speakers and not held_out:
            split_by = "random"
        parts, how = _split(
            train,
            [None] * len(train),
            split_by,
            test_speakers,
            valid_speakers,
            seed,
            data,
        )
        how = f"its {chosen['train']} split, {how}"
    return _finish(
        parts,
        task,
        sample_rate,
        seed,
        sizes,
        f"{data} (feature '{audio_key}' at {rate} Hz, labels "
        f"'{label_key}'; {how})",
    )


def _tfds_labels(tfds, features, task, data):
    """The label feature's key, and its class names (or `None` for text)."""
    class_keys = [
        key
        for key, feature in features.items()
        if isinstance(feature, tfds.features.ClassLabel)
    ]
    text_keys = [
        key
        for key, feature in features.items()
        if isinstance(feature, tfds.features.Text)
    ]
    if task == "transcribe" and "text" in text_keys:
        return "text", None
    if class_keys:
        key = "label" if "label" in class_keys else class_keys[0]
        names = features[key].names
        if task == "classify" or all(_is_digit(n) for n in names):
            return key, names
    raise ValueError(
        f"{data!r} has no labels for task={task!r}: classifying needs a "
        "ClassLabel feature, transcribing a 'text' feature or digit classes. "
        f"Received: features={list(features)}"
    )


def _tfds_label(value, names):
    if names is not None:
        return names[int(value)]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    # LibriSpeech transcripts are upper case; CTC vocabularies are lower.
    return " ".join(str(value).lower().split())


def _tfds_speaker(row):
    if "speaker_id" in row:
        value = row["speaker_id"]
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return str(value)
    filename = row.get("audio/filename")
    if isinstance(filename, bytes):
        match = _FSDD_NAME.match(os.path.basename(filename.decode("utf-8")))
        if match:
            return match.group(2)
    return ""
