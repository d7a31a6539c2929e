"""The synthetic parallel corpus is learnable, and learning it takes
attention and reordering: a small model trained for a few minutes
translates held-out sentences almost perfectly, every probed construction
included (verb-final order, adjectives after the noun, postpositions,
relative clauses, gender agreement that the source does not show)."""

import pytest

from gatedkeras.data import synthetic_parallel
from recipes import translation

# sacreBLEU on 300 held-out sentences; the settings below reach 99 to 100
# after 6 to 8 epochs (benchmarks/RESULTS.md). The jump from about 0.2 to
# 0.01 nats validation loss comes between epochs 3 and 5: with the cosine
# schedule over 5 epochs they scored 98.8 (beam) and 98.4 (greedy), every
# probe at least 0.93, on 2026-12-02; 4 epochs had reached only 80.
BLEU_FLOOR = 90.0
PROBE_FLOOR = 0.85


@pytest.mark.slow
def test_short_training_translates_held_out_sentences(tmp_path):
    result = translation.train(
        cell="gru",
        units=128,
        embedding_dim=64,
        dropout=0.0,
        label_smoothing=0.0,
        epochs=5,
        learning_rate=4e-3,
        schedule="cosine",
        beam_width=3,
        evaluation_pairs=300,
        tensorboard=False,
        output_dir=str(tmp_path / "run"),
        verbose=0,
    )
    metrics = result.metrics
    assert metrics["test_bleu"] >= BLEU_FLOOR, metrics
    assert metrics["test_greedy_bleu"] >= BLEU_FLOOR, metrics
    for construction in synthetic_parallel.CONSTRUCTIONS:
        accuracy = metrics[f"probe_accuracy_{construction}"]
        assert accuracy >= PROBE_FLOOR, (construction, metrics)
