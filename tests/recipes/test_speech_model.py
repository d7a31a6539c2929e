"""The speech model on its own: features, masking of padded frames, the
front end's frame counts, SpecAugment and saving, on every backend."""

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras.data import synthetic_audio
from recipes.speech.model import SpeechModel
from tests.harness import assert_close
from tests.harness import to_numpy


def _batch(count=3):
    clips = synthetic_audio.clips("transcribe", "valid")[:count]
    lengths = np.array([len(c.audio) for c in clips])
    waves = np.zeros((count, lengths.max()), "float32")
    for row, clip in enumerate(clips):
        waves[row, : len(clip.audio)] = clip.audio
    return waves, lengths


def _model(task="classify", **options):
    model = SpeechModel(
        list(synthetic_audio.WORDS), task=task, units=8, seed=1, **options
    )
    model.build()
    return model


def test_a_layer_that_stacks_itself_is_built_as_deep_as_asked():
    model = _model("transcribe", cell="depth_gated_lstm", num_layers=3)
    assert len(model.recurrent_layers) == 1
    assert model.recurrent_layers[0].forward_layer.num_layers == 3
    waves, lengths = _batch()
    assert np.all(np.isfinite(to_numpy(model((waves, lengths)))))


@pytest.mark.backend_math
@pytest.mark.parametrize("conv_filters", [0, 16])
@pytest.mark.parametrize("task", ["classify", "transcribe"])
def test_padding_does_not_change_the_output(task, conv_filters):
    """A clip alone and zero-padded in a batch with longer clips gets the
    same logits on its valid frames."""
    model = _model(task, conv_filters=conv_filters)
    waves, lengths = _batch()
    together = to_numpy(model((waves, lengths)))
    frames = to_numpy(model.frame_lengths(lengths))
    for row in range(len(lengths)):
        alone = to_numpy(
            model(
                (waves[row : row + 1, : lengths[row]], lengths[row : row + 1])
            )
        )[0]
        if task == "classify":
            assert_close(together[row], alone, atol=1e-4)
        else:
            assert alone.shape[0] >= frames[row]
            assert_close(
                together[row, : frames[row]], alone[: frames[row]], atol=1e-4
            )


@pytest.mark.backend_math
def test_frames_and_shapes():
    waves, lengths = _batch()
    model = _model("transcribe", conv_filters=8, subsampling=2)
    logits = to_numpy(model((waves, lengths)))
    frames = to_numpy(model.frame_lengths(lengths))
    # 10 ms hops, then a stride of 2.
    expected = -(-(lengths // 80 + 1) // 2)
    assert frames.tolist() == expected.tolist()
    assert logits.shape[0] == 3 and logits.shape[2] == 11
    assert logits.shape[1] >= frames.max()


@pytest.mark.backend_math
def test_a_clip_shorter_than_a_window_makes_a_frame():
    # TFDS mock data yields clips of 43 to 47 samples.
    model = _model("transcribe")
    waves = np.random.default_rng(0).normal(size=(2, 45)).astype("float32")
    logits = to_numpy(model((waves, np.array([45, 30]))))
    assert logits.shape[1] >= 1 and np.isfinite(logits).all()
    assert to_numpy(model.frame_lengths(np.array([45, 30]))).tolist() == [1, 1]


def test_features_are_normalised_per_utterance_over_valid_frames():
    model = _model()
    waves, lengths = _batch()
    mel, mask = model.features(waves, lengths)
    mel, mask = to_numpy(mel), to_numpy(mask)
    for row in range(len(lengths)):
        valid = mel[row][mask[row]]
        assert_close(valid.mean(0), np.zeros(model.mel_bins), atol=1e-3)
        assert_close(valid.std(0), np.ones(model.mel_bins), atol=2e-2)
        assert np.all(mel[row][~mask[row]] == 0)


def test_features_do_not_depend_on_louder_batch_mates():
    """The decibel floor is each clip's own: a quiet clip keeps its
    features beside a loud one (a floor below the batch's loudest value
    would clip it, so scores would depend on how clips are batched)."""
    model = _model()
    waves, lengths = _batch(2)
    waves[1] *= 1e-4
    together = to_numpy(model.features(waves, lengths)[0])[1]
    quiet = waves[1:, : lengths[1]]
    alone = to_numpy(model.features(quiet, lengths[1:])[0])[0]
    frames = int(lengths[1] // model.hop + 1)
    assert_close(together[:frames], alone[:frames], atol=1e-4)


def _warp_reference(alpha, bins, knee_fraction):
    """Jaitly and Hinton's map, inverted: the input position each output
    bin reads, for warp factor `alpha`, in NumPy."""
    top = bins - 1.0
    knee = knee_fraction * top * min(alpha, 1.0)
    b = np.arange(bins, dtype="float64")
    above = top - (top - b) * (top - knee / alpha) / (top - knee)
    return np.clip(np.where(b <= knee, b / alpha, above), 0, top)


@pytest.mark.backend_math
def test_frequency_warp_follows_the_vtlp_map():
    """On a ramp across the mel bins (bin b holds b), linear interpolation is
    exact, so the warped rows are the positions the map reads: each row is
    the reference map for its own factor, within [0.8, 1.2]."""
    from recipes.speech.model import WARP_KNEE

    model = _model(frequency_warp=0.2)
    bins = model.mel_bins
    ramp = np.tile(np.arange(bins, dtype="float32"), (6, 3, 1))
    warped = to_numpy(model._warp_frequencies(ramp))
    factors = set()
    for row in warped:
        assert_close(row[0], row[1], atol=1e-6)  # every frame alike
        alpha = 1.0 / row[0, 1]  # the first bin is below the knee
        assert 0.8 - 1e-4 <= alpha <= 1.2 + 1e-4
        expected = _warp_reference(alpha, bins, WARP_KNEE)
        assert_close(row[0], expected, atol=1e-4)
        assert row[0, 0] == 0 and row[0, -1] == bins - 1
        factors.add(round(float(alpha), 4))
    assert len(factors) == 6  # one factor per utterance


@pytest.mark.parametrize("option", [{"frequency_warp": 0.2}, {"noise_snr": 0}])
def test_augmentation_only_in_training(option):
    model = _model(time_masks=0, frequency_masks=0, **option)
    plain_model = _model(time_masks=0, frequency_masks=0)
    waves, lengths = _batch()
    plain = to_numpy(plain_model.features(waves, lengths, training=True)[0])
    assert_close(to_numpy(model.features(waves, lengths)[0]), plain)
    augmented = to_numpy(model.features(waves, lengths, training=True)[0])
    assert np.abs(augmented - plain).max() > 0.1


@pytest.mark.backend_math
def test_noise_is_added_at_the_drawn_signal_to_noise_ratio():
    """Each clip gets white noise at its own ratio, between `noise_snr` and
    30 dB above it, against the clip's own power; the padding stays
    silent."""
    model = _model(noise_snr=10.0)
    samples = 40000
    lengths = np.array([samples, samples // 2, samples // 4, samples])
    rng = np.random.default_rng(0)
    waves = np.zeros((4, samples), "float32")
    for row, (length, gain) in enumerate(zip(lengths, (1.0, 0.1, 3.0, 0.5))):
        waves[row, :length] = gain * np.sin(np.arange(length) * 0.3)
    waves[3, :samples] += 0.01 * rng.standard_normal(samples)
    noisy = to_numpy(
        model._add_noise(
            ops.convert_to_tensor(waves), ops.convert_to_tensor(lengths)
        )
    )
    ratios = []
    for row, length in enumerate(lengths):
        signal = np.mean(waves[row, :length] ** 2)
        noise = np.mean((noisy[row, :length] - waves[row, :length]) ** 2)
        ratios.append(10 * np.log10(signal / noise))
        assert np.all(noisy[row, length:] == 0)
    ratios = np.array(ratios)
    # The measured ratio of tens of thousands of samples is within 0.2 dB.
    assert np.all(ratios > 10 - 0.2) and np.all(ratios < 40 + 0.2)
    assert np.ptp(ratios) > 1  # one draw per clip


def test_spec_augment_masks_only_in_training():
    model = _model(time_masks=2, time_mask_frames=5, frequency_masks=2)
    waves, lengths = _batch()
    plain, mask = model.features(waves, lengths)
    augmented, _ = model.features(waves, lengths, training=True)
    plain, augmented, mask = (to_numpy(t) for t in (plain, augmented, mask))
    zeroed = (augmented == 0) & (plain != 0)
    assert zeroed.any()
    # At most 2 masks of 5 frames, none wider than 20% of the clip.
    for row in range(len(lengths)):
        cut_frames = np.all(augmented[row][mask[row]] == 0, axis=1).sum()
        assert cut_frames <= 2 * min(5, int(0.2 * mask[row].sum()))
    short, short_mask = model.features(waves[:, :400], [400] * 3, True)
    short, short_mask = to_numpy(short), to_numpy(short_mask)
    for row in range(3):
        # 6 frames: no time mask wider than 1 frame.
        assert np.all(short[row][short_mask[row]] == 0, axis=1).sum() <= 2
    assert np.all(augmented[(augmented != 0)] == plain[(augmented != 0)])


@pytest.mark.backend_math
def test_save_and_load(tmp_path):
    model = _model("transcribe", conv_filters=8)
    waves, lengths = _batch()
    expected = to_numpy(model((waves, lengths)))
    path = str(tmp_path / "speech.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert_close(to_numpy(loaded((waves, lengths))), expected, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"task='spell'"):
        SpeechModel(["a"], task="spell")
    with pytest.raises(ValueError, match=r"distinct"):
        SpeechModel(["a", "a"])
    with pytest.raises(ValueError, match=r"frame_length=0.005"):
        SpeechModel(["a"], frame_length=0.005, frame_step=0.01)
    with pytest.raises(ValueError, match=r"units=0"):
        SpeechModel(["a"], units=0)
    with pytest.raises(ValueError, match=r"time_mask_ratio=1.5"):
        SpeechModel(["a"], time_mask_ratio=1.5)
    with pytest.raises(ValueError, match=r"Known layers"):
        SpeechModel(["a"], cell="nope")
    with pytest.raises(ValueError, match=r"frequency_warp=0.5"):
        SpeechModel(["a"], frequency_warp=0.5)
    for snr in ("loud", True, 200):
        with pytest.raises(ValueError, match=f"noise_snr={snr!r}"):
            SpeechModel(["a"], noise_snr=snr)
    with pytest.raises(ValueError, match=r"conv_filters=-1"):
        SpeechModel(["a"], conv_filters=-1)
    assert ops.shape(SpeechModel(["a"]).frame_lengths(np.array([80])))[0] == 1
