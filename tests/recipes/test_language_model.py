"""The language-model recipe: train end to end on every data source,
evaluate against brute force, generate, save and load, resume, and refuse
bad input with a clear message.

Every run is tiny (8 units, one layer, windows of 8 tokens, a few steps):
these tests check the plumbing, not the quality of the models.
"""

import glob
import json
import math
import os
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras import layers
from gatedkeras.data import text as text_source
from gatedkeras.data.tokenizer import END_OF_LINE
from gatedkeras.data.tokenizer import OOV_TOKEN
from gatedkeras.data.tokenizer import Tokenizer
from recipes import language_model
from recipes import optimization
from recipes import run_folder
from recipes.language_model import config as config_lib
from recipes.language_model import training
from recipes.language_model.inference import generate
from tests.harness import assert_close
from tests.harness import to_numpy

# The smallest run that still exercises every part of `train()`.
TINY = {
    "units": 8,
    "num_layers": 1,
    "embedding_dim": 8,
    "sequence_length": 8,
    "batch_size": 4,
    "steps_per_epoch": 3,
    "epochs": 1,
    "tensorboard": False,
    "verbose": 0,
}
# Extra layer arguments some cells need at 8 units.
CELL_OPTIONS = {"clockwork_rnn": {"num_modules": 2}}
# Characters the test texts never hold: a prompt of them is all OOV.
OOV_PROMPT = "\u2603zz{}"
WORDS = (
    "the a one old young small big red green blue cat dog bird fish man "
    "woman child saw sees ran runs ate eats found finds near under over "
    "with and but quickly slowly today yesterday"
).split()


def _prose(size, seed=0):
    """`size` characters of varied lines, without 'z', '{' or '}'."""
    rng = np.random.default_rng(seed)
    lines, total = [], 0
    while total < size:
        words = rng.choice(WORDS, size=rng.integers(3, 10))
        line = " ".join(words).capitalize() + rng.choice([".", "!", "?", ","])
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)[:size] + "\n"


def _write(path, content):
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as f:
        f.write(content)
    return str(path)


def _char_model(text=None, cell="lstm", init_scale=1.0, **options):
    """An untrained char-level model; a large `init_scale` makes its
    predictions depend strongly on the context."""
    tokenizer = Tokenizer.adapt(text or _prose(2000), level="char")
    model = language_model.LanguageModel(
        tokenizer,
        cell=cell,
        units=8,
        num_layers=1,
        embedding_dim=8,
        init_scale=init_scale,
        **options,
    )
    model.build()
    return model


def _ids(model, text):
    return np.asarray(model.tokenizer.encode(text), "int32")


def _nll(model, ids, initial_state=None):
    """Summed NLL of `ids[1:]` given `ids[:-1]` in one model call, and the
    final states: the brute-force reference of `evaluate`."""
    logits, states = model(
        np.asarray(ids[:-1], "int32")[None],
        initial_state=initial_state,
        return_state=True,
    )
    logits = to_numpy(logits)[0].astype("float64")
    top = logits.max(-1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(-1))
    picked = logits[np.arange(len(ids) - 1), np.asarray(ids[1:])]
    return float(np.sum(log_z - picked)), states


def _ptb_folder(path):
    """A tiny Penn Treebank layout: one sentence per line."""
    path.mkdir()
    rng = np.random.default_rng(1)
    vocabulary = WORDS[:12]

    def sentences(count):
        return "".join(
            " ".join(rng.choice(vocabulary, size=rng.integers(3, 7))) + "\n"
            for _ in range(count)
        )

    train = sentences(60)
    # "zebra" is in the validation text only.
    valid = sentences(6) + "the zebra a red cat\n"
    test = sentences(6)
    for split, content in (("train", train), ("valid", valid), ("test", test)):
        _write(path / f"ptb.{split}.txt", content)
    return str(path), train, valid, test


# ---------------------------------------------------------------- training


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """One tiny end-to-end run on the synthetic corpus, with TensorBoard."""
    keras.utils.set_random_seed(0)
    output_dir = tmp_path_factory.mktemp("synthetic") / "run"
    settings = {**TINY, "epochs": 2, "tensorboard": True}
    return language_model.train(
        data="synthetic", output_dir=str(output_dir), **settings
    )


def test_train_end_to_end_on_synthetic(synthetic_run):
    result = synthetic_run
    assert isinstance(result, language_model.TrainResult)
    assert isinstance(result.model, language_model.LanguageModel)
    for key in ("loss", "val_loss"):
        assert len(result.history[key]) == 2
        assert all(np.isfinite(result.history[key]))

    metrics = result.metrics
    for prefix in ("val", "test", "val_windowed"):
        for name in ("loss", "perplexity", "bits_per_character", "tokens"):
            assert f"{prefix}_{name}" in metrics, (prefix, name)
        loss = metrics[f"{prefix}_loss"]
        assert 0 < loss < 10
        # Rounded to 5 decimals (loss) and 3 (perplexity).
        assert metrics[f"{prefix}_perplexity"] == pytest.approx(
            math.exp(loss), rel=2e-5, abs=1e-3
        )
        assert metrics[f"{prefix}_bits_per_character"] == pytest.approx(
            loss / math.log(2), abs=2e-5
        )
    splits = text_source.load("synthetic")
    assert metrics["val_tokens"] == len(splits.valid) - 1
    assert metrics["test_tokens"] == len(splits.test) - 1
    assert metrics["epochs"] == 2
    assert metrics["steps_per_epoch"] == 3

    path = result.path
    for name in ("model.keras", "config.json", "tokenizer.json"):
        assert os.path.isfile(os.path.join(path, name)), name
    with open(os.path.join(path, "metrics.json")) as f:
        assert json.load(f) == metrics
    with open(os.path.join(path, "config.json")) as f:
        assert json.load(f)["units"] == 8
    assert not os.path.exists(os.path.join(path, "backup"))
    # The TensorBoard logs of both training and validation.
    for split in ("train", "validation"):
        assert glob.glob(os.path.join(path, "logs", split, "events.out.*"))


def test_best_checkpoint_is_atomic_and_records_best(synthetic_run):
    path = synthetic_run.path
    assert not glob.glob(os.path.join(path, "**", "*.partial*"), recursive=True)
    with open(os.path.join(path, "model.best.json")) as f:
        record = json.load(f)
    losses = synthetic_run.history["val_loss"]
    assert record["val_loss"] == pytest.approx(min(losses), rel=1e-6)
    assert record["epoch"] == int(np.argmin(losses)) + 1


def test_interrupted_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model = _char_model()
    path = str(tmp_path / "model.keras")
    run_folder.save_atomically(model, path)
    expected = model.get_weights()
    before = os.path.getsize(path)

    def broken_save(self, filepath, **kwargs):
        _write(filepath, b"half a model")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(language_model.LanguageModel, "save", broken_save)
    with pytest.raises(RuntimeError, match="interrupted"):
        run_folder.save_atomically(model, path)
    assert os.path.getsize(path) == before
    assert_close(keras.saving.load_model(path).get_weights(), expected)


def test_train_on_a_local_char_file(tmp_path):
    content = _prose(4800)
    # A character that only the validation text (the last 10%) holds.
    content = content[:-50] + "\u00e9" * 5 + content[-45:]
    path = _write(tmp_path / "input.txt", content)

    splits = text_source.load(path, "char")
    assert splits.train + splits.valid == content
    assert splits.test is None
    assert abs(len(splits.valid) - 0.1 * len(content)) <= 1
    assert content.startswith(splits.train)

    result = language_model.train(
        data=path,
        validation_length=16,
        output_dir=str(tmp_path / "run"),
        **TINY,
    )
    tokenizer = result.model.tokenizer
    assert tokenizer.level == "char"
    assert sorted(tokenizer.vocabulary[1:]) == sorted(set(splits.train))
    assert "\u00e9" not in tokenizer.vocabulary
    assert result.metrics["val_tokens"] == len(splits.valid) - 1
    assert "val_bits_per_character" in result.metrics
    assert not any(key.startswith("test_") for key in result.metrics)


def test_train_at_word_level_on_a_ptb_folder(tmp_path):
    folder, train, valid, test = _ptb_folder(tmp_path / "ptb")
    result = language_model.train(
        data=folder,
        level="word",
        validation_length=4,
        output_dir=str(tmp_path / "run"),
        **{**TINY, "batch_size": 2},
    )
    model = result.model
    tokenizer = model.tokenizer
    assert tokenizer.level == "word"
    # The vocabulary of the training text only, with <eos> for line ends.
    assert set(tokenizer.vocabulary) == set(train.split()) | {
        OOV_TOKEN,
        END_OF_LINE,
    }
    eos = tokenizer.vocabulary.index(END_OF_LINE)
    ids = tokenizer.encode(train)
    assert int(np.sum(ids == eos)) == train.count("\n")
    assert ids[-1] == eos
    line = tokenizer.encode("the zebra a red cat")
    assert line.tolist()[1] == 0  # [UNK]
    assert np.all(line[[0, 2, 3, 4]] > 0)
    assert line[-1] == eos
    # Word level ties the softmax to the embedding by default.
    assert model.tie_weights
    assert model.head is None
    assert isinstance(model.embedding, keras.layers.ReversibleEmbedding)

    metrics = result.metrics
    assert "test_perplexity" in metrics and "val_perplexity" in metrics
    assert metrics["test_tokens"] == len(test.split()) + test.count("\n") - 1
    assert not any("bits_per_character" in key for key in metrics)


def test_train_on_tfds_under_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    # mock_data fills a text feature with random strings of ' abcdefghij',
    # one per example; the mocked info has no split names, so the recipe
    # cuts train 90/10 as for a single file.
    with tfds.testing.mock_data(num_examples=300):
        splits = text_source.load("tfds:tiny_shakespeare", "char")
        result = language_model.train(
            data="tfds:tiny_shakespeare",
            validation_length=16,
            output_dir=str(tmp_path / "run"),
            **TINY,
        )
    assert "tfds:tiny_shakespeare" in splits.source
    assert len(splits.train) > 3000
    vocabulary = set(result.model.tokenizer.vocabulary)
    assert vocabulary == set(" abcdefghij\n") | {OOV_TOKEN}
    assert result.metrics["val_tokens"] == len(splits.valid) - 1
    assert np.isfinite(result.metrics["val_loss"])


class _Interrupted(Exception):
    pass


class _InterruptAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise _Interrupted(f"stopped at epoch {epoch}")


def test_resume_finished_and_changed_runs(tmp_path, monkeypatch):
    output_dir = str(tmp_path / "run")
    settings = {
        **TINY,
        "data": _write(tmp_path / "input.txt", _prose(3000)),
        "validation_length": 16,
        "epochs": 3,
        "output_dir": output_dir,
    }
    schedule_callbacks = optimization.schedule_callbacks
    monkeypatch.setattr(
        optimization,
        "schedule_callbacks",
        lambda config: schedule_callbacks(config) + [_InterruptAtEpoch(1)],
    )
    with pytest.raises(_Interrupted):
        language_model.train(**settings)
    monkeypatch.undo()
    backup = os.path.join(output_dir, "backup")
    assert os.path.isdir(backup)
    # The best checkpoint of the first epoch is already in place.
    assert os.path.isfile(os.path.join(output_dir, "model.keras"))

    with pytest.raises(ValueError, match=r"unfinished run.*units=16"):
        language_model.train(**{**settings, "units": 16})
    # A loss scale would change the optimizer's variables.
    with pytest.raises(ValueError, match=r"dtype_policy='mixed_float16'"):
        language_model.train(**{**settings, "dtype_policy": "mixed_float16"})

    # The weights stay float32 under mixed bfloat16: the run may move
    # between the two precisions.
    resumed = language_model.train(
        **{**settings, "dtype_policy": "mixed_bfloat16"}
    )
    assert len(resumed.history["loss"]) == 2
    assert len(resumed.history["val_loss"]) == 2
    assert not os.path.exists(backup)
    assert os.path.isfile(os.path.join(output_dir, "model.keras"))
    assert os.path.isfile(os.path.join(output_dir, "metrics.json"))

    with pytest.raises(ValueError, match=r"finished model.*overwrite=True"):
        language_model.train(**settings)
    again = language_model.train(**{**settings, "overwrite": True})
    assert len(again.history["loss"]) == 3
    assert not os.path.exists(backup)


def test_contiguous_batches_continue_row_by_row():
    config = config_lib.make(batch_size=3, sequence_length=4)
    # Token i at position i: continuity shows in the values.
    batches = training._training_batches(np.arange(50, dtype="int32"), config)
    x, y = batches.x, batches.y
    stream = 49 // 3
    assert x.shape == y.shape == (stream // 4, 3, 4)
    assert batches.steps == len(x)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[0, :, 0], np.arange(3) * stream)
    np.testing.assert_array_equal(x[:, :, 1:], x[:, :, :-1] + 1)
    for k in range(1, len(x)):
        np.testing.assert_array_equal(x[k, :, 0], x[k - 1, :, -1] + 1)

    ids = np.random.default_rng(0).integers(0, 20, 200).astype("int32")
    batches = training._training_batches(ids, config)
    x, y = batches.x, batches.y
    np.testing.assert_array_equal(y[:, :, :-1], x[:, :, 1:])
    np.testing.assert_array_equal(x[1:, :, 0], y[:-1, :, -1])


def test_trainer_carries_states_across_batches():
    model = _char_model()
    trainer = training.StateCarryingTrainer(model, 2, carry_state=True)
    trainer.build()
    rng = np.random.default_rng(0)
    first, second = rng.integers(1, 20, (2, 2, 5)).astype("int32")
    _, states = model(first, return_state=True)
    expected = model(second, initial_state=states)

    trainer(first, training=True)
    assert_close(
        [v.value for layer in trainer.state_variables for v in layer],
        [s for layer in states for s in layer],
    )
    assert_close(trainer(second, training=True), expected)
    training.ResetStates(trainer).on_epoch_begin(0)
    assert_close(trainer(first, training=True), model(first))
    # Inference (Keras's validation) always starts from a zero state.
    assert_close(trainer(second), model(second))


def test_train_with_window_batching(tmp_path):
    result = language_model.train(
        batching="windows", output_dir=str(tmp_path / "run"), **TINY
    )
    assert len(result.history["loss"]) == 1
    assert np.isfinite(result.history["loss"][0])
    assert np.isfinite(result.metrics["val_loss"])


def test_training_stops_at_a_non_finite_loss(tmp_path, capsys):
    # A rate this large sends the weights past float32's range in a step
    # or two; the two epochs after that would only train NaN weights.
    result = language_model.train(
        optimizer="sgd",
        learning_rate=1e38,
        clipnorm=None,
        output_dir=str(tmp_path / "run"),
        **{**TINY, "epochs": 3},
    )
    assert len(result.history["loss"]) == 1
    assert "Invalid loss, terminating training" in capsys.readouterr().out


@pytest.mark.parametrize("batching", ["contiguous", "windows"])
def test_steps_per_epoch_beyond_one_pass_goes_on(tmp_path, batching):
    # 3,000 characters make 11 batches of 4x64 per pass; 3 epochs of 8
    # steps need 24, so the text must start over rather than run out.
    path = tmp_path / "text.txt"
    path.write_text(_prose(3000))
    settings = {**TINY, "sequence_length": 64, "steps_per_epoch": 8}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = language_model.train(
            str(path),
            batching=batching,
            validation_length=16,
            output_dir=str(tmp_path / "run"),
            **{**settings, "epochs": 3},
        )
    # Keras cuts an epoch short, with this warning, when the data ends.
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    assert len(result.history["loss"]) == 3
    assert result.metrics["steps_per_epoch"] == 8


# -------------------------------------------------------------- evaluation


def test_evaluate_contiguous_equals_brute_force():
    model = _char_model()
    tokenizer = model.tokenizer

    short = _prose(120, seed=3)
    ids = tokenizer.encode(short)
    total, _ = _nll(model, ids)
    result = language_model.evaluate(model, text=short)
    assert result["tokens"] == len(ids) - 1
    assert result["loss"] == pytest.approx(total / (len(ids) - 1), abs=2e-5)
    assert result["bits_per_character"] == pytest.approx(
        result["loss"] / math.log(2), abs=2e-5
    )

    # Longer than one 256-token window: the states carry across windows.
    long = _prose(600, seed=4)
    ids = tokenizer.encode(long)
    assert len(ids) == 601
    total, states = 0.0, None
    for start in range(0, len(ids) - 1, 256):
        window = ids[start : start + 257]
        nll, states = _nll(model, window, initial_state=states)
        total += nll
    expected = total / (len(ids) - 1)
    result = language_model.evaluate(model, text=long)
    assert result["tokens"] == 600
    assert result["loss"] == pytest.approx(expected, abs=2e-5)
    one_call, _ = _nll(model, ids)
    assert result["loss"] == pytest.approx(one_call / 600, abs=2e-5)

    # Independent windows, each from a zero state.
    window = 50
    count = (len(ids) - 1) // window
    total = sum(
        _nll(model, ids[k * window : (k + 1) * window + 1])[0]
        for k in range(count)
    )
    windowed = language_model.evaluate(model, text=long, window=window)
    assert windowed["tokens"] == count * window
    assert windowed["loss"] == pytest.approx(total / (count * window), abs=2e-5)
    # The check above can tell the two apart.
    assert abs(windowed["loss"] - result["loss"]) > 1e-3


def test_evaluate_splits(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    texts = {
        split: _prose(300, seed=seed)
        for seed, split in enumerate(("train", "valid", "test"))
    }
    for split, content in texts.items():
        _write(folder / f"{split}.txt", content)
    model = _char_model(texts["train"])

    def loss(**kwargs):
        return language_model.evaluate(model, **kwargs)["loss"]

    assert loss(data=str(folder)) == loss(text=texts["test"])
    assert loss(data=str(folder), split="test") == loss(text=texts["test"])
    assert loss(data=str(folder), split="valid") == loss(text=texts["valid"])
    assert loss(data=str(folder), split="valid") != loss(text=texts["test"])
    with pytest.raises(ValueError, match=r"Received: split='train'"):
        language_model.evaluate(model, str(folder), split="train")

    single = _write(tmp_path / "single.txt", _prose(1000))
    valid = text_source.load(single).valid
    assert loss(data=single) == loss(text=valid)
    with pytest.raises(ValueError, match=r"no test split"):
        language_model.evaluate(model, single, split="test")


def test_evaluate_rejects_bad_arguments():
    model = _char_model()
    with pytest.raises(ValueError, match=r"at least 2 tokens"):
        language_model.evaluate(model, text="a")
    with pytest.raises(ValueError, match=r"`window` must be"):
        language_model.evaluate(model, text="a cat", window=0)
    with pytest.raises(ValueError, match=r"fewer than window \+ 1"):
        language_model.evaluate(model, text="a cat", window=10)


# -------------------------------------------------------------- generation


def test_generate_seeds_temperature_and_top_k():
    model = _char_model()
    prompt = "The cat "

    same = generate(model, prompt, length=40, seed=1)
    assert generate(model, prompt, length=40, seed=1) == same
    assert same.startswith(prompt) and len(same) == len(prompt) + 40
    assert generate(model, prompt, length=40, seed=2) != same

    greedy = generate(model, prompt, length=40, temperature=0)
    assert generate(model, prompt, length=40, temperature=0) == greedy
    assert generate(model, prompt, length=40, top_k=1) == greedy
    assert generate(model, prompt, length=40, top_k=1, seed=5) == greedy

    # The greedy token is the most likely one after the prompt (OOV aside).
    logits = to_numpy(model(_ids(model, prompt)[None]))[0, -1]
    logits[0] = -np.inf
    expected = model.tokenizer.decode([int(np.argmax(logits))])
    assert greedy[len(prompt)] == expected

    assert generate(model, prompt, length=0, seed=0) == prompt


def test_generate_oov_and_empty_prompts():
    model = _char_model()
    vocabulary = set(model.tokenizer.vocabulary)
    assert not set(OOV_PROMPT) & vocabulary

    out = generate(model, OOV_PROMPT, length=12, seed=0)
    assert out.startswith(OOV_PROMPT)
    assert len(out) == len(OOV_PROMPT) + 12
    assert set(out[len(OOV_PROMPT) :]) <= vocabulary

    out = generate(model, "", length=10, seed=0)
    assert len(out) == 10

    # A hot sampler would draw the OOV token often if it were allowed.
    out = generate(model, OOV_PROMPT, length=300, temperature=5.0, seed=0)
    assert OOV_TOKEN not in out[len(OOV_PROMPT) :]


def _greedy(model, ids, length):
    """Greedy decoding by brute force: the whole prefix at every step."""
    ids, generated = list(ids), []
    for _ in range(length):
        logits = to_numpy(model(np.array([ids], "int32")))[0, -1]
        logits[0] = -np.inf
        generated.append(int(np.argmax(logits)))
        ids.append(generated[-1])
    return generated


def test_generate_at_word_level_continues_the_line():
    tokenizer = Tokenizer.adapt("the cat sat\nthe dog ran\na cat ran\n", "word")
    model = language_model.LanguageModel(
        tokenizer, cell="gru", units=8, num_layers=1, init_scale=2.0
    )
    model.build()
    ids = {token: i for i, token in enumerate(tokenizer.vocabulary)}
    # "the cat" continues its line; "the cat\n" starts a new one.
    open_prefix = [ids["the"], ids["cat"]]
    new_prefix = [*open_prefix, ids[END_OF_LINE]]
    # The end of the line is part of the context: the next token's
    # distribution differs (a random model's greedy choice may not).
    last = [
        to_numpy(model(np.array([prefix], "int32")))[0, -1]
        for prefix in (open_prefix, new_prefix)
    ]
    assert np.abs(last[0] - last[1]).max() > 1e-3
    open_line = _greedy(model, open_prefix, 5)
    new_line = _greedy(model, new_prefix, 5)
    out = generate(model, "the cat", length=5, temperature=0)
    assert out == "the cat " + tokenizer.decode(open_line)
    out = generate(model, "the cat\n", length=5, temperature=0)
    assert out == "the cat\n" + tokenizer.decode(new_line)


def test_generate_rejects_bad_arguments():
    model = _char_model()
    for kwargs, message in (
        ({"length": -1}, "length"),
        ({"length": 2.5}, "length"),
        ({"temperature": -1}, "temperature"),
        ({"top_k": 0}, "top_k"),
    ):
        with pytest.raises(ValueError, match=rf"`{message}` must be"):
            generate(model, "the", **kwargs)
    for prompt in (None, 3, b"the", ["t"]):
        with pytest.raises(ValueError, match=r"`prompt` must be a str"):
            generate(model, prompt, length=3)


@pytest.mark.backend_math
def test_generate_compiles_the_step_once(monkeypatch):
    if keras.backend.backend() == "torch":
        pytest.skip("PyTorch runs the step eagerly: nothing is traced")
    model = _char_model()
    traces = []
    step = model.step

    def counting_step(token_ids, states):
        traces.append(1)  # runs only while the step is traced
        return step(token_ids, states)

    # Before the first `generate`, which caches the compiled step.
    monkeypatch.setattr(model, "step", counting_step)
    for length, prompt in ((5, "the"), (17, "A quick cat "), (40, "")):
        out = generate(model, prompt, length=length, seed=length)
        assert len(out) == len(prompt) + length
    generate(model, OOV_PROMPT, length=3, temperature=0)
    assert len(traces) == 1


@pytest.mark.backend_math
@pytest.mark.parametrize("cell", layers.names())
def test_step_matches_the_sequence_call(cell):
    tokenizer = Tokenizer.adapt(_prose(500), level="char")
    model = language_model.LanguageModel(
        tokenizer,
        cell=cell,
        units=8,
        num_layers=2,
        embedding_dim=6,
        init_scale=0.5,
        cell_options=CELL_OPTIONS.get(cell),
    )
    ids = tokenizer.encode("The cat")[:6][None]
    logits, final = model(ids, return_state=True)

    states = model.get_initial_state(1)
    steps = []
    for t in range(ids.shape[1]):
        step_logits, states = model.step(ids[:, t], states)
        steps.append(step_logits)
    assert_close(ops.stack(steps, axis=1), logits, atol=1e-5, rtol=1e-4)
    assert len(states) == len(final) == len(model.recurrent_layers)
    for step_states, call_states in zip(states, final):
        assert_close(step_states, call_states, atol=1e-5, rtol=1e-4)
    # Not a trivial agreement: the logits move with the input.
    assert np.ptp(to_numpy(logits)[0, :, 1]) > 1e-3


def test_a_layer_that_stacks_itself_is_built_as_deep_as_asked():
    """`num_layers` is the depth the user gets: a Depth-Gated LSTM is one
    layer that deep, with depth gates all the way up, not two layers of its
    default two."""
    tokenizer = Tokenizer.adapt(_prose(200), level="char")
    model = language_model.LanguageModel(
        tokenizer, cell="depth_gated_lstm", units=8, num_layers=3
    )
    assert [layer.num_layers for layer in model.recurrent_layers] == [3]
    rebuilt = language_model.LanguageModel.from_config(model.get_config())
    assert [layer.num_layers for layer in rebuilt.recurrent_layers] == [3]
    ids = tokenizer.encode("The cat")[None]
    logits, final = model(ids, return_state=True)
    assert tuple(logits.shape) == (1, 7, tokenizer.vocabulary_size)
    assert len(final) == 1 and len(final[0]) == 6
    # Its own `num_layers` in the options keeps a stack of such layers.
    stacked = language_model.LanguageModel(
        tokenizer,
        cell="depth_gated_lstm",
        units=8,
        num_layers=2,
        cell_options={"num_layers": 2},
    )
    assert [layer.num_layers for layer in stacked.recurrent_layers] == [2, 2]
    lstm = language_model.LanguageModel(tokenizer, units=8, num_layers=3)
    assert len(lstm.recurrent_layers) == 3


# ---------------------------------------------------------- save and load


def test_save_load_and_generate_the_same(tmp_path, synthetic_run):
    model = _char_model()
    prompt = "The dog "
    expected = generate(model, prompt, length=30, seed=3)
    path = str(tmp_path / "model.keras")
    model.save(path)

    for loaded in (
        keras.saving.load_model(path),
        language_model.from_preset(path),
    ):
        assert isinstance(loaded, language_model.LanguageModel)
        assert isinstance(loaded.tokenizer, Tokenizer)
        assert loaded.tokenizer.vocabulary == model.tokenizer.vocabulary
        text = "A red cat \u2603"
        np.testing.assert_array_equal(
            loaded.tokenizer.encode(text), model.tokenizer.encode(text)
        )
        assert generate(loaded, prompt, length=30, seed=3) == expected
        ids = _ids(model, "a cat ran")[None]
        assert_close(loaded(ids), model(ids))

    # A run's own checkpoint loads as a preset too.
    trained = language_model.from_preset(
        os.path.join(synthetic_run.path, "model.keras")
    )
    assert_close(trained.get_weights(), synthetic_run.model.get_weights())
    assert generate(trained, "the ", length=20, seed=0) == generate(
        synthetic_run.model, "the ", length=20, seed=0
    )


def test_saved_model_keeps_its_dtype_policy(tmp_path):
    # Trained under mixed bfloat16, loaded where the global policy is
    # float32: every sublayer still computes as in training.
    tokenizer = Tokenizer.adapt(_prose(500), "char")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = language_model.LanguageModel(tokenizer, units=8, num_layers=1)
        model.build()
    finally:
        keras.config.set_dtype_policy(previous)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    layers_ = [loaded.embedding, loaded.head] + loaded.recurrent_layers
    assert {layer.compute_dtype for layer in layers_} == {"bfloat16"}
    assert {layer.cell.compute_dtype for layer in loaded.recurrent_layers} == {
        "bfloat16"
    }
    logits = loaded(np.array([tokenizer.encode("the ")]))
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"


@pytest.mark.parametrize("name", language_model.presets())
def test_every_preset_loads_and_generates(name):
    model = language_model.from_preset(name)
    assert isinstance(model, language_model.LanguageModel)
    assert language_model.model_card(name).strip()
    out = generate(model, "The ", length=20, seed=0)
    assert out.startswith("The ")
    if model.tokenizer.level == "char":
        assert len(out) == len("The ") + 20


def test_presets_and_unknown_preset():
    names = language_model.presets()
    assert isinstance(names, list)
    assert names == sorted(names)
    with pytest.raises(ValueError, match=r"Known presets: \[") as info:
        language_model.from_preset("no_such")
    assert str(names) in str(info.value)
    assert "Received: name='no_such'" in str(info.value)


# -------------------------------------------------------------- bad input


def test_bad_data_sources(tmp_path):
    output_dir = str(tmp_path / "run")
    with pytest.raises(FileNotFoundError, match=r"not 'synthetic'"):
        language_model.train(
            data=str(tmp_path / "missing.txt"), output_dir=output_dir, **TINY
        )
    empty = _write(tmp_path / "empty.txt", " \n\n")
    with pytest.raises(ValueError, match=r"text file is empty"):
        language_model.train(data=empty, output_dir=output_dir, **TINY)
    nul = _write(tmp_path / "nul.bin", b"abc\x00\x01\x02" * 100)
    with pytest.raises(ValueError, match=r"NUL bytes"):
        language_model.train(data=nul, output_dir=output_dir, **TINY)
    latin = _write(tmp_path / "latin.bin", b"caf\xe9 \xff\xfe" * 100)
    with pytest.raises(ValueError, match=r"not UTF-8"):
        language_model.train(data=latin, output_dir=output_dir, **TINY)
    short = _write(tmp_path / "short.txt", _prose(300))
    for batching in ("contiguous", "windows"):
        with pytest.raises(ValueError, match=r"too few for"):
            language_model.train(
                data=short,
                batching=batching,
                validation_length=8,
                output_dir=str(tmp_path / batching),
                **{**TINY, "batch_size": 64},
            )


def test_bad_settings(tmp_path):
    output_dir = str(tmp_path / "run")
    with pytest.raises(ValueError, match=r"Known layers") as info:
        language_model.train(cell="nope", output_dir=output_dir, **TINY)
    for name in layers.names():
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match=r"`level` must be one of"):
        language_model.train(level="chars", output_dir=output_dir, **TINY)
    with pytest.raises(ValueError, match=r"sequence_length=1"):
        language_model.train(
            output_dir=output_dir, **{**TINY, "sequence_length": 1}
        )
    with pytest.raises(ValueError, match=r"Unknown language-model settings"):
        language_model.train(unitz=3, output_dir=output_dir, **TINY)
    assert not os.path.exists(output_dir)
