"""Character- and word-level tokenisation over `keras.layers.StringLookup`.

The vocabulary is a plain list kept in the tokenizer's config, so a model
that carries its tokenizer saves and loads it as JSON and reads raw text on
every backend (a `StringLookup` inside a Keras model would tie the model to
TensorFlow; here it runs beside the network, as keras-hub's preprocessors
do).
"""

import keras
import numpy as np

from gatedkeras.data import text as text_source

OOV_TOKEN = "[UNK]"
END_OF_LINE = "<eos>"


class Tokenizer:
    """Maps text to token ids and back, at character or word level.

    Word level follows the Penn Treebank convention: tokens are separated
    by whitespace and every line ends with an `<eos>` token. Characters or
    words not in the vocabulary map to the out-of-vocabulary id `0`
    (`[UNK]`), never to an error.

    Args:
        level: `"char"` or `"word"`.
        vocabulary: list of tokens, `[UNK]` first, as from
            `Tokenizer.adapt` or `get_config`.

    >>> from gatedkeras.data.tokenizer import Tokenizer
    >>> tokenizer = Tokenizer.adapt("abca\\n", level="char")
    >>> tokenizer.encode("cab?").tolist()
    [2, 1, 3, 0]
    >>> tokenizer.decode([2, 1, 3])
    'cab'
    """

    def __init__(self, level, vocabulary):
        self.level = text_source.check_level(level)
        vocabulary = [str(token) for token in vocabulary]
        if not vocabulary or vocabulary[0] != OOV_TOKEN:
            raise ValueError(
                f"The vocabulary must start with the OOV token {OOV_TOKEN!r}. "
                f"Received: vocabulary[:5]={vocabulary[:5]}"
            )
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("The vocabulary holds a token twice.")
        self.vocabulary = vocabulary
        self._tokens = np.array(vocabulary, dtype=object)
        self._lookup = None

    @classmethod
    def adapt(cls, text, level="char", max_tokens=None):
        """Builds the vocabulary of `text`, most frequent tokens first.

        Args:
            text: the training text.
            level: `"char"` or `"word"`. Defaults to `"char"`.
            max_tokens: largest vocabulary, the OOV token included; rarer
                tokens map to OOV. Defaults to `None` (no limit).
        """
        text_source.check_level(level)
        tokens = split(text, level)
        if not tokens:
            raise ValueError(
                "Cannot build a vocabulary from text without tokens. "
                f"Received: text={text[:40]!r}"
            )
        lookup = keras.layers.StringLookup(
            max_tokens=max_tokens, oov_token=OOV_TOKEN
        )
        lookup.adapt(np.array(tokens, dtype=object))
        return cls(level, lookup.get_vocabulary())

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    @property
    def start_id(self):
        """The id that starts a text: the line break (`<eos>` for words)."""
        token = "\n" if self.level == "char" else END_OF_LINE
        if token not in self.vocabulary:
            return 0
        return self.vocabulary.index(token)

    def encode(self, text):
        """The token ids of `text`, a 1-D int32 NumPy array."""
        tokens = split(text, self.level)
        if not tokens:
            return np.zeros((0,), "int32")
        if self._lookup is None:
            self._lookup = keras.layers.StringLookup(
                vocabulary=self.vocabulary[1:], oov_token=OOV_TOKEN
            )
        return np.asarray(self._lookup(np.array(tokens, dtype=object))).astype(
            "int32"
        )

    def decode(self, ids):
        """The text of token ids; the OOV id reads as `[UNK]`."""
        tokens = self._tokens[np.asarray(ids, dtype="int64")]
        if self.level == "char":
            return "".join(tokens)
        pieces = []
        for token in tokens:
            if token == END_OF_LINE:
                pieces.append("\n")
            elif pieces and pieces[-1] != "\n":
                pieces.append(" " + token)
            else:
                pieces.append(token)
        return "".join(pieces)

    def get_config(self):
        return {"level": self.level, "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def split(text, level):
    """The tokens of `text`: its characters, or its words with `<eos>`."""
    if not isinstance(text, str):
        raise ValueError(
            f"Expected text as a Python str. Received: type={type(text)}"
        )
    if level == "char":
        return list(text)
    tokens = []
    for line in text.splitlines():
        tokens.extend(line.split())
        tokens.append(END_OF_LINE)
    return tokens
