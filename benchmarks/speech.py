"""Speech recipe figures on the Free Spoken Digit Dataset (FSDD).

    # digits, FSDD's official split (recordings 0-4 of every speaker test)
    python benchmarks/speech.py official
    # digits, leave one speaker out: six trainings, each without its test
    # speaker; mean and spread of their test accuracies
    python benchmarks/speech.py speakers
    # leave one speaker out, each fold choosing among candidate settings
    # on a validation speaker of its own (never on its test speaker)
    python benchmarks/speech.py choose --candidate plain: \
        --candidate augmented:frequency_warp=0.1,noise_snr=10
    # accuracy on a held-out speaker against the number of voices trained on
    python benchmarks/speech.py voices --speakers george,nicolas
    # connected digits (CTC) on a held-out speaker: WER and CER
    python benchmarks/speech.py connected
    # `official` and `connected` also choose among candidates on
    # validation (takes 5-9; for `connected`, the next speaker's voice)
    python benchmarks/speech.py connected --candidate plain: \
        --candidate augmented:noise_snr=10
    # an ensemble on the official split: runs alike but for their seeds,
    # and any model already trained (--member), their probabilities averaged
    python benchmarks/speech.py ensemble --seeds 1,2,3,4 \
        --member recipes/speech/presets/fsdd_digits_gru.keras
    # any setting of speech.train
    python benchmarks/speech.py official --epochs 40 --set units=192

Each training runs `recipes.speech.train` in `runs/speech/<name>`: run the
same command again after an interruption and it resumes there, and a
finished run is read back rather than trained again. Every row prints as
Markdown, for benchmarks/RESULTS.md; settings not given take the recipe's
defaults. Held out by speaker, a run trains on all five other speakers and
chooses its checkpoint on a seeded tenth of their clips
(`valid_speakers=[]`): nothing is chosen on the test speaker.
"""

import argparse
import json
import os
import shutil
import statistics

from gatedkeras.data import audio
from recipes import speech

FSDD = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "fsdd"
)
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")


def run(name, args, **settings):
    """Trains (or resumes, or reads back) one run; returns its metrics."""
    path = os.path.join(args.runs, name)
    finished = os.path.join(path, "metrics.json")
    if os.path.exists(finished):
        with open(finished) as f:
            return json.load(f)
    settings = {
        "data": os.path.join(args.data, "recordings"),
        "cell": args.cell,
        "epochs": args.epochs,
        "output_dir": path,
        "verbose": 2,
        **args.settings,
        **settings,
    }
    return speech.train(**settings).metrics


def official(args):
    """FSDD's official split; with candidates, each trains on it and the
    best on validation (takes 5-9) is the chosen one."""
    candidates = _candidates(args) or {"": {}}
    print(
        "| split | candidate | test accuracy | valid accuracy | epochs "
        "| minutes |"
    )
    print("|---|---|---|---|---|---|")
    valid = {}
    for name, settings in candidates.items():
        metrics = run(
            "official" + (f"-{name}" if name else ""),
            args,
            split_by="official",
            **settings,
        )
        valid[name] = metrics["val_accuracy"]
        print(
            f"| official (recordings 0-4) | {name or '(--set)'} | "
            f"{metrics['test_accuracy']:.4f} | "
            f"{metrics['val_accuracy']:.4f} | {metrics['epochs']} | "
            f"{metrics['train_seconds'] / 60:.1f} |",
            flush=True,
        )
    if len(candidates) > 1:
        print(f"\nChosen on validation: {_best(valid)}")


def ensemble(args):
    """The official split's members (the `--member` models, then one run
    per seed in `--seeds`) and the ensembles of the first 1, 2, ... of
    them, scored on test (takes 0-4) and validation (takes 5-9); the whole
    ensemble is saved in `<runs>/official-ensemble.keras`, and its errors
    listed by speaker."""
    models = [speech.from_preset(path) for path in args.member]
    names = [os.path.basename(path) for path in args.member]
    for seed in _seeds(args.seeds):
        run(f"official-seed{seed}", args, split_by="official", seed=seed)
        path = os.path.join(args.runs, f"official-seed{seed}", "model.keras")
        models.append(speech.from_preset(path))
        names.append(f"seed {seed}")
    if len(models) < 2:
        raise ValueError(
            "An ensemble needs two or more models from --seeds and "
            f"--member. Received: seeds={args.seeds!r}, "
            f"member={args.member}"
        )
    splits = audio.load(
        os.path.join(args.data, "recordings"),
        sample_rate=models[0].sample_rate,
        split_by="official",
    )
    print("| models | test accuracy | valid accuracy | valid loss |")
    print("|---|---|---|---|")
    rows = [(name, [model]) for name, model in zip(names, models)]
    rows += [
        (f"ensemble of the first {k}", models[:k])
        for k in range(2, len(models) + 1)
    ]
    for name, members in rows:
        model = (
            members[0] if len(members) == 1 else speech.SpeechEnsemble(members)
        )
        test = speech.evaluate(model, splits.test)
        valid = speech.evaluate(model, splits.valid)
        print(
            f"| {name} | {test['accuracy']:.4f} | {valid['accuracy']:.4f} "
            f"| {valid['loss']:.4f} |",
            flush=True,
        )
    path = os.path.join(args.runs, "official-ensemble.keras")
    # Saved whole or not at all: a half-written file never has the name.
    model.save(path + ".partial.keras")
    os.replace(path + ".partial.keras", path)
    print(f"\nSaved {path}. Its errors (speaker: said -> heard):")
    for split in ("test", "valid"):
        clips = getattr(splits, split)
        heard = speech.predict(model, clips.audio)
        wrong = [
            f"{speaker}: {said} -> {guess}"
            for said, guess, speaker in zip(clips.labels, heard, clips.speakers)
            if said != guess
        ]
        print(
            f"- {split}, {len(wrong)}: " + ("; ".join(sorted(wrong)) or "none")
        )


def _seeds(text):
    try:
        return [int(seed) for seed in text.split(",") if seed.strip()]
    except ValueError:
        raise ValueError(
            f"`--seeds` must be comma-separated integers. Received: {text!r}"
        ) from None


def held_out(speaker, args, variant=None, **settings):
    """The run that trains on the five speakers other than `speaker`, with
    `settings` (named `variant`) on top of `--set`."""
    name = f"speaker-{speaker}" + (f"-{variant}" if variant else "")
    return run(
        name, args, test_speakers=[speaker], valid_speakers=[], **settings
    )


def speakers(args):
    print("| test speaker | test accuracy | valid accuracy | minutes |")
    print("|---|---|---|---|")
    scores = []
    for speaker in args.speakers.split(","):
        metrics = held_out(speaker, args)
        scores.append(metrics["test_accuracy"])
        print(
            f"| {speaker} | {metrics['test_accuracy']:.4f} | "
            f"{metrics['val_accuracy']:.4f} | "
            f"{metrics['train_seconds'] / 60:.1f} |",
            flush=True,
        )
    spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
    print(
        f"| mean of {len(scores)} | {statistics.mean(scores):.4f} "
        f"(sd {spread:.4f}, min {min(scores):.4f}) | | |"
    )


def choose(args):
    """Nested leave-one-speaker-out. For test speaker `t`, the next speaker
    in `SPEAKERS` (cyclically) validates: each candidate trains on the
    other four and is scored on that voice; the best (the first listed on
    a tie) then trains on all five and is tested on `t`."""
    candidates = _candidates(args)
    if not candidates:
        raise ValueError(
            "`choose` needs at least two --candidate NAME:KEY=VALUE,... "
            f"Received: {args.candidate}"
        )
    names = list(candidates)
    print(
        "| test speaker | validation speaker | "
        + " | ".join(f"{name} (valid)" for name in names)
        + " | chosen | test accuracy | minutes |"
    )
    print("|---|---|" + "---|" * len(names) + "---|---|---|")
    scores = []
    for speaker in args.speakers.split(","):
        judge = _judge(speaker)
        valid, minutes = {}, 0.0
        for name in names:
            metrics = run(
                f"choose-{speaker}-by-{judge}-{name}",
                args,
                test_speakers=[speaker],
                valid_speakers=[judge],
                **candidates[name],
            )
            valid[name] = metrics["val_accuracy"]
            minutes += metrics["train_seconds"] / 60
        chosen = _best(valid)
        metrics = held_out(speaker, args, chosen, **candidates[chosen])
        minutes += metrics["train_seconds"] / 60
        scores.append(metrics["test_accuracy"])
        print(
            f"| {speaker} | {judge} | "
            + " | ".join(f"{valid[name]:.4f}" for name in names)
            + f" | {chosen} | {metrics['test_accuracy']:.4f} | "
            f"{minutes:.1f} |",
            flush=True,
        )
    spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
    print(
        f"| mean of {len(scores)} | | "
        + "| " * len(names)
        + f"| {statistics.mean(scores):.4f} (sd {spread:.4f}, "
        f"min {min(scores):.4f}) | |"
    )


def voices(args):
    """For each test speaker, trainings on the first 1, 2, ... 5 of the
    other speakers (in `SPEAKERS` order after it), each validating on a
    seeded tenth of its own speakers' clips: how accuracy on a new voice
    grows with the voices heard."""
    recordings = os.path.join(args.data, "recordings")
    print("| test speaker | voices heard: 1 | 2 | 3 | 4 | 5 |")
    print("|---|" + "---|" * 5)
    for speaker in args.speakers.split(","):
        start = SPEAKERS.index(speaker)
        others = [SPEAKERS[(start + k) % len(SPEAKERS)] for k in range(1, 6)]
        scores = []
        for count in range(1, 5):
            heard = others[:count]
            folder = os.path.join(args.runs, f"folder-{speaker}-{count}")
            if not os.path.isdir(folder):
                # Links, not copies: the speakers' clips and the test voice.
                shutil.rmtree(folder + ".partial", ignore_errors=True)
                os.makedirs(folder + ".partial")
                for name in sorted(os.listdir(recordings)):
                    parts = name.split("_")
                    if len(parts) == 3 and parts[1] in heard + [speaker]:
                        os.symlink(
                            os.path.abspath(os.path.join(recordings, name)),
                            os.path.join(folder + ".partial", name),
                        )
                os.replace(folder + ".partial", folder)
            metrics = run(
                f"voices-{speaker}-{count}",
                args,
                data=folder,
                test_speakers=[speaker],
                valid_speakers=[],
            )
            scores.append(metrics["test_accuracy"])
        # All five: the leave-one-speaker-out run of `speakers`.
        scores.append(held_out(speaker, args)["test_accuracy"])
        print(
            f"| {speaker} | " + " | ".join(f"{a:.4f}" for a in scores) + " |",
            flush=True,
        )


def connected(args):
    """Connected digits (CTC) of the test speaker. With candidates, the
    next speaker in `SPEAKERS` validates, as in `choose`: each candidate
    trains on the other four and is scored by WER on that voice; the best
    trains on all five and is tested."""
    speaker = args.test_speaker
    candidates = _candidates(args)
    task = {"task": "transcribe", "test_speakers": [speaker]}
    chosen, settings, valid, minutes = "", {}, {}, 0.0
    if candidates:
        judge = _judge(speaker)
        print(f"Validation speaker: {judge}\n")
        print("| candidate | valid WER | valid CER | epochs | minutes |")
        print("|---|---|---|---|---|")
        for name, candidate in candidates.items():
            metrics = run(
                f"connected-{speaker}-by-{judge}-{name}",
                args,
                valid_speakers=[judge],
                **task,
                **candidate,
            )
            valid[name] = metrics["val_wer"]
            minutes += metrics["train_seconds"] / 60
            print(
                f"| {name} | {metrics['val_wer']} | {metrics['val_cer']} | "
                f"{metrics['epochs']} | "
                f"{metrics['train_seconds'] / 60:.1f} |",
                flush=True,
            )
        chosen = _best(valid, lower=True)
        settings = candidates[chosen]
        print()
    metrics = run(
        f"connected-{speaker}" + (f"-{chosen}" if chosen else ""),
        args,
        valid_speakers=[],
        **task,
        **settings,
    )
    minutes += metrics["train_seconds"] / 60
    print(
        "| test speaker | chosen | WER | CER | valid WER | epochs | minutes |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {speaker} | {chosen or '(--set)'} | {metrics['test_wer']} | "
        f"{metrics['test_cer']} | {metrics['val_wer']} | "
        f"{metrics['epochs']} | {minutes:.1f} |"
    )


def _judge(speaker):
    """The validation speaker of a fold: the next in `SPEAKERS`."""
    return SPEAKERS[(SPEAKERS.index(speaker) + 1) % len(SPEAKERS)]


def _best(valid, lower=False):
    """The candidate with the best validation score; the first listed on
    a tie."""
    return (min if lower else max)(valid, key=valid.get)


def _candidates(args):
    """`--candidate` as an ordered `{name: settings}`; none, or two or
    more with distinct names."""
    candidates = dict(_candidate(text) for text in args.candidate)
    if len(args.candidate) == 1 or len(candidates) < len(args.candidate):
        raise ValueError(
            "Give no --candidate, or two or more with distinct names. "
            f"Received: {args.candidate}"
        )
    return candidates


def _key_value(text):
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _candidate(text):
    """`NAME:KEY=VALUE,KEY=VALUE` as `(NAME, settings)`; `NAME:` is the
    settings of `--set` alone."""
    name, colon, pairs = text.partition(":")
    if not name or not colon:
        raise ValueError(
            "A candidate is NAME:KEY=VALUE,... (NAME: for no change). "
            f"Received: {text!r}"
        )
    return name, dict(_key_value(pair) for pair in pairs.split(",") if pair)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what",
        choices=(
            "official",
            "speakers",
            "choose",
            "voices",
            "connected",
            "ensemble",
        ),
    )
    parser.add_argument("--data", default=FSDD, help="the FSDD folder")
    parser.add_argument("--runs", default=os.path.join("runs", "speech"))
    parser.add_argument("--cell", default="gru")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--speakers", default=",".join(SPEAKERS))
    parser.add_argument("--test-speaker", default="theo")
    parser.add_argument(
        "--seeds",
        default="",
        help="with `ensemble`: the seeds of the official-split runs",
    )
    parser.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="PATH",
        help="with `ensemble`: a trained .keras classifier to include",
    )
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help="with `choose`, `official` or `connected`: settings to "
        "choose among on validation, on top of --set",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other setting of speech.train, VALUE read as JSON where "
        "it parses (--set units=192 --set mel_bins=64)",
    )
    args = parser.parse_args()
    args.settings = dict(_key_value(text) for text in args.set)
    {
        "official": official,
        "speakers": speakers,
        "choose": choose,
        "voices": voices,
        "connected": connected,
        "ensemble": ensemble,
    }[args.what](args)


if __name__ == "__main__":
    main()
