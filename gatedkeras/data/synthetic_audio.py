"""Synthetic speech-like audio: made-up words spoken by simulated speakers.

The offline default dataset of the speech recipe: seeded, generated in pure
NumPy in a few seconds, with no download. It serves both of the recipe's
tasks: classifying a spoken word, and transcribing a sequence of words with
CTC. The audio has structure a model must learn from the waveform, much as
in real speech: words are sequences of sounds, and the same word sounds
different from one speaker and one utterance to the next.

Sounds ("phonemes"), at a speaker pitch factor of 1:

    A  tone   350 Hz               I  tone   1100 Hz
    U  chirp  300 -> 900 Hz        O  chirp  2000 -> 800 Hz
    E  chord  500 + 1500 Hz        M  chord  700 + 2400 Hz

Each lasts 60 to 160 ms under a smooth (raised-cosine) envelope. Tones
and chord partials carry a weak second harmonic whose strength depends on
the speaker (their "timbre"), where it stays below 3800 Hz.

Words (`WORDS`), each a fixed sequence of 2 or 3 phonemes, played back to
back:

    ka    A I        lumo  I A        tesi  U E        bo    E U
    niva  A O E      ruk   E O A      dali  M I U      fen   U I M
    pilo  O M        zu    M O

Every word shares its phonemes with another word in a different order
("ka"/"lumo", "tesi"/"bo", "niva"/"ruk", "dali"/"fen", "pilo"/"zu"), so
the long-term spectrum of a clip does not tell these pairs apart: a model
has to read the order of the sounds.

Speakers (`SPEAKERS`, "s0" to "s9") differ by a pitch factor, which
multiplies every frequency, a speaking rate, which divides every duration,
and a timbre:

    speaker  s0    s1    s2    s3    s4    s5    s6    s7    s8    s9
    pitch    0.80  1.25  0.90  1.15  0.85  1.05  1.20  0.95  0.88  1.08
    rate     1.10  0.85  1.25  0.95  0.80  1.20  1.00  0.90  1.05  0.92

Train clips are spoken by s0 to s7, valid clips by s8 and test clips by s9:
held-out voices, so the scores are speaker-independent. The held-out
speakers' pitch and rate lie inside the training speakers' range.

Each clip adds its own variation (`render`): a pitch jitter of +-2%, a
duration jitter of +-15% per phoneme (durations stay within 60 to 160 ms),
a level jitter of +-3 dB per phoneme, 50 to 150 ms of silence before and
after (more where needed to make a single word last 0.3 s), and white or
pink noise at a signal-to-noise ratio of 10 to 30 dB, measured over the
sounding part. The clip is then scaled to a peak of 0.25 to 0.9, so that
its loudness varies too and it lies in [-1, 1].

`clips(task, split, seed)` gives whole splits:

- `"classify"`: one word per clip, 0.3 to 0.8 s; 3000 / 300 / 300 clips for
  train / valid / test, every word equally often, speakers in turn.
- `"transcribe"`: 1 to 5 words (uniformly, each word drawn uniformly and
  independently) with 30 to 150 ms of silence between words, 0.3 to 3.3 s;
  2000 / 200 / 200 clips; the speaker of each clip is drawn uniformly from
  the split's speakers.

Waveforms are float32 mono at `SAMPLE_RATE = 8000` Hz, as the Free Spoken
Digit Dataset, so the recipe's settings carry over from one to the other.
"""

import dataclasses
import numbers

import numpy as np

SAMPLE_RATE = 8000
SPEAKERS = tuple(f"s{i}" for i in range(10))
TASKS = ("classify", "transcribe")
SPLITS = ("train", "valid", "test")
SPLIT_SPEAKERS = {
    "train": SPEAKERS[:8],
    "valid": SPEAKERS[8:9],
    "test": SPEAKERS[9:],
}
SPLIT_SIZES = {
    "classify": {"train": 3000, "valid": 300, "test": 300},
    "transcribe": {"train": 2000, "valid": 200, "test": 200},
}

# Phonemes: (kind, frequencies in Hz at pitch factor 1, base duration in s).
# A chirp's two frequencies are its start and end; a chord's, its partials.
_PHONEMES = {
    "A": ("tone", (350.0,), 0.11),
    "I": ("tone", (1100.0,), 0.09),
    "U": ("chirp", (300.0, 900.0), 0.12),
    "O": ("chirp", (2000.0, 800.0), 0.12),
    "E": ("chord", (500.0, 1500.0), 0.10),
    "M": ("chord", (700.0, 2400.0), 0.10),
}
_WORD_PHONEMES = {
    "ka": "AI",
    "lumo": "IA",
    "tesi": "UE",
    "bo": "EU",
    "niva": "AOE",
    "ruk": "EOA",
    "dali": "MIU",
    "fen": "UIM",
    "pilo": "OM",
    "zu": "MO",
}
WORDS = tuple(_WORD_PHONEMES)

# Speaker: (pitch factor, speaking rate, second-harmonic amplitude).
_SPEAKER_VOICES = {
    "s0": (0.80, 1.10, 0.30),
    "s1": (1.25, 0.85, 0.10),
    "s2": (0.90, 1.25, 0.25),
    "s3": (1.15, 0.95, 0.05),
    "s4": (0.85, 0.80, 0.15),
    "s5": (1.05, 1.20, 0.35),
    "s6": (1.20, 1.00, 0.20),
    "s7": (0.95, 0.90, 0.00),
    "s8": (0.88, 1.05, 0.20),
    "s9": (1.08, 0.92, 0.15),
}

_PHONEME_SECONDS = (0.06, 0.16)
_RAMP_SECONDS = 0.015
_PITCH_JITTER = 0.02
_DURATION_JITTER = 0.15
_LEVEL_JITTER_DB = 3.0
_EDGE_SILENCE_SECONDS = (0.05, 0.15)
_GAP_SECONDS = (0.03, 0.15)
_MIN_WORD_CLIP_SECONDS = 0.3
_SNR_DB = (10.0, 30.0)
_PEAK = (0.25, 0.9)
_MAX_PARTIAL_HZ = 3800.0
_MAX_WORDS = 5


@dataclasses.dataclass
class Clip:
    """One generated utterance.

    Args:
        audio: float32 mono waveform in [-1, 1] at `SAMPLE_RATE`.
        label: the word (task `"classify"`), or the words separated by
            single spaces (task `"transcribe"`).
        speaker: the speaker's name, one of `SPEAKERS`.
    """

    audio: np.ndarray
    label: str
    speaker: str


def _check_int(name, value, minimum):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(
            f"Argument `{name}` must be a non-negative integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def _phoneme(kind, freqs, seconds, pitch, harmonic):
    n = max(int(round(seconds * SAMPLE_RATE)), 1)
    t = np.arange(n) / SAMPLE_RATE
    freqs = [f * pitch for f in freqs]
    if kind == "chirp":
        # Phase is the integral of a frequency moving linearly from start
        # to end, so the chirp sweeps smoothly.
        start, end = freqs
        phase = 2 * np.pi * (start * t + (end - start) * t**2 / (2 * seconds))
        wave = np.sin(phase)
        if 2 * max(freqs) < _MAX_PARTIAL_HZ:
            wave += harmonic * np.sin(2 * phase)
    else:
        wave = np.zeros(n)
        for f in freqs:
            wave += np.sin(2 * np.pi * f * t)
            if 2 * f < _MAX_PARTIAL_HZ:
                wave += harmonic * np.sin(4 * np.pi * f * t)
        wave /= len(freqs)
    # A raised-cosine attack and release: no clicks at the edges, which
    # would smear broadband energy over the spectrum.
    ramp = min(int(_RAMP_SECONDS * SAMPLE_RATE), n // 2)
    if ramp:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        wave[:ramp] *= rise
        wave[n - ramp :] *= rise[::-1]
    return wave


def _noise(n, pink, rng):
    white = rng.standard_normal(n)
    if not pink:
        return white
    # Pink noise: white noise with its amplitude spectrum shaped by
    # 1/sqrt(f), so that power falls by 3 dB per octave.
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return pink / (pink.std() + 1e-12)


def _seconds_to_samples(seconds):
    return int(round(seconds * SAMPLE_RATE))


def render(words, speaker, rng):
    """Renders one utterance of `words` by `speaker`.

    The clip is the words one after the other, 30 to 150 ms of silence
    between them and 50 to 150 ms before and after (more, shared equally
    before and after, where a single word would last less than 0.3 s), with
    the jitter and noise described in the module docstring. `clips` makes
    every clip with this function.

    Args:
        words: a sequence of words from `WORDS`, or one string of words
            separated by spaces; at least one word.
        speaker: the speaker's name, one of `SPEAKERS`.
        rng: a `numpy.random.Generator`, or an integer seed for one.

    Returns:
        A float32 NumPy array in [-1, 1], the waveform at `SAMPLE_RATE`.

    Example:

    >>> from gatedkeras.data import synthetic_audio
    >>> wave = synthetic_audio.render(["ka", "zu"], "s3", rng=0)
    >>> wave.dtype, wave.ndim, 0.3 < len(wave) / 8000 < 1.3
    (dtype('float32'), 1, True)
    >>> bool(np.abs(wave).max() <= 1)
    True
    """
    if isinstance(words, str):
        words = words.split()
    words = list(words)
    unknown = [w for w in words if w not in _WORD_PHONEMES]
    if not words or unknown:
        raise ValueError(
            f"`words` must be one or more words from {WORDS}. "
            f"Received: words={words!r}"
        )
    if speaker not in _SPEAKER_VOICES:
        raise ValueError(
            f"`speaker` must be one of {SPEAKERS}. "
            f"Received: speaker={speaker!r}"
        )
    if not isinstance(rng, np.random.Generator):
        if (
            isinstance(rng, bool)
            or not isinstance(rng, numbers.Integral)
            or rng < 0
        ):
            raise ValueError(
                "`rng` must be a `numpy.random.Generator` or a non-negative "
                f"integer seed. Received: rng={rng!r}"
            )
        rng = np.random.default_rng(int(rng))
    pitch, rate, harmonic = _SPEAKER_VOICES[speaker]
    pitch *= 1 + rng.uniform(-_PITCH_JITTER, _PITCH_JITTER)

    pieces = []
    voiced = []
    for index, word in enumerate(words):
        if index:
            pieces.append(
                np.zeros(_seconds_to_samples(rng.uniform(*_GAP_SECONDS)))
            )
        for symbol in _WORD_PHONEMES[word]:
            kind, freqs, base = _PHONEMES[symbol]
            jitter = 1 + rng.uniform(-_DURATION_JITTER, _DURATION_JITTER)
            seconds = np.clip(base / rate * jitter, *_PHONEME_SECONDS)
            level = 10 ** (
                rng.uniform(-_LEVEL_JITTER_DB, _LEVEL_JITTER_DB) / 20
            )
            wave = level * _phoneme(kind, freqs, seconds, pitch, harmonic)
            pieces.append(wave)
            voiced.append(wave)
    speech = np.concatenate(pieces)

    before, after = (
        _seconds_to_samples(rng.uniform(*_EDGE_SILENCE_SECONDS))
        for _ in range(2)
    )
    shortfall = _seconds_to_samples(_MIN_WORD_CLIP_SECONDS) - (
        len(speech) + before + after
    )
    if shortfall > 0:
        before += shortfall // 2
        after += shortfall - shortfall // 2
    clean = np.concatenate([np.zeros(before), speech, np.zeros(after)])

    # The SNR is measured over the phonemes alone, as speech levels are,
    # so that it does not depend on how much silence the clip holds.
    signal_power = np.mean(np.concatenate(voiced) ** 2)
    snr_db = rng.uniform(*_SNR_DB)
    noise = _noise(len(clean), rng.random() < 0.5, rng)
    noisy = clean + noise * np.sqrt(signal_power / 10 ** (snr_db / 10))
    peak = rng.uniform(*_PEAK)
    return (noisy * (peak / np.abs(noisy).max())).astype(np.float32)


def clips(task="classify", split="train", seed=0):
    """Generates one split of the synthetic speech dataset.

    Each `(task, split, seed)` has its own random stream, so the splits are
    independent samples and the same arguments give the same clips. See
    the module docstring for what the clips hold.

    Args:
        task: `"classify"` (one word per clip) or `"transcribe"` (1 to 5
            words per clip). Defaults to `"classify"`.
        split: `"train"` (speakers s0 to s7), `"valid"` (s8) or `"test"`
            (s9). Defaults to `"train"`.
        seed: Non-negative integer; the same seed gives the same clips.
            Defaults to `0`.

    Returns:
        A list of `Clip`s: 3000 / 300 / 300 for train / valid / test with
        task `"classify"`, 2000 / 200 / 200 with task `"transcribe"`.

    Example:

    >>> from gatedkeras.data import synthetic_audio
    >>> valid = synthetic_audio.clips("transcribe", "valid")
    >>> len(valid), valid[0].speaker, valid[0].audio.dtype
    (200, 's8', dtype('float32'))
    >>> all(w in synthetic_audio.WORDS for w in valid[0].label.split())
    True
    """
    if task not in TASKS:
        raise ValueError(
            f"Argument `task` must be one of {TASKS}. Received: task={task!r}"
        )
    if split not in SPLITS:
        raise ValueError(
            f"Argument `split` must be one of {SPLITS}. "
            f"Received: split={split!r}"
        )
    seed = _check_int("seed", seed, 0)
    rng = np.random.default_rng([seed, TASKS.index(task), SPLITS.index(split)])
    size = SPLIT_SIZES[task][split]
    speakers = SPLIT_SPEAKERS[split]
    result = []
    if task == "classify":
        # Every word equally often and, within each word, speakers in turn;
        # then shuffled so that batches mix words and speakers.
        rows = [
            (WORDS[i % len(WORDS)], speakers[(i // len(WORDS)) % len(speakers)])
            for i in range(size)
        ]
        for i in rng.permutation(size):
            word, speaker = rows[i]
            result.append(Clip(render([word], speaker, rng), word, speaker))
    else:
        for _ in range(size):
            count = int(rng.integers(1, _MAX_WORDS + 1))
            words = [WORDS[i] for i in rng.integers(0, len(WORDS), count)]
            speaker = speakers[int(rng.integers(len(speakers)))]
            result.append(
                Clip(render(words, speaker, rng), " ".join(words), speaker)
            )
    return result
