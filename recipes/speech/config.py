"""The speech recipe's settings: the shared training settings of
`recipes.training_config.TrainingConfig`, with defaults for speech, and the
fields below."""

import dataclasses
from typing import Optional

from gatedkeras.data import audio
from recipes.speech.model import LEVELS
from recipes.speech.model import TASKS
from recipes.speech.model import check_noise_snr
from recipes.training_config import TrainingConfig
from recipes.training_config import check_int
from recipes.training_config import check_positive
from recipes.training_config import check_rate
from recipes.training_config import setting


@dataclasses.dataclass
class Config(TrainingConfig):
    """Settings of `train()`; see each field's help."""

    recipe = "speech"

    task: str = setting(
        "classify",
        "'classify' (one label per clip) or 'transcribe' (a label sequence "
        "per clip, CTC)",
    )
    cell: str = setting("gru", "recurrent layer, any name of the registry")
    units: int = setting(128, "width of each recurrent layer (per direction)")
    num_layers: int = setting(2, "depth of the recurrent stack")
    bidirectional: bool = setting(True, "recurrent layers read both ways")
    dropout: float = setting(
        0.1, "dropout between recurrent layers and before the head"
    )
    batch_size: int = setting(32, "clips per training step")
    epochs: int = setting(30, "passes over the training clips")
    learning_rate: float = setting(2e-3, "initial learning rate")
    level: str = setting(
        "word",
        "symbols of a transcript: 'word' (small vocabularies, as digits) "
        "or 'char' (open vocabularies)",
    )
    sample_rate: int = setting(
        audio.SAMPLE_RATE, "samples per second; audio is resampled to it"
    )
    mel_bins: int = setting(40, "mel filters of the log-mel features")
    frame_length: float = setting(0.025, "analysis window, in seconds")
    frame_step: float = setting(0.01, "hop between frames, in seconds")
    time_masks: int = setting(
        2, "SpecAugment time masks per clip in training (0: none)"
    )
    time_mask_frames: int = setting(10, "widest time mask, in frames")
    time_mask_ratio: float = setting(
        0.2, "no time mask is wider than this fraction of the clip's frames"
    )
    frequency_masks: int = setting(
        2, "SpecAugment frequency masks per clip in training (0: none)"
    )
    frequency_mask_bins: int = setting(6, "widest frequency mask, in bins")
    frequency_warp: float = setting(
        0.0,
        "vocal tract length perturbation in training: each clip's mel axis "
        "is warped by a factor from 1 - this to 1 + this (0: none)",
    )
    noise_snr: Optional[float] = setting(
        None,
        "white noise added to each training clip at a signal-to-noise "
        "ratio drawn from this many dB to 30 dB more (None: none)",
    )
    speed_perturbation: float = setting(
        0.0,
        "speed perturbation in training (Ko et al. 2015): each training "
        "clip plays at a speed from 1 - this to 1 + this, drawn anew each "
        "epoch, which scales its length and pitch (0: none)",
    )
    conv_filters: int = setting(
        64,
        "filters of the two-layer convolutional front end before the "
        "recurrent layers (0: none)",
    )
    subsampling: int = setting(2, "time stride of the convolutional front end")
    split_by: str = setting(
        "speaker",
        "how a folder is split: 'speaker' (held-out speakers), 'official' "
        "(FSDD recordings 0-4 test, 5-9 valid) or 'random' (80/10/10)",
    )
    test_speakers: Optional[list[str]] = setting(
        None,
        "speakers held out for testing with split_by='speaker' (None: the "
        "last in sorted order)",
    )
    valid_speakers: Optional[list[str]] = setting(
        None,
        "speakers held out for validation (None: the last remaining one; "
        "none given: a seeded 10% of the training speakers' clips)",
    )
    labels_csv: Optional[str] = setting(
        None,
        "CSV of file,label[,speaker] naming a folder's clips (None: FSDD "
        "file names)",
    )
    skip_unreadable: bool = setting(
        False, "skip and count unreadable wav files instead of failing"
    )
    utterances: Optional[int] = setting(
        None,
        "connected-digit training utterances when transcribing single "
        "digits, and a tenth as many to validate and test (None: 3000, "
        "300 and 300)",
    )
    bucket_seconds: float = setting(
        0.25,
        "clips are batched with clips of similar length, padded to a "
        "multiple of this many seconds",
    )
    beam_width: int = setting(1, "CTC beam of the final evaluation (1: greedy)")

    def validate(self):
        super().validate()
        if self.task not in TASKS:
            raise ValueError(
                f"`task` must be one of {TASKS}. Received: task={self.task!r}"
            )
        if self.level not in LEVELS:
            raise ValueError(
                f"`level` must be one of {LEVELS}. Received: "
                f"level={self.level!r}"
            )
        if self.split_by not in audio.SPLIT_BY:
            raise ValueError(
                f"`split_by` must be one of {audio.SPLIT_BY}. Received: "
                f"split_by={self.split_by!r}"
            )
        for name in ("sample_rate", "mel_bins", "subsampling", "beam_width"):
            check_int(name, getattr(self, name), 1)
        for name in (
            "time_masks",
            "time_mask_frames",
            "frequency_masks",
            "frequency_mask_bins",
            "conv_filters",
        ):
            check_int(name, getattr(self, name), 0)
        # 0.1 plays clips at 0.9 to 1.1 times their speed.
        check_rate("speed_perturbation", self.speed_perturbation, upper=0.5)
        check_noise_snr(self.noise_snr)
        if self.utterances is not None:
            check_int("utterances", self.utterances, 1)
        for name in ("frame_length", "frame_step", "bucket_seconds"):
            if getattr(self, name) is None:
                raise ValueError(f"`{name}` must be a number of seconds > 0.")
            check_positive(name, getattr(self, name))

    def load_options(self):
        """The arguments of `gatedkeras.data.audio.load` these settings
        give."""
        return dict(
            task=self.task,
            sample_rate=self.sample_rate,
            split_by=self.split_by,
            test_speakers=self.test_speakers,
            valid_speakers=self.valid_speakers,
            labels_csv=self.labels_csv,
            skip_unreadable=self.skip_unreadable,
            seed=self.seed,
            num_utterances=(
                None
                if self.utterances is None
                else {
                    "train": self.utterances,
                    "valid": max(1, self.utterances // 10),
                    "test": max(1, self.utterances // 10),
                }
            ),
        )
