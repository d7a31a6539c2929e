"""A shared subword vocabulary for translation, over SentencePiece.

The translation recipe reads and writes two languages with one vocabulary:
a SentencePiece unigram (or BPE) model trained on both sides of the
training split, as in Kudo and Richardson 2018, "SentencePiece: A simple
and language independent subword tokenizer and detokenizer for neural text
processing". Sharing one vocabulary lets names, numbers and cognates
("Gitarre"/"guitar") map to the same pieces on both sides.

The trained model is a few hundred kilobytes of protobuf. `get_config`
keeps it as a base64 string, so a model that carries its tokenizer saves it
inside its `.keras` JSON config and translates raw text after loading, on
every backend (the tokenizer runs beside the network in NumPy, as
keras-hub's preprocessors do, not inside the graph).

Text is normalised before SentencePiece sees it, in training and in
`encode` alike: Unicode NFKC (a no-break space becomes a space, "ﬁ" becomes
"fi", full-width letters become ASCII), then runs of whitespace, tabs and
line breaks included, become one space and the ends are stripped. This is
what SentencePiece's default `nmt_nfkc` rule does, done in Python so that
the model can use the `identity` rule: the default rule stores a 240 kB
character map inside every model, which would more than double the size of
each saved translation model. So `decode(encode(text))` gives back `text`
exactly when `text` is already normal (as every Multi30k sentence but a few
with double or no-break spaces is); otherwise it gives the normal form.
Characters never seen in training (another script, an emoji) encode as the
unknown id and decode as " ⁇ ".
"""

import base64
import binascii
import io
import numbers
import unicodedata

import numpy as np
import sentencepiece

MODEL_TYPES = ("unigram", "bpe")

# The special ids every model of this module has: the recipe pads with 0
# (and masks it), starts the decoder with `<s>` and stops at `</s>`.
PAD_ID, UNKNOWN_ID, START_ID, END_ID = 0, 1, 2, 3


class SubwordTokenizer:
    """Maps text to subword ids and back with a SentencePiece model.

    Ids `0` to `3` are `<pad>`, `<unk>`, `<s>` and `</s>`; `encode` adds
    none of them, `decode` drops padding and start ids and stops at the
    first end id. See the module docstring for how text is normalised.

    Args:
        model: the serialized SentencePiece model, as `bytes`, or as the
            base64 `str` that `get_config` holds.

    >>> from gatedkeras.data.subword import SubwordTokenizer
    >>> texts = ["Ein Hund läuft über die Straße.", "A dog runs."] * 20
    >>> tokenizer = SubwordTokenizer.train(texts, vocabulary_size=40)
    >>> ids = tokenizer.encode("Ein Hund läuft.")
    >>> ids.dtype
    dtype('int32')
    >>> tokenizer.decode(ids)
    'Ein Hund läuft.'
    >>> tokenizer.decode([tokenizer.start_id, *ids, tokenizer.end_id, 9])
    'Ein Hund läuft.'
    """

    def __init__(self, model):
        if isinstance(model, str):
            try:
                model = base64.b64decode(model.encode("ascii"), validate=True)
            except (UnicodeEncodeError, binascii.Error):
                raise ValueError(
                    "Expected `model` as the bytes of a SentencePiece model "
                    "or their base64 string, but the string is not base64. "
                    f"Received: model={model[:40]!r}"
                ) from None
        if not isinstance(model, (bytes, bytearray)):
            raise ValueError(
                "Expected `model` as the bytes of a SentencePiece model or "
                f"their base64 string. Received: model={type(model)}"
            )
        self._model = bytes(model)
        self._processor = sentencepiece.SentencePieceProcessor()
        try:
            self._processor.LoadFromSerializedProto(self._model)
        except RuntimeError:
            raise ValueError(
                "Expected `model` as the bytes of a SentencePiece model, but "
                "they do not parse as one. "
                f"Received: model={self._model[:40]!r}"
            ) from None
        special = (
            self._processor.pad_id(),
            self._processor.unk_id(),
            self._processor.bos_id(),
            self._processor.eos_id(),
        )
        if special != (PAD_ID, UNKNOWN_ID, START_ID, END_ID):
            raise ValueError(
                "Expected a SentencePiece model with pad, unknown, start "
                f"and end ids {(PAD_ID, UNKNOWN_ID, START_ID, END_ID)}, as "
                "`SubwordTokenizer.train` makes. "
                f"Received: (pad, unk, bos, eos)={special}"
            )

    @classmethod
    def train(
        cls,
        texts,
        vocabulary_size=8000,
        model_type="unigram",
        character_coverage=1.0,
        seed=0,
    ):
        """Trains a SentencePiece model on `texts`, in memory.

        No file is written. The same texts and seed give the same model,
        byte for byte. For a shared vocabulary, pass the sentences of both
        languages together.

        Args:
            texts: the training sentences, an iterable of `str` (not one
                `str`: pass `text.splitlines()`).
            vocabulary_size: number of pieces, special ids included. A
                small corpus that has fewer pieces gets a smaller
                vocabulary rather than an error; read the actual size from
                `vocabulary_size`. Defaults to `8000`.
            model_type: `"unigram"` or `"bpe"`. Defaults to `"unigram"`.
            character_coverage: fraction of the characters (by count) that
                get their own piece; the rarest others map to the unknown
                id. Defaults to `1.0`, every character seen.
            seed: seed of SentencePiece's random generator. Defaults to
                `0`.

        Returns:
            A `SubwordTokenizer`.
        """
        if isinstance(texts, (str, bytes)):
            raise ValueError(
                "Expected `texts` as a list of sentences, not one string "
                "(pass `text.splitlines()`). "
                f"Received: texts={texts[:40]!r}"
            )
        sentences = []
        for text in texts:
            if not isinstance(text, str):
                raise ValueError(
                    "Expected `texts` to hold Python strings. "
                    f"Received: an element of type {type(text)}"
                )
            text = _normalize(text)
            if text:
                sentences.append(text)
        if not sentences:
            raise ValueError(
                "Cannot train a subword vocabulary without text: `texts` is "
                "empty or holds only whitespace. "
                f"Received: texts={texts!r:.60}"
            )
        if (
            not isinstance(vocabulary_size, numbers.Integral)
            or isinstance(vocabulary_size, bool)
            or vocabulary_size < 5
        ):
            raise ValueError(
                "`vocabulary_size` must be an integer of at least 5 (4 "
                f"special ids and a piece). "
                f"Received: vocabulary_size={vocabulary_size!r}"
            )
        if model_type not in MODEL_TYPES:
            raise ValueError(
                f"`model_type` must be one of {MODEL_TYPES}. "
                f"Received: model_type={model_type!r}"
            )
        if not 0 < character_coverage <= 1:
            raise ValueError(
                "`character_coverage` must be in (0, 1]. "
                f"Received: character_coverage={character_coverage!r}"
            )
        writer = io.BytesIO()
        # One thread, every sentence, in order: SentencePiece's own
        # sampling and thread scheduling are what would make two trainings
        # on the same text differ.
        sentencepiece.set_random_generator_seed(int(seed))
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(sentences),
                model_writer=writer,
                model_type=model_type,
                vocab_size=int(vocabulary_size),
                hard_vocab_limit=False,
                character_coverage=float(character_coverage),
                normalization_rule_name="identity",
                pad_id=PAD_ID,
                unk_id=UNKNOWN_ID,
                bos_id=START_ID,
                eos_id=END_ID,
                pad_piece="<pad>",
                unk_piece="<unk>",
                bos_piece="<s>",
                eos_piece="</s>",
                input_sentence_size=0,
                shuffle_input_sentence=False,
                num_threads=1,
                minloglevel=2,
            )
        except RuntimeError as error:
            # Chiefly a vocabulary smaller than the characters to cover.
            raise ValueError(
                f"SentencePiece could not train on `texts`: {error} "
                f"Received: vocabulary_size={vocabulary_size}, "
                f"character_coverage={character_coverage}"
            ) from None
        return cls(writer.getvalue())

    @property
    def vocabulary_size(self):
        """Number of ids, the special ones included."""
        return self._processor.get_piece_size()

    @property
    def pad_id(self):
        """Id of `<pad>` (`0`), which `decode` drops."""
        return PAD_ID

    @property
    def unknown_id(self):
        """Id of `<unk>` (`1`), for characters never seen in training."""
        return UNKNOWN_ID

    @property
    def start_id(self):
        """Id of `<s>` (`2`), which starts the decoder's input."""
        return START_ID

    @property
    def end_id(self):
        """Id of `</s>` (`3`), where `decode` stops."""
        return END_ID

    def encode(self, texts):
        """The subword ids of each text, without start or end ids.

        Args:
            texts: a `str`, or a list of them.

        Returns:
            A 1-D int32 NumPy array for a `str`, a list of them for a list.
        """
        if isinstance(texts, str):
            return self.encode([texts])[0]
        if not isinstance(texts, bytes):
            try:
                texts = list(texts)
            except TypeError:
                pass
        if not isinstance(texts, list) or not all(
            isinstance(text, str) for text in texts
        ):
            raise ValueError(
                "Expected a Python str or a list of them. "
                f"Received: texts={texts!r:.60}"
            )
        ids = self._processor.encode([_normalize(text) for text in texts])
        return [np.asarray(sequence, dtype="int32") for sequence in ids]

    def decode(self, ids):
        """The text of id sequences, as from a decoder.

        Padding and start ids are dropped, and so is everything from the
        first end id on. The unknown id reads as " ⁇ ".

        Args:
            ids: one sequence of ids (a list of ints or a 1-D array), or a
                list of sequences or a 2-D array, one sequence per row.

        Returns:
            A `str` for one sequence, a list of them for several.
        """
        if isinstance(ids, (list, tuple)):
            single = all(isinstance(i, numbers.Integral) for i in ids)
        else:
            ids = np.asarray(ids)
            single = ids.ndim == 1
            if ids.ndim not in (1, 2):
                raise ValueError(
                    "Expected one sequence of ids or a batch of them (1-D "
                    f"or 2-D). Received: ids.shape={ids.shape}"
                )
        if single:
            return self.decode([ids])[0]
        return self._processor.decode([self._strip(row) for row in ids])

    def tokens(self, text):
        """The pieces of `text`, for example to label attention plots.

        Args:
            text: a `str`.

        Returns:
            A list of `str`; a piece that starts a word begins with "▁".
        """
        if not isinstance(text, str):
            raise ValueError(
                f"Expected a Python str. Received: text={text!r:.60}"
            )
        return self._processor.encode(_normalize(text), out_type=str)

    def get_config(self):
        return {"model": base64.b64encode(self._model).decode("ascii")}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _strip(self, ids):
        ids = np.asarray(ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"Expected integer ids. Received: ids.dtype={ids.dtype}"
            )
        ids = ids.astype("int64").reshape(-1)
        ends = np.flatnonzero(ids == END_ID)
        if ends.size:
            ids = ids[: ends[0]]
        ids = ids[(ids != PAD_ID) & (ids != START_ID)]
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size):
            raise ValueError(
                f"Expected ids in [0, {self.vocabulary_size}). "
                f"Received: ids from {ids.min()} to {ids.max()}"
            )
        return ids.tolist()


def _normalize(text):
    return " ".join(unicodedata.normalize("NFKC", text).split())
