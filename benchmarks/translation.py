"""Translation recipe figures on real data: BLEU, greedy and beam, and
decoding speed.

    # scores of a preset or a run's model on Multi30k test_2016_flickr
    KERAS_BACKEND=tensorflow python benchmarks/translation.py scores \\
        --model runs/multi30k_de_en_gru/model.keras --beams 1,5
    # sentences per second of `translate`, greedy and with a beam
    KERAS_BACKEND=tensorflow python benchmarks/translation.py speed \\
        --model multi30k_de_en_gru

Multi30k is read from ../shared/data (test_2016_flickr, the anchors' test
set; `--split valid` for val). Each row prints as Markdown, for
benchmarks/RESULTS.md.
"""

import argparse
import os
import time

from recipes import translation

MULTI30K = os.path.join(
    os.path.dirname(__file__),
    "..",
    "..",
    "shared",
    "data",
    "multi30k",
    "task1",
    "raw",
)


def scores(args):
    model = translation.from_preset(args.model)
    print(
        "| beam | sacreBLEU | tokenised BLEU | chrF | perplexity | sentences "
        "| seconds |"
    )
    print("|---|---|---|---|---|---|---|")
    for beam in (int(b) for b in args.beams.split(",")):
        start = time.time()
        result = translation.evaluate(
            model, args.data, split=args.split, beam_width=beam
        )
        print(
            f"| {beam} | {result['bleu']} | {result['bleu_tokenized']} | "
            f"{result['chrf']} | {result['perplexity']} | "
            f"{result['sentences']} | {time.time() - start:.0f} |",
            flush=True,
        )


def speed(args):
    from gatedkeras.data import parallel

    model = translation.from_preset(args.model)
    splits = parallel.load(
        args.data,
        source_language=model.source_language,
        target_language=model.target_language,
    )
    sentences = list(getattr(splits, args.split).sources[: args.sentences])
    print("| beam | sentences/s | words/s (source) |")
    print("|---|---|---|")
    words = sum(len(s.split()) for s in sentences)
    for beam in (int(b) for b in args.beams.split(",")):
        translation.translate(model, sentences[:64], beam_width=beam)  # warm
        start = time.time()
        translation.translate(model, sentences, beam_width=beam)
        seconds = time.time() - start
        print(
            f"| {beam} | {len(sentences) / seconds:.1f} | "
            f"{words / seconds:.0f} |",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run in (("scores", scores), ("speed", speed)):
        command = commands.add_parser(name)
        command.add_argument("--model", required=True)
        command.add_argument("--data", default=MULTI30K)
        command.add_argument("--split", default="test")
        command.add_argument("--beams", default="1,5")
        command.add_argument("--sentences", type=int, default=1000)
        command.set_defaults(run=run)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
