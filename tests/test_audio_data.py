"""The audio sources of the speech recipe: wav reading (sample rates, sample
types, stereo, bad files), FSDD-layout folders and their splits, labels from
a CSV, connected digits, the synthetic branch, the real FSDD where present,
and TFDS under `tfds.testing.mock_data`."""

import os
import sys
import types
import warnings

import numpy as np
import pytest
import scipy.io.wavfile

from gatedkeras.data import audio
from gatedkeras.data.audio import Clips

FSDD = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "fsdd",
    "recordings",
)  # fmt: skip
SPEAKERS = ("ann", "bob", "cy", "dee")


def _wav(path, seconds=0.05, rate=8000, dtype="int16", value=0.5, channels=1):
    """Writes a constant wav of `value` (in [-1, 1]) as `dtype` samples."""
    length = round(seconds * rate)
    if dtype == "uint8":
        samples = np.full(length, round(128 + value * 128), "uint8")
    elif np.issubdtype(np.dtype(dtype), np.integer):
        scale = -np.iinfo(dtype).min
        samples = np.full(length, round(value * scale), dtype)
    else:
        samples = np.full(length, value, dtype)
    if channels > 1:
        samples = np.stack([samples] * channels, axis=1)
    scipy.io.wavfile.write(str(path), rate, samples)
    return str(path)


def _fsdd(folder, speakers=SPEAKERS, digits="0123", indices=range(12)):
    """A tiny folder in the FSDD layout; each clip's value encodes its
    digit, so a test can tell which clips were read and joined."""
    os.makedirs(folder, exist_ok=True)
    for speaker in speakers:
        for digit in digits:
            for index in indices:
                _wav(
                    folder / f"{digit}_{speaker}_{index}.wav",
                    value=(int(digit) + 1) / 16,
                )
    return str(folder)


# --- read_wav ----------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100])
def test_read_wav_resamples_to_the_requested_rate(tmp_path, rate):
    path = _wav(tmp_path / "a.wav", seconds=0.5, rate=rate, value=0.25)
    for sample_rate in (8000, 16000):
        wave = audio.read_wav(path, sample_rate)
        assert wave.dtype == np.float32 and wave.ndim == 1
        assert len(wave) == round(0.5 * sample_rate)
        # A constant stays that constant away from the filter's edges.
        middle = wave[len(wave) // 4 : -len(wave) // 4]
        np.testing.assert_allclose(middle, 0.25, atol=2e-3)


@pytest.mark.parametrize(
    "dtype, atol",
    [("uint8", 1e-2), ("int16", 1e-4), ("int32", 1e-6), ("float32", 0)],
)
def test_read_wav_scales_every_sample_type(tmp_path, dtype, atol):
    for value in (-0.5, 0.75):
        path = _wav(tmp_path / f"{dtype}.wav", dtype=dtype, value=value)
        wave = audio.read_wav(path)
        assert wave.dtype == np.float32 and len(wave) == 400
        np.testing.assert_allclose(wave, value, atol=atol)


def test_read_wav_mixes_stereo_down(tmp_path):
    left = np.full(400, 16384, "int16")
    right = np.full(400, -8192, "int16")
    path = str(tmp_path / "stereo.wav")
    scipy.io.wavfile.write(path, 8000, np.stack([left, right], axis=1))
    wave = audio.read_wav(path)
    assert wave.shape == (400,)
    np.testing.assert_allclose(wave, (0.5 - 0.25) / 2)
    # Stereo at another rate: mixed, then resampled.
    three = _wav(tmp_path / "s3.wav", rate=16000, channels=3, value=0.5)
    assert audio.read_wav(three, 8000).shape == (400,)


def test_read_wav_refuses_bad_files(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00 not really a wav file")
    with pytest.raises(ValueError, match="Could not read") as info:
        audio.read_wav(str(corrupt))
    assert repr(str(corrupt)) in str(info.value)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.wav"):
        audio.read_wav(str(empty))
    silent = str(tmp_path / "no_samples.wav")
    scipy.io.wavfile.write(silent, 8000, np.zeros(0, "int16"))
    with pytest.raises(ValueError, match="no samples.*no_samples.wav"):
        audio.read_wav(silent)
    with pytest.raises(FileNotFoundError, match="nowhere.wav"):
        audio.read_wav(str(tmp_path / "nowhere.wav"))


# --- folders -----------------------------------------------------------------


def test_folder_split_by_speaker(tmp_path):
    folder = _fsdd(tmp_path / "fsdd")
    splits = audio.load(folder)
    assert (splits.sample_rate, splits.task) == (8000, "classify")
    # Defaults: the last speaker tests, the next-to-last validates.
    assert set(splits.test.speakers) == {"dee"}
    assert set(splits.valid.speakers) == {"cy"}
    assert set(splits.train.speakers) == {"ann", "bob"}
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        96,
        48,
        48,
    )
    assert sorted(set(splits.train.labels)) == ["0", "1", "2", "3"]
    for clips in (splits.train, splits.valid, splits.test):
        for wave, label, path in zip(clips.audio, clips.labels, clips.paths):
            assert os.path.basename(path).startswith(f"{label}_")
            assert wave.dtype == np.float32 and len(wave) == 400
            np.testing.assert_allclose(wave, (int(label) + 1) / 16, atol=1e-4)
    # FSDD order within a speaker: index 2 before index 10.
    names = [os.path.basename(p) for p in splits.train.paths[:3]]
    assert names == ["0_ann_0.wav", "0_ann_1.wav", "0_ann_2.wav"]
    assert "split by speaker" in splits.source and folder in splits.source

    chosen = audio.load(
        folder, test_speakers=["ann", "bob"], valid_speakers="dee"
    )
    assert set(chosen.test.speakers) == {"ann", "bob"}
    assert set(chosen.valid.speakers) == {"dee"}
    assert set(chosen.train.speakers) == {"cy"}
    only_valid = audio.load(folder, valid_speakers=["dee"])
    assert set(only_valid.test.speakers) == {"cy"}
    # No validation speaker: every other speaker trains, and a seeded tenth
    # of their clips validates.
    known = audio.load(folder, test_speakers=["dee"], valid_speakers=[])
    assert set(known.test.speakers) == {"dee"}
    assert set(known.train.speakers) == {"ann", "bob", "cy"}
    assert set(known.valid.speakers) <= {"ann", "bob", "cy"}
    assert len(known.valid) == round(
        (len(known.train) + len(known.valid)) * 0.1
    )
    assert not set(known.valid.paths) & set(known.train.paths)
    again = audio.load(folder, test_speakers=["dee"], valid_speakers=[])
    assert again.valid.paths == known.valid.paths
    assert "10%" in known.source
    resampled = audio.load(folder, sample_rate=16000)
    assert resampled.sample_rate == 16000
    assert len(resampled.train.audio[0]) == 800


def test_folder_official_split(tmp_path):
    folder = _fsdd(tmp_path / "fsdd")
    splits = audio.load(folder, split_by="official")
    indices = {
        name: {
            int(os.path.basename(p)[:-4].split("_")[2])
            for p in getattr(splits, name).paths
        }
        for name in ("train", "valid", "test")
    }
    assert indices == {
        "test": {0, 1, 2, 3, 4},
        "valid": {5, 6, 7, 8, 9},
        "train": {10, 11},
    }
    # The official split mixes speakers.
    assert set(splits.test.speakers) == set(splits.train.speakers)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        32,
        80,
        80,
    )
    assert "official" in splits.source and "mixed" in splits.source


def test_folder_random_split(tmp_path):
    folder = _fsdd(tmp_path / "fsdd", speakers=("ann",), indices=range(5))
    splits = audio.load(folder, split_by="random", seed=3)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        16,
        2,
        2,
    )
    again = audio.load(folder, split_by="random", seed=3)
    other = audio.load(folder, split_by="random", seed=4)
    assert again.test.paths == splits.test.paths
    assert other.test.paths != splits.test.paths
    every = splits.train.paths + splits.valid.paths + splits.test.paths
    assert len(set(every)) == 20


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(test_speakers=["zed"]), r"does not have: \['zed'\]"),
        (dict(valid_speakers=["zed"]), "valid_speakers"),
        (dict(test_speakers=["ann"], valid_speakers=["ann"]), "both"),
        (
            dict(test_speakers=["ann", "bob"], valid_speakers=["cy", "dee"]),
            "left for training",
        ),
        (dict(test_speakers=[]), "non-empty list"),
        (dict(split_by="official", test_speakers=["ann"]), "split_by="),
        (dict(split_by="by_voice"), "split_by='by_voice'"),
        (dict(task="translate"), "task='translate'"),
        (dict(sample_rate=0), "sample_rate=0"),
        (dict(num_utterances={"dev": 3}), "num_utterances="),
    ],
)
def test_bad_split_settings(tmp_path, kwargs, match):
    folder = _fsdd(tmp_path / "fsdd", digits="01", indices=range(2))
    with pytest.raises(ValueError, match=match):
        audio.load(folder, **kwargs)


def test_too_few_speakers_or_indices(tmp_path):
    two = _fsdd(tmp_path / "two", speakers=("ann", "bob"), indices=range(2))
    with pytest.raises(ValueError, match="left for training"):
        audio.load(two)
    # Indices 0-9 only: the official split has nothing to train on.
    few = _fsdd(tmp_path / "few", digits="0", indices=range(10))
    with pytest.raises(ValueError, match=r"no clips for \['train'\]"):
        audio.load(few, split_by="official")


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        audio.load(str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(ValueError, match="no .wav files") as info:
        audio.load(str(empty))
    assert repr(str(empty)) in str(info.value)
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    _wav(unlabelled / "hello.wav")
    _wav(unlabelled / "world.wav")
    with pytest.raises(ValueError, match="No labels found") as info:
        audio.load(str(unlabelled))
    assert repr(str(unlabelled)) in str(info.value)
    some = _fsdd(tmp_path / "some", digits="0", indices=range(2))
    _wav(tmp_path / "some" / "stray.wav")
    with pytest.raises(ValueError, match="'stray.wav'"):
        audio.load(some)
    a_file = _wav(tmp_path / "0_ann_0.wav")
    with pytest.raises(ValueError, match="not a file"):
        audio.load(a_file)
    with pytest.raises(ValueError, match="data=3"):
        audio.load(3)


def test_corrupt_file_in_a_folder(tmp_path):
    folder = _fsdd(tmp_path / "fsdd", digits="01", indices=range(2))
    corrupt = tmp_path / "fsdd" / "1_bob_7.wav"
    corrupt.write_bytes(b"RIFF....WAVEjunk")
    (tmp_path / "fsdd" / "0_cy_9.wav").write_bytes(b"")
    with pytest.raises(ValueError) as info:
        audio.load(folder)
    assert "0_cy_9.wav" in str(info.value) or "1_bob_7.wav" in str(info.value)
    with pytest.warns(UserWarning, match="Skipped 2 unreadable"):
        splits = audio.load(folder, skip_unreadable=True)
    assert "2 unreadable files skipped" in splits.source
    every = splits.train.paths + splits.valid.paths + splits.test.paths
    assert len(every) == 16 and str(corrupt) not in every
    # Readable folders do not warn.
    clean = _fsdd(tmp_path / "clean", digits="0", indices=range(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "skipped" not in audio.load(clean, skip_unreadable=True).source


def test_mixed_rates_and_types_in_one_folder(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    kinds = [
        (8000, "int16", 1),
        (16000, "int32", 2),
        (22050, "uint8", 1),
        (44100, "float32", 2),
    ]
    for speaker, (rate, dtype, channels) in zip(SPEAKERS, kinds):
        for digit in "01":
            _wav(
                folder / f"{digit}_{speaker}_0.wav",
                seconds=0.2,
                rate=rate,
                dtype=dtype,
                channels=channels,
                value=0.5,
            )
    splits = audio.load(str(folder), sample_rate=16000)
    for clips in (splits.train, splits.valid, splits.test):
        for wave in clips.audio:
            assert wave.dtype == np.float32 and len(wave) == 3200
            np.testing.assert_allclose(wave[800:-800], 0.5, atol=1e-2)


def test_labels_csv(tmp_path):
    folder = tmp_path / "clips"
    (folder / "sub").mkdir(parents=True)
    rows = ["file,label,speaker"]
    for i, speaker in enumerate(SPEAKERS):
        for word in ("yes", "no"):
            name = f"sub/{word}{i}.wav" if i == 0 else f"{word}{i}.wav"
            _wav(folder / name)
            rows.append(f"{name},{word},{speaker}")
    _wav(folder / "unlisted.wav")  # Not in the CSV: not read.
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    splits = audio.load(str(folder), labels_csv=str(labels))
    assert splits.test.labels == ["yes", "no"]
    assert splits.test.speakers == ["dee", "dee"]
    assert set(splits.train.speakers) == {"ann", "bob"}
    assert os.path.join(str(folder), "sub/yes0.wav") in splits.train.paths
    # Transcribing with labels that are not digits: they are transcripts.
    words = audio.load(str(folder), task="transcribe", labels_csv=str(labels))
    assert words.train.labels == splits.train.labels
    # Without speakers: a random split, or an error asking for one.
    no_speaker = tmp_path / "no_speaker.csv"
    no_speaker.write_text(
        "file,label\n" + "\n".join(r.rsplit(",", 1)[0] for r in rows[1:])
    )
    with pytest.raises(ValueError, match="speaker for every clip"):
        audio.load(str(folder), labels_csv=str(no_speaker))
    shuffled = audio.load(
        str(folder), labels_csv=str(no_speaker), split_by="random"
    )
    assert len(shuffled.train) == 6 and shuffled.train.speakers[0] == ""


def test_labels_csv_errors(tmp_path):
    folder = _fsdd(tmp_path / "fsdd", digits="0", indices=range(1))
    header_only = tmp_path / "header.csv"
    header_only.write_text("file,label\n")
    with pytest.raises(ValueError, match="No labels found") as info:
        audio.load(folder, labels_csv=str(header_only))
    assert repr(folder) in str(info.value)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("path,class\n0_ann_0.wav,0\n")
    with pytest.raises(ValueError, match="columns"):
        audio.load(folder, labels_csv=str(wrong))
    missing = tmp_path / "missing.csv"
    missing.write_text("file,label\nghost.wav,0\n")
    with pytest.raises(FileNotFoundError, match="ghost.wav"):
        audio.load(folder, labels_csv=str(missing))
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        audio.load(folder, labels_csv=str(tmp_path / "nowhere.csv"))
    with pytest.raises(ValueError, match="labels_csv="):
        audio.load("synthetic", labels_csv=str(wrong))


# --- connected digits --------------------------------------------------------


def _digit_clips(speakers=("ann", "bob"), length=lambda d: 10 + d):
    """One clip per digit and speaker; its samples hold a code of the digit
    and speaker, and its length depends on the digit."""
    audio_, labels, speakers_ = [], [], []
    for s, speaker in enumerate(speakers):
        for d in range(10):
            audio_.append(np.full(length(d), 1 + d + 10 * s, np.float32))
            labels.append(str(d))
            speakers_.append(speaker)
    return Clips(audio_, labels, speakers_)


def test_connected_digits_labels_lengths_and_speakers():
    clips = _digit_clips()
    sample_rate = 1000
    joined = audio.connected_digits(
        clips, 50, seed=5, gap=(0.01, 0.03), sample_rate=sample_rate
    )
    assert len(joined) == 50 and joined.paths is None
    counts = set()
    for wave, label, speaker in zip(
        joined.audio, joined.labels, joined.speakers
    ):
        digits = label.split(" ")
        assert label == " ".join(digits) and all(len(d) == 1 for d in digits)
        counts.add(len(digits))
        speech = sum(10 + int(d) for d in digits)
        gaps = len(digits) - 1
        assert speech + gaps * 10 <= len(wave) <= speech + gaps * 30
        # The speech, in order, is the speaker's own clips of those digits.
        s = ("ann", "bob").index(speaker)
        voiced = wave[wave != 0]
        expected = np.concatenate(
            [np.full(10 + int(d), 1 + int(d) + 10 * s) for d in digits]
        )
        np.testing.assert_array_equal(voiced, expected)
        # Silence between digits, none at the ends.
        assert wave[0] != 0 and wave[-1] != 0
    assert counts == {2, 3, 4, 5}
    assert set(joined.speakers) == {"ann", "bob"}


def test_connected_digits_exact_gaps_and_determinism():
    clips = _digit_clips()
    joined = audio.connected_digits(
        clips, 20, seed=1, gap=(0.1, 0.1), sample_rate=8000, max_digits=3
    )
    for wave, label in zip(joined.audio, joined.labels):
        digits = label.split()
        assert 2 <= len(digits) <= 3
        expected = sum(10 + int(d) for d in digits) + 800 * (len(digits) - 1)
        assert len(wave) == expected
    again = audio.connected_digits(
        clips, 20, seed=1, gap=(0.1, 0.1), sample_rate=8000, max_digits=3
    )
    assert again.labels == joined.labels
    for a, b in zip(again.audio, joined.audio):
        np.testing.assert_array_equal(a, b)
    other = audio.connected_digits(clips, 20, seed=2)
    assert other.labels != joined.labels


def test_connected_digits_keeps_paths_and_refuses_bad_input():
    clips = Clips(
        [np.ones(5, np.float32), np.ones(7, np.float32)],
        ["1", "2"],
        ["ann", "ann"],
        ["a.wav", "b.wav"],
    )
    joined = audio.connected_digits(clips, 3, min_digits=2, max_digits=2)
    # Two digits from two clips: each clip once.
    assert all(sorted(label.split()) == ["1", "2"] for label in joined.labels)
    assert all(len(wave) >= 12 for wave in joined.audio)
    assert all(sorted(p.split("+")) == ["a.wav", "b.wav"] for p in joined.paths)
    with pytest.raises(ValueError, match=r"one digit.*\['10'\]"):
        audio.connected_digits(Clips([np.ones(3)], ["10"], ["a"]), 1)
    with pytest.raises(ValueError, match="min_digits"):
        audio.connected_digits(clips, 1, min_digits=3, max_digits=2)
    with pytest.raises(ValueError, match="gap="):
        audio.connected_digits(clips, 1, gap=(0.2, 0.1))
    with pytest.raises(ValueError, match="num=-1"):
        audio.connected_digits(clips, -1)
    with pytest.raises(ValueError, match="0 clips"):
        audio.connected_digits(Clips([], [], []), 1)
    with pytest.raises(ValueError, match="one entry per clip"):
        Clips([np.ones(3)], ["1", "2"], ["a"])


def test_transcribe_a_folder_builds_connected_digits_per_split(tmp_path):
    folder = _fsdd(tmp_path / "fsdd", indices=range(2))
    splits = audio.load(
        folder,
        task="transcribe",
        num_utterances={"train": 40, "valid": 7, "test": 5},
        seed=2,
    )
    assert splits.task == "transcribe"
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        40,
        7,
        5,
    )
    # Held-out speakers stay held out.
    assert set(splits.test.speakers) == {"dee"}
    assert set(splits.valid.speakers) == {"cy"}
    assert set(splits.train.speakers) <= {"ann", "bob"}
    for clips in (splits.train, splits.valid, splits.test):
        for label, paths, speaker in zip(
            clips.labels, clips.paths, clips.speakers
        ):
            digits = label.split(" ")
            assert 2 <= len(digits) <= 5
            names = [os.path.basename(p) for p in paths.split("+")]
            assert [n.split("_")[0] for n in names] == digits
            assert {n.split("_")[1] for n in names} == {speaker}
    assert "connected digits 40 train, 7 valid, 5 test" in splits.source
    again = audio.load(folder, task="transcribe", num_utterances=5, seed=2)
    assert len(again.train) == len(again.test) == 5
    # Splits draw with different seeds.
    assert again.train.labels != again.valid.labels


# --- synthetic ---------------------------------------------------------------


def _stand_in(monkeypatch, rate=8000):
    """Puts a minimal `synthetic_audio` with the real one's interface in
    its place, so the plumbing is checked apart from the generator."""
    import dataclasses

    module = types.ModuleType("gatedkeras.data.synthetic_audio")
    module.SAMPLE_RATE = rate

    @dataclasses.dataclass
    class Clip:
        audio: np.ndarray
        label: str
        speaker: str

    sizes = {"train": 5, "valid": 3, "test": 2}

    def clips(task="classify", split="train", seed=0):
        label = "one two" if task == "transcribe" else "one"
        return [
            Clip(np.full(rate // 10, 0.5, np.float32), label, f"{split}{seed}")
            for _ in range(sizes[split])
        ]

    module.Clip = Clip
    module.clips = clips
    monkeypatch.setitem(sys.modules, module.__name__, module)
    import gatedkeras.data

    monkeypatch.setattr(
        gatedkeras.data, "synthetic_audio", module, raising=False
    )
    return module


def test_synthetic_with_a_stand_in(monkeypatch):
    _stand_in(monkeypatch, rate=16000)
    splits = audio.load("synthetic", task="transcribe", seed=4)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (5, 3, 2)
    assert splits.train.labels[0] == "one two"
    assert splits.valid.speakers[0] == "valid4"
    assert splits.train.paths is None
    # Resampled from the generator's 16 kHz to 8 kHz.
    assert splits.sample_rate == 8000 and len(splits.test.audio[0]) == 800
    assert "seed 4" in splits.source
    same_rate = audio.load("synthetic", sample_rate=16000)
    assert len(same_rate.train.audio[0]) == 1600
    assert same_rate.train.labels[0] == "one"


def test_the_real_synthetic_audio():
    pytest.importorskip(
        "gatedkeras.data.synthetic_audio",
        reason="gatedkeras.data.synthetic_audio is not written yet",
    )
    splits = audio.load("synthetic")
    assert len(splits.train) > 0 and len(splits.valid) > 0
    for clips in (splits.train, splits.valid, splits.test):
        assert all(w.dtype == np.float32 and w.ndim == 1 for w in clips.audio)
        assert all(isinstance(label, str) and label for label in clips.labels)


# --- the real FSDD -----------------------------------------------------------


@pytest.mark.skipif(
    not os.path.isdir(FSDD),
    reason=f"FSDD is not in {os.path.normpath(FSDD)}",
)
def test_the_real_fsdd():
    official = audio.load(FSDD, split_by="official")
    every = official.train.speakers + official.valid.speakers
    every += official.test.speakers
    assert len(every) == 3000
    assert sorted(set(every)) == [
        "george", "jackson", "lucas", "nicolas", "theo", "yweweler",
    ]  # fmt: skip
    # Index 0-4 of 10 digits by 6 speakers.
    assert len(official.test) == len(official.valid) == 300
    assert len(official.train) == 2400
    assert sorted(set(official.test.labels)) == list("0123456789")
    by_speaker = audio.load(FSDD)
    assert set(by_speaker.test.speakers) == {"yweweler"}
    assert set(by_speaker.valid.speakers) == {"theo"}
    assert len(by_speaker.test) == len(by_speaker.valid) == 500
    lengths = [len(w) for w in by_speaker.train.audio]
    assert min(lengths) > 1000 and max(lengths) < 8 * 8000
    assert all(np.abs(w).max() <= 1 for w in by_speaker.test.audio)


# --- TFDS under mock_data ----------------------------------------------------


def _only_train(tfds, name, data_dir):
    """Writes metadata for `name` whose only split is train, so that
    mock_data (policy USE_FILES) reports that split alone."""
    builder = tfds.builder(name, data_dir=str(data_dir))
    builder.info.set_splits(
        tfds.core.SplitDict(
            [
                tfds.core.SplitInfo(
                    name="train",
                    shard_lengths=[20],
                    num_bytes=0,
                    filename_template=None,
                )
            ]
        )
    )
    os.makedirs(builder.data_dir, exist_ok=True)
    builder.info.write_to_directory(builder.data_dir)


def test_tfds_speech_commands_under_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):
        splits = audio.load("tfds:speech_commands")
        wide = audio.load("tfds:speech_commands", sample_rate=16000)
        with pytest.raises(ValueError, match="task='transcribe'"):
            audio.load("tfds:speech_commands", task="transcribe")
    names = {"down", "go", "left", "no", "off", "on", "right", "stop", "up"}
    names |= {"yes", "_silence_", "_unknown_"}
    for clips in (splits.train, splits.valid, splits.test):
        assert len(clips) == 6
        assert set(clips.labels) <= names
        for wave in clips.audio:
            # Mock clips are a few dozen samples: kept, however short.
            assert wave.dtype == np.float32 and 0 < len(wave) < 100
            assert np.abs(wave).max() <= 1
    # 16 kHz resampled to 8 kHz: half the samples.
    for short, long in zip(splits.train.audio, wide.train.audio):
        assert len(short) == (len(long) + 1) // 2
    assert "16000 Hz" in splits.source
    assert "train, validation, test" in splits.source


def test_tfds_spoken_digit_with_only_a_train_split(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    _only_train(tfds, "spoken_digit", tmp_path)
    policy = tfds.testing.MockPolicy.USE_FILES
    with tfds.testing.mock_data(
        num_examples=20, data_dir=str(tmp_path), policy=policy
    ):
        # Mock file names are random: no speakers, so 80/10/10 at random.
        splits = audio.load("tfds:spoken_digit", seed=1)
        digits = audio.load(
            "tfds:spoken_digit", task="transcribe", num_utterances=4
        )
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (
        16,
        2,
        2,
    )
    assert set(splits.train.labels) <= set("0123456789")
    assert "random 80/10/10" in splits.source
    assert len(digits.test) == 4
    assert all(2 <= len(label.split()) <= 5 for label in digits.train.labels)


def test_tfds_spoken_digit_split_by_speaker(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    tf = pytest.importorskip("tensorflow")
    _only_train(tfds, "spoken_digit", tmp_path)
    names = [f"{d}_{s}_{i}.wav" for s in SPEAKERS for d in "01" for i in "01"]

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices(
            {
                "audio": np.full((len(names), 40), 16384, np.int64),
                "label": [int(name[0]) for name in names],
                "audio/filename": names,
            }
        )

    with tfds.testing.mock_data(
        as_dataset_fn=as_dataset,
        data_dir=str(tmp_path),
        policy=tfds.testing.MockPolicy.USE_FILES,
    ):
        splits = audio.load("tfds:spoken_digit")
        chosen = audio.load("tfds:spoken_digit", test_speakers=["ann"])
    assert set(splits.test.speakers) == {"dee"}
    assert set(splits.valid.speakers) == {"cy"}
    assert set(splits.train.speakers) == {"ann", "bob"}
    assert splits.test.labels == ["0", "0", "1", "1"]
    np.testing.assert_allclose(splits.test.audio[0], 0.5)
    assert set(chosen.test.speakers) == {"ann"}


def test_tfds_librispeech_transcripts_under_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    tf = pytest.importorskip("tensorflow")

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices(
            {
                "speech": np.zeros((2, 32), np.int16),
                "text": ["HELLO  WORLD", "A TEST"],
                "speaker_id": np.array([19, 27], np.int64),
                "chapter_id": np.array([1, 2], np.int64),
                "id": ["a", "b"],
            }
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        splits = audio.load("tfds:librispeech", task="transcribe")
        with pytest.raises(ValueError, match="task='classify'"):
            audio.load("tfds:librispeech")
    assert splits.train.labels == ["hello world", "a test"]
    assert splits.test.speakers == ["19", "27"]
    assert len(splits.valid.audio[0]) == 16  # 16 kHz to 8 kHz.
