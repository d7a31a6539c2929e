"""Evaluation in one contiguous pass, and generation step by step.

Both run a small function many times with the same shapes, compiled once
per model (`gatedkeras.engine.compiled`): a window of the held-out text
for `evaluate`, a single step for `generate`. Neither re-runs a prefix:
the recurrent states carry from one call to the next.
"""

import math

import keras
import numpy as np
from keras import ops

from gatedkeras.data import text as text_source
from gatedkeras.engine.compiled import compile_function

_EVALUATION_WINDOW = 256


def evaluate(model, data="synthetic", split=None, text=None, window=None):
    """Loss, perplexity and bits per character of `model` on held-out text.

    The standard for recurrent language models: one contiguous pass over
    the text, a window of 256 tokens at a time, with the states carried
    from each window to the next, so every token but the first is
    predicted from all the text before it. With `window=N` it instead
    averages over independent windows of `N` tokens, each from a zero
    state (the figure transformer baselines such as nanoGPT report).

    Args:
        model: a `LanguageModel`.
        data: a `data=` source as `train()` takes. Defaults to
            `"synthetic"`.
        split: `"valid"` or `"test"`; defaults to `"test"` where the
            source has one, else `"valid"`.
        text: raw text to evaluate instead of `data`. Defaults to `None`.
        window: `None` for the contiguous pass, or the length of
            independent windows. Defaults to `None`.

    Returns:
        A dict: `loss` (nats per token), `perplexity`, `tokens` scored,
        and at char level `bits_per_character`.

    >>> evaluate(model, "data/ptb", split="test")  # doctest: +SKIP
    {'loss': 4.6, 'perplexity': 99.5, 'tokens': 82430}
    """
    if text is None:
        splits = text_source.load(data, model.tokenizer.level)
        if split is None:
            split = "test" if splits.test is not None else "valid"
        if split not in ("valid", "test"):
            raise ValueError(
                f"`split` must be 'valid' or 'test'. Received: split={split!r}"
            )
        text = getattr(splits, split)
        if text is None:
            raise ValueError(
                f"The data has no {split} split. Received: data={data!r}"
            )
    return evaluate_ids(model, model.tokenizer.encode(text), window=window)


def evaluate_ids(model, ids, window=None):
    """`evaluate` on token ids: a 1-D integer array."""
    ids = np.asarray(ids, "int32")
    if len(ids) < 2:
        raise ValueError(
            f"Evaluation needs at least 2 tokens. Received: {len(ids)} tokens"
        )
    if window is None:
        total = _contiguous_nll(model, ids, _EVALUATION_WINDOW)
        count = len(ids) - 1
    else:
        if not isinstance(window, int) or window < 1:
            raise ValueError(
                f"`window` must be a positive integer. Received: {window!r}"
            )
        count = (len(ids) - 1) // window * window
        if count == 0:
            raise ValueError(
                f"The text has {len(ids)} tokens, fewer than window + 1 = "
                f"{window + 1}."
            )
        total = _windowed_nll(model, ids, window)
    loss = total / count
    result = {
        "loss": round(loss, 5),
        "perplexity": round(math.exp(min(loss, 700)), 3),
        "tokens": int(count),
    }
    if model.tokenizer.level == "char":
        result["bits_per_character"] = round(loss / math.log(2), 5)
    return result


def _window_function(model):
    fn = getattr(model, "_evaluation_function", None)
    if fn is None:

        def window_nll(inputs, targets, weights, states):
            logits, states = model(
                inputs, initial_state=states, return_state=True
            )
            nll = keras.losses.sparse_categorical_crossentropy(
                targets, logits, from_logits=True
            )
            return ops.sum(nll * weights), states

        fn = compile_function(window_nll, model)
        model._evaluation_function = fn
    return fn


def _contiguous_nll(model, ids, length):
    run = _window_function(model)
    states = model.get_initial_state(1)
    total = 0.0
    for start in range(0, len(ids) - 1, length):
        inputs = ids[start : start + length]
        targets = ids[start + 1 : start + length + 1]
        weights = np.ones(len(targets), "float32")
        pad = length - len(targets)
        if pad:
            # The last window, padded to the shape already compiled.
            inputs = np.pad(inputs[: len(targets)], (0, pad))
            targets = np.pad(targets, (0, pad))
            weights = np.pad(weights, (0, pad))
        nll, states = run(inputs[None], targets[None], weights[None], states)
        total += float(ops.convert_to_numpy(nll))
    return total


def _windowed_nll(model, ids, length, batch_size=32):
    run = _window_function(model)
    count = (len(ids) - 1) // length
    x = ids[: count * length].reshape(count, length)
    y = ids[1 : count * length + 1].reshape(count, length)
    total = 0.0
    for start in range(0, count, batch_size):
        inputs, targets = (
            x[start : start + batch_size],
            y[start : start + batch_size],
        )
        weights = np.ones(inputs.shape, "float32")
        pad = batch_size - len(inputs)
        if pad:
            inputs = np.pad(inputs, ((0, pad), (0, 0)))
            targets = np.pad(targets, ((0, pad), (0, 0)))
            weights = np.pad(weights, ((0, pad), (0, 0)))
        nll, _ = run(
            inputs, targets, weights, model.get_initial_state(batch_size)
        )
        total += float(ops.convert_to_numpy(nll))
    return total


def generate(model, prompt, length=200, temperature=1.0, top_k=None, seed=None):
    """Continues `prompt` with `length` sampled tokens.

    The prompt is read one token at a time through the model's step (the
    engine's single-step API with explicit states), then each sampled token
    is fed back; the states carry, so no prefix is ever re-run. The step is
    compiled once per model and reused for every call and length.

    Args:
        model: a `LanguageModel`.
        prompt: text to continue; characters or words outside the
            vocabulary read as the OOV token. May be empty.
        length: number of tokens to sample. Defaults to `200`.
        temperature: softmax temperature; `0` picks the most likely token.
            Defaults to `1.0`.
        top_k: sample only among the `top_k` most likely tokens; `None`
            for all. Defaults to `None`.
        seed: seed of the sampler; the same seed gives the same text.
            Defaults to `None`.

    Returns:
        The prompt followed by the generated text.

    >>> generate(model, "ROMEO:", length=100, seed=0)  # doctest: +SKIP
    """
    if not isinstance(prompt, str):
        raise ValueError(f"`prompt` must be a str. Received: prompt={prompt!r}")
    if not isinstance(length, int) or length < 0:
        raise ValueError(
            f"`length` must be an integer >= 0. Received: length={length!r}"
        )
    if not temperature >= 0:
        raise ValueError(
            f"`temperature` must be >= 0. Received: temperature={temperature}"
        )
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(
            f"`top_k` must be a positive integer or None. Received: "
            f"top_k={top_k!r}"
        )
    tokenizer = model.tokenizer
    step = _step_function(model)
    rng = np.random.default_rng(seed)
    prompt_ids = tokenizer.encode(prompt)
    if tokenizer.level == "word" and not prompt.endswith(("\n", "\r")):
        # The tokenizer ends every line with <eos>, the last one too; a
        # prompt that does not end its line is continued on that line.
        prompt_ids = prompt_ids[:-1]
    # A text starts after a line break: prime with it when the prompt is
    # empty, or for a word-level prompt that ends without one.
    feed = [tokenizer.start_id] if len(prompt_ids) == 0 else list(prompt_ids)
    states = model.get_initial_state(1)
    for token in feed:
        logits, states = step(np.array([token], "int32"), states)
    generated = []
    for _ in range(length):
        token = _sample(
            ops.convert_to_numpy(logits)[0], temperature, top_k, rng
        )
        generated.append(token)
        logits, states = step(np.array([token], "int32"), states)
    continuation = tokenizer.decode(generated)
    if tokenizer.level == "word" and prompt and not prompt[-1].isspace():
        continuation = " " + continuation
    return prompt + continuation


def _step_function(model):
    fn = getattr(model, "_generation_step", None)
    if fn is None:
        fn = compile_function(model.step, model)
        model._generation_step = fn
    return fn


def _sample(logits, temperature, top_k, rng):
    logits = logits.astype("float64")
    logits[0] = -np.inf  # never emit the OOV token
    if temperature == 0:
        return int(np.argmax(logits))
    logits = logits / temperature
    if top_k is not None and top_k < len(logits):
        cut = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits < cut, -np.inf, logits)
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    return int(rng.choice(len(probabilities), p=probabilities))
