"""The speech recipe end to end on shrunken settings: batches, CTC loss and
decoding against hand-made cases, training on each kind of data, saving,
resuming, the command line and bad input."""

import json
import os
import warnings

import keras
import numpy as np
import pytest
import scipy.io.wavfile

from gatedkeras import cli
from gatedkeras import metrics
from gatedkeras.data import audio
from gatedkeras.data import synthetic_audio
from recipes import optimization
from recipes import speech
from recipes.speech import batches
from recipes.speech.inference import ctc_transcripts
from recipes.speech.model import SpeechModel
from tests.harness import to_numpy

# The smallest run that still exercises every part of `train()`.
TINY = {
    "units": 8,
    "num_layers": 1,
    "conv_filters": 8,
    "mel_bins": 16,
    "batch_size": 16,
    "steps_per_epoch": 2,
    "epochs": 1,
    "tensorboard": False,
    "verbose": 0,
}


def _write_fsdd(folder, speakers=("ann", "bob", "cy", "dee"), rates=None):
    """A tiny FSDD-layout folder: two recordings of digits 0-2 per speaker,
    tones whose pitch says the digit."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for number, speaker in enumerate(speakers):
        rate = (rates or [8000])[number % len(rates or [8000])]
        for digit in range(3):
            for index in range(2):
                seconds = rng.uniform(0.2, 0.5)
                t = np.arange(int(seconds * rate)) / rate
                wave = 0.5 * np.sin(2 * np.pi * (300 + 400 * digit) * t)
                samples = (wave * 32767).astype("int16")
                if speaker == "bob":
                    samples = np.stack([samples, samples], axis=1)
                scipy.io.wavfile.write(
                    os.path.join(folder, f"{digit}_{speaker}_{index}.wav"),
                    rate,
                    samples,
                )
    return folder


def _model(task="transcribe", labels=("1", "2", "3"), **options):
    model = SpeechModel(
        list(labels), task=task, units=8, num_layers=1, seed=0, **options
    )
    model.build()
    return model


def _clips_of_ones(count, shortest, fastest=None):
    """`count` classification clips of ones, `shortest` to 4,000 samples
    long (seeded): their lengths and their `Encoded`."""
    lengths = np.random.default_rng(0).integers(shortest, 4000, size=count)
    encoded = batches.Encoded(
        [np.ones(n, "float32") for n in lengths],
        [int(i % 3) for i in range(count)],
        {"unknown_label": 0, "too_short": 0},
        fastest,
    )
    return lengths, encoded


def test_buckets_pad_to_their_bound_and_count_their_steps():
    model = _model("classify", conv_filters=4)
    lengths, encoded = _clips_of_ones(37, 100)
    bucket = batches.bucket_samples(model, 0.1)
    assert bucket == 800
    data = batches.dataset(encoded, 8, bucket, shuffle=True, seed=1)
    seen = []
    for (waves, clip_lengths), targets in data.as_numpy_iterator():
        assert waves.shape[1] % bucket == 0
        assert waves.shape[1] - clip_lengths.max() < bucket
        # Every clip's samples are intact and followed by zeros.
        for row, n in enumerate(clip_lengths):
            assert (waves[row, :n] == 1).all() and (waves[row, n:] == 0).all()
        seen.extend(clip_lengths.tolist())
    assert sorted(seen) == sorted(lengths.tolist())
    assert int(data.cardinality()) == batches.steps(encoded, 8, bucket)


def test_resample_plays_each_clip_at_its_speed():
    """Against NumPy's linear interpolation; a tone sped up by a factor
    rises in pitch by that factor."""
    rate, lengths = 8000, np.array([4000, 2500])
    t = np.arange(4000) / rate
    waves = np.stack([np.sin(2 * np.pi * 500 * t)] * 2).astype("float32")
    waves[1, 2500:] = 0
    factors = np.array([1.25, 0.8], "float32")
    out, new_lengths = batches.resample(waves, lengths, factors, 4000)
    out, new_lengths = to_numpy(out), to_numpy(new_lengths)
    np.testing.assert_array_equal(new_lengths, [3200, 3125])
    for row in range(2):
        n, length = new_lengths[row], lengths[row]
        expected = np.interp(
            np.arange(n) * factors[row], np.arange(length), waves[row, :length]
        )
        # float32 positions: about 3e-4 of a sample at 3,000 samples.
        np.testing.assert_allclose(out[row, :n], expected, atol=1e-4)
        assert (out[row, n:] == 0).all()
        spectrum = np.abs(np.fft.rfft(out[row, :n]))
        peak = np.argmax(spectrum) * rate / n
        assert abs(peak - 500 * factors[row]) < 5


def test_speed_perturbation_draws_new_seeded_speeds_each_epoch():
    # Clip 0 may not play faster than its own speed.
    lengths, encoded = _clips_of_ones(30, 1000, fastest=[1.0] + [np.inf] * 29)

    def epochs(count, seed=0):
        data = batches.dataset(encoded, 8, 800, seed=seed, speed=0.2)
        assert int(data.cardinality()) == batches.steps(encoded, 8, 800)
        return [
            np.concatenate([n for (_, n), _ in data.as_numpy_iterator()])
            for _ in range(count)
        ]

    first, second = epochs(2)
    # Unshuffled, clip order is fixed: each epoch draws new speeds.
    assert first.shape == second.shape == (30,)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(epochs(1)[0], first)
    assert not np.array_equal(epochs(1, seed=1)[0], first)
    order = np.concatenate(
        [n for (_, n), _ in batches.dataset(encoded, 8, 800)]
    )
    ratio = order / first
    assert ratio.min() >= 0.8 - 1e-3 and ratio.max() <= 1.2 + 1e-3
    assert ratio.std() > 0.05
    (clip_0,) = np.flatnonzero(order == lengths[0])
    assert first[clip_0] >= lengths[0]
    for (waves, clip_lengths), _ in batches.dataset(
        encoded, 8, 800, speed=0.2
    ).as_numpy_iterator():
        assert waves.shape[1] % 800 == 0
        for row, n in enumerate(clip_lengths):
            assert (
                np.allclose(waves[row, :n], 1) and (waves[row, n:] == 0).all()
            )


def test_a_transcript_still_aligns_at_its_fastest_speed():
    model = _model(conv_filters=4, subsampling=2)
    clips = audio.Clips(
        [np.zeros(n, "float32") for n in (8000, 900)],
        ["1 2", "1 1 2 3"],
        ["a"] * 2,
    )
    encoded = batches.encode(model, clips)
    assert encoded.fastest[0] > 10
    # At its fastest, a clip keeps just the frames its transcript needs.
    fastest = np.float32(encoded.fastest[1])
    needed = batches.ctc_frames_needed(encoded.targets[1])
    _, (played,) = batches.resample(
        np.zeros((1, 900), "float32"), [900], [fastest], 900
    )
    assert batches.frame_count(model, int(played)) >= needed
    assert batches.frame_count(model, int(played) - model.hop) < needed
    classify = batches.encode(
        _model("classify"),
        audio.Clips([np.zeros(900, "float32")], ["1"], ["a"]),
    )
    assert classify.fastest == [np.inf]


def test_transcription_targets_are_padded_to_one_width():
    model = _model()
    clips = audio.Clips(
        [np.zeros(4000, "float32"), np.zeros(2000, "float32")],
        ["1 2 3 1", "2"],
        ["a", "a"],
    )
    encoded = batches.encode(model, clips)
    assert encoded.targets == [[1, 2, 3, 1], [2]]
    data = batches.dataset(encoded, 4, 800)
    widths = {t.shape[1] for (_, _), t in data.as_numpy_iterator()}
    assert widths == {4}


def test_encode_leaves_out_and_counts_what_it_cannot_train_on():
    model = _model(conv_filters=4, subsampling=4)
    clips = audio.Clips(
        [np.zeros(n, "float32") for n in (8000, 8000, 80)],
        ["1 2", "1 9", "1 1 2 2 3"],
        ["a"] * 3,
    )
    encoded = batches.encode(model, clips)
    assert len(encoded) == 1
    # "9" is not a symbol; 80 samples make 1 frame, far fewer than the 7
    # that "1 1 2 2 3" needs.
    assert encoded.left_out == {"unknown_label": 1, "too_short": 1}
    assert batches.ctc_frames_needed([1, 1, 2, 2, 3]) == 7


@pytest.mark.backend_math
def test_ctc_greedy_decoding_of_a_hand_made_alignment():
    model = _model()
    # Frames: 1 1 _ 1 2 2 _ _ 3 | padding that would read "2" if counted.
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2, 2]
    logits = np.full((2, len(path), 4), -5.0, "float32")
    for frame, symbol in enumerate(path):
        logits[0, frame, symbol] = 5.0
        logits[1, frame, 0] = 5.0
    logits[1, 2, 3] = 10.0
    frames = np.array([9, 5])
    found = ctc_transcripts(model, logits, frames)
    assert found == ["1 1 2 3", "3"]
    assert ctc_transcripts(model, logits, frames, beam_width=4) == found


@pytest.mark.backend_math
def test_ctc_beam_search_finds_the_likelier_merged_transcript():
    """Frame by frame, the blank is best at every step, so greedy decoding
    says nothing; summed over alignments, "1" is likelier (0.6 * 0.6
    blank-blank against 1 - 0.36 for the paths that emit "1")."""
    model = _model()
    probs = np.array([[0.6, 0.4, 0.0, 0.0], [0.6, 0.4, 0.0, 0.0]])
    logits = np.log(np.maximum(probs, 1e-9))[None].astype("float32")
    frames = np.array([2])
    assert ctc_transcripts(model, logits, frames) == [""]
    assert ctc_transcripts(model, logits, frames, beam_width=8) == ["1"]


@pytest.mark.backend_math
def test_ctc_loss_matches_the_sum_over_alignments():
    """Two frames and the target "1": the alignments are 1-1, 1-blank and
    blank-1, so the loss is -log(sum of their probabilities)."""
    model = _model()
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 2, 4)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    p = probs[0]
    expected = -np.log(
        p[0, 1] * p[1, 1] + p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1]
    )
    # 80 samples at a 10 ms hop make 2 frames (no front end).
    loss = to_numpy(model.ctc_loss(np.array([80]), np.array([[1, 0]]), logits))
    np.testing.assert_allclose(loss, [expected], rtol=1e-4)


def test_train_classify_end_to_end_then_save_load_and_predict(tmp_path):
    result = speech.train(output_dir=str(tmp_path / "run"), **TINY)
    assert set(result.metrics) >= {
        "val_accuracy",
        "val_loss",
        "test_accuracy",
        "test_loss",
        "left_out_unknown_label",
        "train_seconds",
    }
    assert result.model.labels == sorted(synthetic_audio.WORDS)
    with open(tmp_path / "run" / "metrics.json") as f:
        assert json.load(f)["test_clips"] == 300
    loaded = speech.from_preset(str(tmp_path / "run" / "model.keras"))
    clip = synthetic_audio.clips("classify", "test")[0]
    path = str(tmp_path / "clip.wav")
    # A wav file at another rate: resampled to the model's 8 kHz.
    wave = audio.resample(clip.audio, 8000, 16000)
    scipy.io.wavfile.write(path, 16000, wave)
    from_file = speech.predict(loaded, [path])
    from_array = speech.predict(loaded, clip.audio)
    assert from_file == from_array == speech.predict(result.model, clip.audio)
    assert from_array[0] in synthetic_audio.WORDS
    batch = keras.ops.convert_to_tensor(np.stack([clip.audio, clip.audio]))
    assert speech.predict(loaded, batch) == from_array * 2


def test_train_transcribe_end_to_end(tmp_path):
    result = speech.train(
        task="transcribe",
        output_dir=str(tmp_path / "run"),
        beam_width=3,
        speed_perturbation=0.1,
        noise_snr=20,
        **TINY,
    )
    assert np.isfinite(result.history["loss"]).all()
    assert {"val_wer", "val_cer", "test_wer", "test_cer"} <= set(result.metrics)
    assert result.model.labels == sorted(synthetic_audio.WORDS)
    clips = synthetic_audio.clips("transcribe", "test")[:3]
    found = speech.transcribe(result.model, [c.audio for c in clips])
    assert len(found) == 3
    assert all(set(t.split()) <= set(synthetic_audio.WORDS) for t in found)
    with pytest.raises(ValueError, match=r"task='classify'"):
        speech.predict(result.model, clips[0].audio)


def test_train_on_a_folder_of_wav_files(tmp_path):
    folder = _write_fsdd(str(tmp_path / "fsdd"), rates=[8000, 16000, 11025])
    with open(folder + "/2_ann_0.wav", "wb") as f:
        f.write(b"RIFF not really")
    with pytest.raises(ValueError, match=r"2_ann_0\.wav"):
        speech.train(data=folder, output_dir=str(tmp_path / "a"), **TINY)
    result = speech.train(
        data=folder,
        skip_unreadable=True,
        output_dir=str(tmp_path / "b"),
        **TINY,
    )
    assert result.model.labels == ["0", "1", "2"]
    assert result.metrics["test_clips"] == 6  # dee, the last speaker
    result = speech.train(
        task="transcribe",
        data=folder,
        skip_unreadable=True,
        utterances=20,
        test_speakers=["ann"],
        valid_speakers=["bob"],
        output_dir=str(tmp_path / "c"),
        **TINY,
    )
    assert result.metrics["test_clips"] == 2
    assert result.model.labels == ["0", "1", "2"]


def test_train_with_tfds_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=24):
        result = speech.train(
            data="tfds:spoken_digit",
            split_by="random",
            output_dir=str(tmp_path / "run"),
            **TINY,
        )
    assert result.metrics["test_clips"] >= 1


def test_resume_after_an_interruption(tmp_path, monkeypatch):
    class Interrupted(Exception):
        pass

    class InterruptAtEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise Interrupted

    settings = {**TINY, "epochs": 3, "output_dir": str(tmp_path / "run")}
    schedule_callbacks = optimization.schedule_callbacks
    monkeypatch.setattr(
        optimization,
        "schedule_callbacks",
        lambda config: schedule_callbacks(config) + [InterruptAtEpoch()],
    )
    with pytest.raises(Interrupted):
        speech.train(**settings)
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r"unfinished run.*units=16"):
        speech.train(**{**settings, "units": 16})
    result = speech.train(**settings)
    assert len(result.history["loss"]) == 1
    with pytest.raises(ValueError, match=r"already holds a finished model"):
        speech.train(**settings)


def test_bad_settings_data_and_audio(tmp_path):
    run = str(tmp_path / "run")
    with pytest.raises(ValueError, match=r"task=.sing."):
        speech.train(task="sing", output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"Known layers"):
        speech.train(cell="nope", output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"Unknown speech settings"):
        speech.train(unitz=3, output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"level="):
        speech.train(level="phone", output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"bucket_seconds"):
        speech.train(bucket_seconds=0, output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"speed_perturbation=0.5"):
        speech.train(speed_perturbation=0.5, output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"noise_snr='loud'"):
        speech.train(noise_snr="loud", output_dir=run, **TINY)
    with pytest.raises(FileNotFoundError, match=r"nowhere"):
        speech.train(data=str(tmp_path / "nowhere"), output_dir=run, **TINY)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"wav"):
        speech.train(data=str(empty), output_dir=run, **TINY)
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    scipy.io.wavfile.write(
        str(unlabelled / "hello.wav"), 8000, np.zeros(800, "int16")
    )
    with pytest.raises(ValueError, match=r"No labels found"):
        speech.train(data=str(unlabelled), output_dir=run, **TINY)
    model = _model("classify")
    with pytest.raises(ValueError, match=r"empty"):
        speech.predict(model, [np.zeros(0, "float32")])
    with pytest.raises(ValueError, match=r"1-D"):
        speech.predict(model, [np.zeros((2, 3, 4), "float32")])
    with pytest.raises(FileNotFoundError):
        speech.predict(model, [str(tmp_path / "missing.wav")])
    with pytest.raises(ValueError, match=r"beam_width"):
        speech.transcribe(_model(), [np.zeros(800, "float32")], beam_width=0)


def test_unknown_validation_labels_are_counted_and_warned(tmp_path):
    folder = _write_fsdd(str(tmp_path / "fsdd"))
    # A digit only the validation speaker says.
    scipy.io.wavfile.write(
        os.path.join(folder, "7_cy_0.wav"), 8000, np.zeros(2000, "int16")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = speech.train(
            data=folder, output_dir=str(tmp_path / "r"), **TINY
        )
    assert any("no training clip has" in str(w.message) for w in caught)
    assert "7" not in result.model.labels
    assert result.metrics["val_clips"] == 7


def test_command_line_train_and_transcribe(tmp_path, capsys):
    run = str(tmp_path / "run")
    flags = [
        "--units=8",
        "--num-layers=1",
        "--conv-filters=8",
        "--mel-bins=16",
        "--steps-per-epoch=2",
        "--epochs=1",
        "--no-tensorboard",
        "--verbose=0",
    ]
    status = cli.main(
        ["train", "speech", "--task", "transcribe", "--output-dir", run] + flags
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "test_wer:" in out and run in out
    clip = synthetic_audio.clips("transcribe", "test")[0]
    path = str(tmp_path / "clip.wav")
    scipy.io.wavfile.write(path, 8000, clip.audio)
    assert cli.main(["transcribe", run, path, "--beam-width", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(path + "\t")
    assert cli.main(["transcribe", run, str(tmp_path / "no.wav")]) == 2
    assert "no.wav" in capsys.readouterr().err
    status = cli.main(
        ["train", "speech", "--output-dir", run + "2", "--bucket-seconds=0"]
        + flags
    )
    assert status == 2
    assert "bucket_seconds" in capsys.readouterr().err


def test_command_line_list_settings(monkeypatch, capsys):
    """A list setting takes the values after its flag, and none is the
    empty list (`--valid-speakers`: validate on the training speakers)."""
    calls = []

    def train(**settings):
        calls.append(settings)
        return speech.TrainResult(None, {}, {"test_accuracy": 1.0}, "runs/x")

    monkeypatch.setattr(speech, "train", train)
    argv = ["train", "speech", "--test-speakers", "theo", "jackson"]
    assert cli.main(argv + ["--valid-speakers"]) == 0
    assert calls[0]["test_speakers"] == ["theo", "jackson"]
    assert calls[0]["valid_speakers"] == []
    assert cli.main(argv) == 0
    assert calls[1]["valid_speakers"] is None
    assert "test_accuracy: 1.0" in capsys.readouterr().out


FSDD = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "data", "fsdd"
)


def test_unknown_preset():
    with pytest.raises(ValueError, match=r"Known presets: \["):
        speech.from_preset("no_such_preset")


@pytest.mark.backend_math
@pytest.mark.parametrize("name", speech.presets())
def test_every_preset_loads_and_runs(name):
    """Every shipped preset loads offline and reads raw audio; on real FSDD
    clips (where ../shared/data is, as in CI) it gets them right."""
    model = speech.from_preset(name)
    card = speech.model_card(name)
    noise = np.random.default_rng(0).normal(0, 0.1, 4000).astype("float32")
    if model.task == "classify":
        assert "accuracy" in card
        assert speech.predict(model, noise)[0] in model.labels
    else:
        assert "WER" in card
        assert isinstance(speech.transcribe(model, noise)[0], str)
    recordings = os.path.join(FSDD, "recordings")
    if not os.path.isdir(recordings):
        return
    # Held-out recordings 0-4 of a speaker no preset trains on for
    # transcription, and that the classifier only tests on.
    paths = [
        os.path.join(recordings, f"{digit}_theo_0.wav") for digit in range(10)
    ]
    if model.task == "classify":
        predicted = speech.predict(model, paths)
        assert sum(a == str(b) for b, a in enumerate(predicted)) >= 9
    else:
        gap = np.zeros(800, "float32")
        wave = np.concatenate(
            [piece for p in paths[::2] for piece in (audio.read_wav(p), gap)]
        )
        heard = speech.transcribe(model, wave)[0]
        assert metrics.wer([heard], ["0 2 4 6 8"]) <= 40, heard
