"""The translation recipe's settings: the shared training settings of
`recipes.training_config.TrainingConfig`, with defaults for translation,
and the fields below."""

import dataclasses
from typing import Optional

from recipes.training_config import TrainingConfig
from recipes.training_config import check_int
from recipes.training_config import check_rate
from recipes.training_config import setting
from recipes.translation.model import ATTENTIONS


@dataclasses.dataclass
class Config(TrainingConfig):
    """Settings of `train()`; see each field's help."""

    recipe = "translation"

    cell: str = setting("gru", "recurrent layer, any name of the registry")
    units: int = setting(256, "width of each recurrent layer (per direction)")
    num_layers: int = setting(1, "depth of the encoder and of the decoder")
    embedding_dim: Optional[int] = setting(
        256, "width of the source and target embeddings (None: units)"
    )
    dropout: float = setting(
        0.3,
        "dropout on the embeddings, between layers and on the attentional "
        "vector",
    )
    batch_size: int = setting(64, "sentence pairs per training step")
    epochs: int = setting(15, "passes over the training pairs")
    learning_rate: float = setting(2e-3, "initial learning rate")
    schedule: str = setting(
        "plateau",
        "'constant', 'plateau' (multiply by decay_factor when validation "
        "stalls), 'step' (multiply by decay_factor every epoch after "
        "decay_after epochs) or 'cosine' (to zero over the run)",
    )
    decay_after: int = setting(
        1,
        "epochs at the full rate ('step'); epochs without progress ('plateau')",
    )
    attention: Optional[str] = setting(
        "bahdanau",
        "'bahdanau' (additive score), 'luong' (multiplicative score) or "
        "None (no attention)",
    )
    bidirectional: bool = setting(True, "encoder layers read both ways")
    tie_embeddings: bool = setting(
        True, "the softmax reuses the target embedding (Press and Wolf)"
    )
    label_smoothing: float = setting(
        0.1, "label smoothing of the training loss (Szegedy et al.)"
    )
    vocabulary_size: int = setting(
        8000,
        "pieces of the subword vocabulary shared by both languages "
        "(SentencePiece unigram, trained on the training split)",
    )
    max_length: int = setting(
        100,
        "longest sentence in subword tokens: longer training pairs are "
        "left out (and counted), longer input to translate is truncated "
        "with a warning",
    )
    source_language: Optional[str] = setting(
        None, "source language code, e.g. de (needed for a folder)"
    )
    target_language: Optional[str] = setting(
        None, "target language code, e.g. en (needed for a folder)"
    )
    test_split: Optional[str] = setting(
        None, "the folder's test split (None: test_2016_flickr, else test)"
    )
    evaluation_pairs: Optional[int] = setting(
        None,
        "score at most this many pairs of each held-out split when "
        "training ends (None: all)",
    )
    beam_width: int = setting(
        5, "beam of the final BLEU evaluation (1: greedy)"
    )
    length_penalty: float = setting(
        1.0,
        "beam search ranks finished translations by log-probability / "
        "length ** length_penalty (0: no normalisation)",
    )

    def validate(self):
        super().validate()
        if self.attention is not None:
            self.attention = str(self.attention).lower()
            if self.attention == "none":
                self.attention = None
        if self.attention not in ATTENTIONS:
            raise ValueError(
                f"`attention` must be one of {ATTENTIONS}. Received: "
                f"attention={self.attention!r}"
            )
        check_rate("label_smoothing", self.label_smoothing)
        check_int("vocabulary_size", self.vocabulary_size, 8)
        check_int("max_length", self.max_length, 2)
        if self.embedding_dim is not None:
            check_int("embedding_dim", self.embedding_dim, 1)
        check_int("beam_width", self.beam_width, 1)
        if self.evaluation_pairs is not None:
            check_int("evaluation_pairs", self.evaluation_pairs, 1)
        if not self.length_penalty >= 0:
            raise ValueError(
                "`length_penalty` must be >= 0. Received: "
                f"length_penalty={self.length_penalty}"
            )
