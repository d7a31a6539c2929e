"""Translation and speech-recognition scores: thin wrappers over sacreBLEU
and jiwer.

`bleu` is the figure to report: sacreBLEU (Post 2018, "A call for clarity
in reporting BLEU scores") on detokenised, cased text with its standard
`13a` tokenisation. `bleu_tokenized` is what most tutorials and older
papers print: BLEU on lower-cased text split at every punctuation mark
(sacreBLEU's `intl` tokeniser), as spaCy-tokenised, lower-cased references
are; it comes out higher and is comparable only with figures computed that
way. `chrf` is chrF2 (Popovic 2015) on characters, less sensitive to
tokenisation.

`wer` and `cer` are word and character error rates (jiwer): edits over
the words or characters of the references, in percent, over the corpus.
"""


def _check(hypotheses, references):
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "Expected one reference per hypothesis. Received: "
            f"{len(hypotheses)} hypotheses and {len(references)} references"
        )
    if not hypotheses:
        raise ValueError("Expected at least one hypothesis. Received: none")
    return hypotheses, references


def bleu(hypotheses, references):
    """Corpus sacreBLEU of detokenised hypotheses, one reference each.

    >>> from gatedkeras import metrics
    >>> metrics.bleu(["The cat sat on the mat."], ["The cat sat on the mat."])
    100.0
    """
    import sacrebleu

    hypotheses, references = _check(hypotheses, references)
    return round(sacrebleu.corpus_bleu(hypotheses, [references]).score, 2)


def bleu_tokenized(hypotheses, references):
    """Corpus BLEU on lower-cased text split at punctuation, for
    comparison with tokenised, lower-cased BLEU figures.

    >>> from gatedkeras import metrics
    >>> metrics.bleu_tokenized(["A Dog runs."], ["a dog runs ."])
    100.0
    """
    import sacrebleu

    hypotheses, references = _check(hypotheses, references)
    score = sacrebleu.corpus_bleu(
        hypotheses, [references], lowercase=True, tokenize="intl"
    )
    return round(score.score, 2)


def chrf(hypotheses, references):
    """Corpus chrF2 of detokenised hypotheses, one reference each.

    >>> from gatedkeras import metrics
    >>> metrics.chrf(["The cat sat."], ["The cat sat."])
    100.0
    """
    import sacrebleu

    hypotheses, references = _check(hypotheses, references)
    return round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2)


def _check_references(references):
    for index, reference in enumerate(references):
        if not reference.strip():
            raise ValueError(
                "Error rates need non-empty references. Received: "
                f"references[{index}]={reference!r}"
            )


def wer(hypotheses, references):
    """Corpus word error rate, in percent: word substitutions, deletions
    and insertions over the references' words.

    >>> from gatedkeras import metrics
    >>> metrics.wer(["one two three"], ["one two four"])
    33.33
    """
    import jiwer

    hypotheses, references = _check(hypotheses, references)
    _check_references(references)
    return round(100 * jiwer.wer(references, hypotheses), 2)


def cer(hypotheses, references):
    """Corpus character error rate, in percent (spaces count as
    characters).

    >>> from gatedkeras import metrics
    >>> metrics.cer(["one two"], ["one too"])
    14.29
    """
    import jiwer

    hypotheses, references = _check(hypotheses, references)
    _check_references(references)
    return round(100 * jiwer.cer(references, hypotheses), 2)
