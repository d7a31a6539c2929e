import collections

import numpy as np
import pytest

from gatedkeras.data import synthetic_audio

SIZES = {
    ("classify", "train"): 3000,
    ("classify", "valid"): 300,
    ("classify", "test"): 300,
    ("transcribe", "train"): 2000,
    ("transcribe", "valid"): 200,
    ("transcribe", "test"): 200,
}
# Words made of the same phonemes in another order (module docstring).
ANAGRAMS = [
    {"ka", "lumo"},
    {"tesi", "bo"},
    {"niva", "ruk"},
    {"dali", "fen"},
    {"pilo", "zu"},
]


@pytest.fixture(scope="module")
def splits():
    # Every split once per module: about five seconds in all.
    return {
        key: synthetic_audio.clips(task=key[0], split=key[1]) for key in SIZES
    }


def _frames(audio, frame=256, hop=128, bands=32):
    """Log power in `bands` equal bands, and log total power, per frame."""
    n = 1 + max(0, (len(audio) - frame) // hop)
    index = np.arange(frame)[None] + hop * np.arange(n)[:, None]
    spectrum = np.abs(np.fft.rfft(audio[index] * np.hanning(frame))) ** 2
    log_power = np.log(spectrum[:, :-1].reshape(n, bands, -1).mean(-1) + 1e-10)
    return log_power, np.log(spectrum.sum(axis=1) + 1e-10)


def _sounding(audio):
    """The frames from the first to the last above the noise floor."""
    log_power, level = _frames(audio)
    quiet, loud = np.percentile(level, [10, 90])
    active = np.flatnonzero(level > (quiet + loud) / 2)
    return log_power[active[0] : active[-1] + 1]


def _feature(audio, segments):
    """Mean log spectrum over `segments` equal parts of the sounding part:
    a crude, NumPy-only stand-in for a learned model."""
    log_power = _sounding(audio)
    parts = np.array_split(log_power, segments)
    feature = np.concatenate([part.mean(axis=0) for part in parts])
    # Level-free: the clips' loudness varies.
    return feature - feature.mean()


def _nearest_neighbour(train, test, segments):
    x = np.stack([_feature(c.audio, segments) for c in train])
    z = np.stack([_feature(c.audio, segments) for c in test])
    distances = (z**2).sum(1)[:, None] - 2 * z @ x.T + (x**2).sum(1)[None]
    return [train[i].label for i in distances.argmin(axis=1)]


def test_constants():
    assert synthetic_audio.SAMPLE_RATE == 8000
    assert len(synthetic_audio.WORDS) == 10
    assert len(set(synthetic_audio.WORDS)) == 10
    for word in synthetic_audio.WORDS:
        assert word.isascii() and word.isalpha() and word.islower()
    assert synthetic_audio.SPEAKERS == tuple(f"s{i}" for i in range(10))


def test_same_arguments_same_clips():
    first = synthetic_audio.clips("transcribe", "valid", seed=3)
    second = synthetic_audio.clips("transcribe", "valid", seed=3)
    other = synthetic_audio.clips("transcribe", "valid", seed=4)
    assert [c.label for c in first] == [c.label for c in second]
    for a, b in zip(first, second):
        assert a.speaker == b.speaker
        np.testing.assert_array_equal(a.audio, b.audio)
    assert [c.label for c in first] != [c.label for c in other]
    np.testing.assert_array_equal(
        synthetic_audio.render("ka bo", "s2", rng=7),
        synthetic_audio.render(["ka", "bo"], "s2", rng=7),
    )


def test_splits_are_independent_samples(splits):
    valid = splits["classify", "valid"]
    test = splits["classify", "test"]
    assert not any(
        len(a.audio) == len(b.audio) and np.array_equal(a.audio, b.audio)
        for a, b in zip(valid, test)
    )


def test_sizes(splits):
    for key, size in SIZES.items():
        assert len(splits[key]) == size, key


def test_waveforms(splits):
    for key, clips in splits.items():
        for clip in clips:
            assert isinstance(clip, synthetic_audio.Clip)
            assert clip.audio.dtype == np.float32
            assert clip.audio.ndim == 1
            peak = np.abs(clip.audio).max()
            # Scaled to a random peak of 0.25 to 0.9.
            assert 0.25 - 1e-6 <= peak <= 0.9 + 1e-6, key
            assert np.isfinite(clip.audio).all()


def test_speakers_per_split(splits):
    expected = {
        "train": {f"s{i}" for i in range(8)},
        "valid": {"s8"},
        "test": {"s9"},
    }
    for (task, split), clips in splits.items():
        assert {c.speaker for c in clips} == expected[split], (task, split)


def test_classify_labels_balanced(splits):
    for split in ("train", "valid", "test"):
        clips = splits["classify", split]
        counts = collections.Counter(c.label for c in clips)
        assert set(counts) == set(synthetic_audio.WORDS)
        assert set(counts.values()) == {len(clips) // 10}
    # Speakers in turn within each word.
    pairs = collections.Counter(
        (c.label, c.speaker) for c in splits["classify", "train"]
    )
    assert len(pairs) == 80
    assert max(pairs.values()) - min(pairs.values()) <= 1
    # Shuffled: not in word order.
    labels = [c.label for c in splits["classify", "train"][:10]]
    assert labels != list(synthetic_audio.WORDS)


def test_transcribe_labels(splits):
    for split in ("train", "valid", "test"):
        lengths = collections.Counter()
        for clip in splits["transcribe", split]:
            words = clip.label.split(" ")
            assert all(w in synthetic_audio.WORDS for w in words), clip.label
            lengths[len(words)] += 1
        assert set(lengths) == {1, 2, 3, 4, 5}, split
    words = collections.Counter(
        w for c in splits["transcribe", "train"] for w in c.label.split()
    )
    assert set(words) == set(synthetic_audio.WORDS)


def test_durations(splits):
    rate = synthetic_audio.SAMPLE_RATE
    for split in ("train", "valid", "test"):
        seconds = [len(c.audio) / rate for c in splits["classify", split]]
        assert min(seconds) >= 0.3 and max(seconds) <= 0.8
        by_count = collections.defaultdict(list)
        for clip in splits["transcribe", split]:
            seconds = len(clip.audio) / rate
            assert 0.3 <= seconds <= 3.3
            by_count[len(clip.label.split())].append(seconds)
        # Each word (120 to 480 ms, plus a gap of 30 to 150 ms) adds length.
        means = [np.mean(by_count[n]) for n in range(1, 6)]
        assert all(a + 0.1 < b for a, b in zip(means, means[1:])), means


def test_silence_around_the_word():
    for seed, speaker in enumerate(synthetic_audio.SPEAKERS):
        wave = synthetic_audio.render(["ka"], speaker, rng=seed)
        _, level = _frames(wave, frame=64, hop=64)
        # The first and last 8 ms hold only noise: over 4 dB below the
        # word's loudest 8 ms, as the signal-to-noise ratio is 10 dB or more.
        margin = level.max() - max(level[0], level[-1])
        assert margin > np.log(10**0.4), (speaker, margin)


def test_clips_of_one_word_and_speaker_differ(splits):
    same = [
        c.audio
        for c in splits["classify", "train"]
        if c.label == "niva" and c.speaker == "s3"
    ]
    assert len(same) >= 30
    for a, b in zip(same, same[1:]):
        assert len(a) != len(b) or not np.allclose(a, b)
    # Duration jitter: not all the same length.
    assert len({len(a) for a in same}) > 10


def test_speaker_pitch_shifts_the_spectrum(splits):
    # s1 has pitch factor 1.25, s0 0.80: every frequency of s1 is higher.
    def centroid(audio):
        power = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / synthetic_audio.SAMPLE_RATE)
        # Up to 2.8 kHz, above which the (white) noise dominates.
        keep = freqs < 2800
        return (freqs[keep] * power[keep]).sum() / power[keep].sum()

    train = splits["classify", "train"]
    for word in ("ka", "pilo"):
        low = [
            centroid(c.audio)
            for c in train
            if (c.label, c.speaker) == (word, "s0")
        ]
        high = [
            centroid(c.audio)
            for c in train
            if (c.label, c.speaker) == (word, "s1")
        ]
        assert np.median(high) > 1.15 * np.median(low), word


def test_nearest_neighbour_learns_held_out_speakers(splits):
    # A crude feature (mean log spectrum over four time segments) and a
    # nearest neighbour among the training speakers' clips recognise the
    # held-out speakers' words far above chance (10%): the words have
    # structure that carries across voices.
    train = splits["classify", "train"]
    for split in ("valid", "test"):
        held_out = splits["classify", split]
        predicted = _nearest_neighbour(train, held_out, segments=4)
        accuracy = np.mean([p == c.label for p, c in zip(predicted, held_out)])
        assert accuracy >= 0.6, (split, accuracy)


def test_words_differ_only_in_order(splits):
    # With one segment, the feature is blind to order: it confuses each
    # word with its anagram (the same phonemes in another order) and
    # almost never with any other word.
    train = splits["classify", "train"]
    valid = splits["classify", "valid"]
    predicted = _nearest_neighbour(train, valid, segments=1)
    accuracy = np.mean([p == c.label for p, c in zip(predicted, valid)])
    in_pair = np.mean(
        [
            any({p, c.label} <= pair for pair in ANAGRAMS)
            for p, c in zip(predicted, valid)
        ]
    )
    assert accuracy < 0.75, accuracy
    assert in_pair > 0.9, in_pair


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"task": "translate"}, "task"),
        ({"split": "validation"}, "split"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_bad_clips_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        synthetic_audio.clips(**kwargs)


@pytest.mark.parametrize(
    "args, name",
    [
        (([], "s0", 0), "words"),
        ((["ka", "hello"], "s0", 0), "words"),
        ((["ka"], "s10", 0), "speaker"),
        ((["ka"], "s0", -2), "rng"),
    ],
)
def test_bad_render_arguments(args, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        synthetic_audio.render(*args)
