"""A heat map of where the decoder looked, for one sentence."""

from recipes.translation import inference


def plot_attention(model, sentence, beam_width=5, ax=None):
    """Translates `sentence` and plots its attention weights.

    Rows are the output subword tokens (and the end token), columns the
    source subword tokens (and the end token); a cell's shade is the
    weight the decoder gave that source token when it wrote that output
    token. Needs matplotlib (`pip install matplotlib`).

    Args:
        model: a `Translator` with attention.
        sentence: the source text.
        beam_width: as `translate`. Defaults to `5`.
        ax: a matplotlib `Axes` to draw on. Defaults to `None` (a new
            figure).

    Returns:
        `(translation, ax)`.

    >>> translation, ax = plot_attention(model, "Ein Hund.")  # doctest: +SKIP
    """
    if model.attention is None:
        raise ValueError(
            "The model has no attention to plot. Received: a model with "
            "attention=None"
        )
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_attention needs matplotlib: pip install matplotlib"
        ) from None
    translation, weights = inference.translate(
        model, sentence, beam_width=beam_width, return_attention=True
    )
    tokenizer = model.tokenizer
    source = tokenizer.tokens(sentence)[: model.max_length] + ["</s>"]
    target = tokenizer.tokens(translation) + ["</s>"]
    target = target[: weights.shape[0]]
    if ax is None:
        size = (max(4, 0.45 * len(source)), max(3, 0.4 * len(target)))
        _, ax = plt.subplots(figsize=size)
    ax.imshow(weights[: len(target)], cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(source)), source, rotation=90)
    ax.set_yticks(range(len(target)), target)
    ax.set_xlabel(model.source_language or "source")
    ax.set_ylabel(model.target_language or "target")
    ax.set_title(translation, fontsize="small")
    return translation, ax
