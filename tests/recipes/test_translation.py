"""The translation recipe end to end on shrunken settings: the model's step
against its teacher-forced pass for every cell, decoding, training on each
kind of data, saving, resuming and bad input."""

import gzip
import json
import math
import os
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras import layers
from gatedkeras.data import synthetic_parallel
from gatedkeras.data.subword import SubwordTokenizer
from recipes import optimization
from recipes import translation
from recipes.translation import batches
from recipes.translation import decoding
from tests.harness import assert_close
from tests.harness import to_numpy

# The smallest run that still exercises every part of `train()`.
TINY = {
    "units": 8,
    "embedding_dim": 8,
    "batch_size": 16,
    "steps_per_epoch": 2,
    "epochs": 1,
    "vocabulary_size": 64,
    "beam_width": 2,
    "evaluation_pairs": 24,
    "tensorboard": False,
    "verbose": 0,
}
# Extra layer arguments some cells need at 8 units.
CELL_OPTIONS = {"clockwork_rnn": {"num_modules": 2}}
SHARED = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "data"
)
MULTI30K = os.path.join(SHARED, "multi30k", "task1", "raw")


@pytest.fixture(scope="module")
def tokenizer():
    pairs = synthetic_parallel.corpus("valid")
    return SubwordTokenizer.train(
        [s for s, _ in pairs] + [t for _, t in pairs], vocabulary_size=120
    )


def _model(tokenizer, cell="gru", attention="bahdanau", **options):
    model = translation.Translator(
        tokenizer,
        cell=cell,
        attention=attention,
        units=8,
        embedding_dim=6,
        cell_options={
            **CELL_OPTIONS.get(cell, {}),
            **options.pop("cell_options", {}),
        },
        seed=1,
        **options,
    )
    model.build()
    # Larger weights than Keras's defaults, so that outputs depend
    # strongly on every input and state.
    for variable in model.trainable_variables:
        variable.assign(keras.random.uniform(variable.shape, -0.6, 0.6, seed=3))
    return model


def _batch(tokenizer, count=3, split="test"):
    pairs = synthetic_parallel.corpus(split)[:count]
    sources = tokenizer.encode([s for s, _ in pairs])
    targets = tokenizer.encode([t for _, t in pairs])
    source = batches.pad(
        [np.append(s, tokenizer.end_id) for s in sources], tokenizer.pad_id
    )
    target = batches.pad(
        [np.append(tokenizer.start_id, t) for t in targets], tokenizer.pad_id
    )
    return source, target


def _write(path, lines, compress=False):
    text = "".join(line + "\n" for line in lines)
    if compress:
        with gzip.open(str(path) + ".gz", "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def _multi30k_folder(path, count=60, compress=False):
    """A tiny Multi30k layout from the synthetic corpus, lern as "de"."""
    path.mkdir()
    for split, name in (
        ("train", "train"),
        ("valid", "val"),
        ("test", "test_2016_flickr"),
    ):
        pairs = synthetic_parallel.corpus(split)[:count]
        _write(path / f"{name}.de", [s for s, _ in pairs], compress)
        _write(path / f"{name}.en", [t for _, t in pairs], compress)
    return str(path)


# --- the model -----------------------------------------------------------


def _stepwise(model, source, target):
    """Logits and attention weights of decoding `target` one token at a
    time with the carried state."""
    memory = model.encode(ops.convert_to_tensor(source))
    state = model.initial_state(memory)
    logits, weights = [], []
    for t in range(target.shape[1]):
        step_logits, state, step_weights = model.step(
            ops.convert_to_tensor(target[:, t]), state, memory
        )
        logits.append(to_numpy(step_logits))
        weights.append(to_numpy(step_weights))
    return np.stack(logits, 1), np.stack(weights, 1)


@pytest.mark.backend_math
@pytest.mark.parametrize("cell", layers.names())
def test_step_matches_teacher_forcing_for_every_cell(tokenizer, cell):
    """Decoding one token at a time with the carried state gives the
    logits of the whole-sequence pass, for every registered cell."""
    model = _model(tokenizer, cell=cell, num_layers=2)
    source, target = _batch(tokenizer)
    expected = to_numpy(model((source, target)))
    logits, weights = _stepwise(model, source, target)
    assert_close(logits, expected, atol=1e-4)
    assert_close(weights.sum(-1), np.ones(weights.shape[:2]), atol=1e-5)
    # No attention on padding.
    padding = np.broadcast_to(
        (source == tokenizer.pad_id)[:, None], weights.shape
    )
    assert np.all(weights[padding] == 0)
    assert np.std(expected) > 0.1


def test_a_layer_that_stacks_itself_is_built_as_deep_as_asked(tokenizer):
    model = _model(tokenizer, cell="depth_gated_lstm", num_layers=3)
    assert len(model.encoder_layers) == len(model.decoder_layers) == 1
    assert model.encoder_layers[0].forward_layer.num_layers == 3
    assert model.decoder_layers[0].num_layers == 3
    # One bridge per state of its three layers.
    assert len(model.bridges) == 1 and len(model.bridges[0]) == 6
    source, target = _batch(tokenizer)
    assert np.all(np.isfinite(to_numpy(model((source, target)))))


@pytest.mark.backend_math
@pytest.mark.parametrize("option", ["dropout", "recurrent_dropout"])
def test_each_training_pass_draws_new_cell_dropout_masks(tokenizer, option):
    """The attention decoder runs its cells' steps itself, so it must clear
    their cached dropout masks as keras.layers.RNN does: else every batch
    reuses the first mask, and on TensorFlow a second traced function
    reads a tensor of the first (InaccessibleTensorError)."""
    model = _model(tokenizer, cell_options={option: 0.5}, num_layers=2)
    source, target = _batch(tokenizer)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        for _ in range(2):
            traced = tf.function(lambda s, t: model((s, t), training=True))
            assert np.all(np.isfinite(to_numpy(traced(source, target))))
    model((source, target), training=True)
    for layer in model.decoder_layers:
        # keras's DropoutRNNCell caches its masks in these until reset.
        assert getattr(layer.cell, "_dropout_mask", None) is None
        assert getattr(layer.cell, "_recurrent_dropout_mask", None) is None


@pytest.mark.backend_math
@pytest.mark.parametrize("attention", ["luong", None])
@pytest.mark.parametrize("cell", ["lstm", "min_gru"])
def test_step_matches_teacher_forcing_for_each_attention(
    tokenizer, cell, attention
):
    model = _model(
        tokenizer,
        cell=cell,
        attention=attention,
        bidirectional=attention is None,
        tie_embeddings=False,
    )
    source, target = _batch(tokenizer)
    expected = to_numpy(model((source, target)))
    assert_close(_stepwise(model, source, target)[0], expected, atol=1e-4)


@pytest.mark.backend_math
def test_padding_does_not_change_the_translation(tokenizer):
    """A sentence alone and padded in a batch with a longer one gets the
    same logits: padding is masked in the encoder and the attention."""
    model = _model(tokenizer)
    source, target = _batch(tokenizer, count=2)
    alone = source[:1, : int(np.sum(source[0] != 0))]
    expected = to_numpy(model((alone, target[:1])))
    together = to_numpy(model((source, target)))[:1]
    assert_close(together, expected, atol=1e-5)


@pytest.mark.backend_math
def test_saved_model_translates_the_same(tokenizer, tmp_path):
    model = _model(tokenizer)
    sentences = [s for s, _ in synthetic_parallel.corpus("test")[:4]]
    expected = translation.translate(model, sentences, beam_width=2)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = translation.from_preset(path)
    assert loaded.get_config() == model.get_config()
    assert translation.translate(loaded, sentences, beam_width=2) == expected


@pytest.mark.backend_math
def test_decoding_compiles_the_step_once_per_shape(tokenizer, monkeypatch):
    """Translating again, with other sentences of the same padded shape
    and any output length, reuses the compiled step."""
    if keras.backend.backend() == "torch":
        pytest.skip("PyTorch runs the step eagerly: nothing is traced")
    model = _model(tokenizer)
    traces = []
    step = model.step

    def counting_step(token_ids, state, memory):
        traces.append(1)  # runs only while the step is traced
        return step(token_ids, state, memory)

    # Before the first translation, which caches the compiled step.
    monkeypatch.setattr(model, "step", counting_step)
    sentences = ["The dog sleeps.", "A cat sees the king.", "Birds sing."]
    for beam_width, max_length in ((1, 3), (1, 11), (1, None)):
        translation.translate(
            model, sentences, beam_width=beam_width, max_length=max_length
        )
    assert len(traces) == 1
    # A beam of 3 is another batch shape: one more trace, then none.
    for max_length in (4, 9):
        translation.translate(
            model, sentences, beam_width=3, max_length=max_length
        )
    assert len(traces) == 2


def test_beam_of_one_is_greedy(tokenizer):
    model = _model(tokenizer)
    source, _ = _batch(tokenizer, count=6)
    greedy = decoding.greedy(model, source, max_length=20)
    beam = decoding.beam_search(model, source, 1, max_length=20)
    for g, b in zip(greedy, beam):
        assert g.ids == b.ids
        assert g.score == pytest.approx(b.score, abs=1e-6)
        assert_close(g.attention, b.attention)


def test_beam_search_finds_a_better_score_than_greedy(tokenizer):
    """Beam search scores every returned hypothesis correctly, and with
    no length normalisation never finds a worse one than greedy."""
    model = _model(tokenizer)
    source, _ = _batch(tokenizer, count=8)
    greedy = decoding.greedy(model, source, max_length=12)
    beam = decoding.beam_search(
        model, source, 4, max_length=12, length_penalty=0.0
    )
    for row, (g, b) in enumerate(zip(greedy, beam)):
        assert b.score >= g.score - 1e-6 or len(g.ids) == 12
        # The score is the reference log-likelihood of the hypothesis.
        ids = [model.tokenizer.start_id] + b.ids
        logits = to_numpy(model((source[row : row + 1], np.array([ids]))))[0]
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        wanted = b.ids + [model.tokenizer.end_id]
        expected = sum(log_probs[t, token] for t, token in enumerate(wanted))
        if len(b.ids) < 12:
            assert b.score == pytest.approx(expected, abs=1e-3)


def test_translate_truncates_long_input_with_a_warning(tokenizer):
    model = _model(tokenizer, max_length=6)
    sentence = synthetic_parallel.corpus("test")[0][0] * 4
    with pytest.warns(UserWarning, match=r"1 sentence.*max_length = 6"):
        long_result = translation.translate(model, sentence, beam_width=1)
    head = tokenizer.decode(tokenizer.encode(sentence)[:6])
    with warnings.catch_warnings():
        # Ours only: Keras's PyTorch backend raises NumPy 2's DeprecationWarning
        # about `__array__` when it converts a tensor.
        warnings.simplefilter("error", UserWarning)
        assert translation.translate(model, head, beam_width=1) == long_result


def test_translate_returns_attention(tokenizer):
    model = _model(tokenizer)
    sentences = ["The dog sleeps.", "Some big red birds see the kings."]
    texts, attention = translation.translate(
        model, sentences, beam_width=3, return_attention=True
    )
    assert len(texts) == len(attention) == 2
    for sentence, weights in zip(sentences, attention):
        assert weights.shape[1] == len(tokenizer.encode(sentence)) + 1
        assert_close(weights.sum(-1), np.ones(len(weights)), atol=1e-5)


def test_translate_bad_input(tokenizer):
    model = _model(tokenizer)
    with pytest.raises(ValueError, match=r"sentences\[1\]=3"):
        translation.translate(model, ["a", 3])
    with pytest.raises(ValueError, match=r"beam_width=0"):
        translation.translate(model, "a", beam_width=0)
    with pytest.raises(ValueError, match=r"max_length=-1"):
        translation.translate(model, "a", max_length=-1)
    assert translation.translate(model, []) == []


def test_plot_attention(tokenizer):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = _model(tokenizer)
    text, ax = translation.plot_attention(model, "The dog sleeps.")
    assert ax.get_title() == text
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-1] == "</s>"
    assert "".join(labels[:-1]).replace("\u2581", " ").strip() == (
        "The dog sleeps."
    )
    with pytest.raises(ValueError, match="attention=None"):
        translation.plot_attention(_model(tokenizer, attention=None), "a")


# --- training ------------------------------------------------------------


def test_train_synthetic_end_to_end(tmp_path):
    result = translation.train(output_dir=str(tmp_path / "run"), **TINY)
    metrics = result.metrics
    for prefix in ("val", "test"):
        for key in ("bleu", "bleu_tokenized", "chrf", "loss", "perplexity"):
            assert np.isfinite(metrics[f"{prefix}_{key}"])
        assert metrics[f"{prefix}_sentences"] == 24
        assert f"{prefix}_greedy_bleu" in metrics
    for construction in synthetic_parallel.CONSTRUCTIONS:
        assert 0 <= metrics[f"probe_accuracy_{construction}"] <= 1
    assert metrics["skipped_pairs"] == 0
    assert metrics["epochs"] == 1
    path = result.path
    for name in ("model.keras", "config.json", "metrics.json"):
        assert os.path.isfile(os.path.join(path, name))
    with open(os.path.join(path, "metrics.json")) as f:
        assert json.load(f) == metrics
    assert result.model.source_language == "lern"
    assert result.model.target_language == "tarn"
    assert isinstance(translation.translate(result.model, "A dog."), str)


def test_train_on_a_multi30k_folder_gzipped(tmp_path):
    folder = _multi30k_folder(tmp_path / "m30k", compress=True)
    result = translation.train(
        data=folder,
        source_language="de",
        target_language="en",
        output_dir=str(tmp_path / "run"),
        **TINY,
    )
    assert result.metrics["test_sentences"] == 24
    assert result.model.source_language == "de"
    # evaluate() reads the folder in the model's own languages.
    scores = translation.evaluate(result.model, folder, beam_width=1)
    assert scores["sentences"] == 60
    first = translation.evaluate(result.model, folder, beam_width=2, limit=24)
    assert first["perplexity"] == pytest.approx(
        result.metrics["test_perplexity"], rel=1e-4
    )
    assert first["bleu"] == result.metrics["test_bleu"]


def test_train_with_tfds_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=40):
        result = translation.train(
            data="tfds:ted_hrlr_translate/pt_to_en",
            output_dir=str(tmp_path / "run"),
            **{**TINY, "max_length": 200},
        )
    assert result.model.source_language == "pt"
    assert result.model.target_language == "en"
    assert result.metrics["val_sentences"] > 0


def test_long_training_pairs_are_counted_and_warned(tmp_path):
    # Nearly whole words as pieces: sentences of about 5 to 20 tokens.
    settings = {**TINY, "max_length": 9, "vocabulary_size": 1000}
    with pytest.warns(UserWarning, match=r"of 20000 training pairs"):
        result = translation.train(output_dir=str(tmp_path / "run"), **settings)
    assert result.metrics["skipped_pairs"] > 0


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
        translation.train(**settings)
    monkeypatch.undo()
    with open(tmp_path / "run" / "tokenizer.json") as f:
        vocabulary = json.load(f)
    with pytest.raises(ValueError, match=r"unfinished run.*units=16"):
        translation.train(**{**settings, "units": 16})
    result = translation.train(**settings)
    # Epochs 1 and 2 ran before the interruption; the resumed run ran the
    # third only, with the same vocabulary.
    assert len(result.history["loss"]) == 1
    with open(tmp_path / "run" / "tokenizer.json") as f:
        assert json.load(f) == vocabulary
    with pytest.raises(ValueError, match=r"already holds a finished model"):
        translation.train(**settings)


def test_bad_settings_and_data(tmp_path):
    run = str(tmp_path / "run")
    with pytest.raises(ValueError, match=r"Known layers"):
        translation.train(cell="nope", output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"attention=.dot."):
        translation.train(attention="dot", output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"Unknown translation settings"):
        translation.train(unitz=3, output_dir=run, **TINY)
    with pytest.raises(ValueError, match=r"label_smoothing=1.5"):
        translation.train(label_smoothing=1.5, output_dir=run, **TINY)
    folder = tmp_path / "bad"
    folder.mkdir()
    _write(folder / "train.de", ["a", "b", "c"])
    _write(folder / "train.en", ["a", "b"])
    _write(folder / "val.de", ["a"])
    _write(folder / "val.en", ["a"])
    with pytest.raises(ValueError, match=r"train\.de.*3.*train\.en.*2"):
        translation.train(
            data=str(folder),
            source_language="de",
            target_language="en",
            output_dir=run,
            **TINY,
        )
    with pytest.raises(FileNotFoundError, match=r"train\.fr"):
        translation.train(
            data=str(folder),
            source_language="fr",
            target_language="en",
            output_dir=run,
            **TINY,
        )
    assert not os.path.exists(run)


def test_unknown_preset():
    with pytest.raises(ValueError, match=r"Known presets: \["):
        translation.from_preset("no_such_preset")


@pytest.mark.backend_math
@pytest.mark.parametrize("name", translation.presets())
def test_every_preset_loads_and_translates(name):
    model = translation.from_preset(name)
    assert isinstance(translation.translate(model, "Ein Hund."), str)
    assert "BLEU" in translation.model_card(name)


@pytest.mark.skipif(
    not os.path.isdir(MULTI30K),
    reason="Multi30k is not in ../shared/data/multi30k/task1/raw",
)
def test_train_a_step_on_multi30k(tmp_path):
    result = translation.train(
        data=MULTI30K,
        source_language="de",
        target_language="en",
        output_dir=str(tmp_path / "run"),
        **{**TINY, "vocabulary_size": 1000},
    )
    # The split sizes are test_parallel_data's; scoring all 2014 held-out
    # sentences with an untrained model (each decoded to max_length, by
    # beam and greedy) took most of three minutes of CI.
    assert result.metrics["val_sentences"] == TINY["evaluation_pairs"]
    assert result.metrics["test_sentences"] == TINY["evaluation_pairs"]
    assert math.isfinite(result.metrics["test_bleu"])
