"""The speech model: log-mel features computed inside the model, an
optional strided convolutional front end and a masked recurrent stack of
any registered cell, with a classification or a CTC head.

Features follow the usual recipe for recurrent acoustic models: a log-mel
spectrogram (`keras.layers.MelSpectrogram`, in dB below each clip's own
peak), normalised per utterance and mel bin over the utterance's own
frames, with SpecAugment's time and frequency masks in training (Park et
al. 2019, arXiv 1904.08779) and, optionally, a random warp of each
utterance's frequency axis, vocal tract length perturbation (Jaitly and
Hinton 2013), which makes one voice sound like many, and white noise at a
random signal-to-noise ratio, so that the model does not learn each
recording's own noise floor.
A classifier averages the top layer's outputs over the valid frames; a
transcriber emits, per frame, a distribution over the symbols and the CTC
blank (Graves et al. 2006), index 0 as `keras.ops.ctc_loss` expects.
"""

import keras
from keras import ops

from gatedkeras import layers
from gatedkeras.engine.bidirectional import wrap_bidirectional
from recipes import model_arguments
from recipes.model_arguments import check_model_arguments
from recipes.training_config import check_int
from recipes.training_config import check_rate

TASKS = ("classify", "transcribe")
# Dynamic range of the log-mel features below each clip's loudest value, as
# `keras.layers.MelSpectrogram`'s `top_db`.
TOP_DB = 80.0
# Training noise is drawn from `noise_snr` up to this many dB cleaner: the
# quietest tenth of FSDD's frames lies 17 to 46 dB below each clip's loudest,
# depending on the speaker.
NOISE_SNR_SPAN = 30.0
# Where the frequency warp's straight stretch ends, as a fraction of the mel
# axis: Jaitly and Hinton's F_hi is 0.6 of the Nyquist frequency (4.8 of
# 8 kHz), which lies about 0.8 of the way up a mel axis.
WARP_KNEE = 0.8
LEVELS = ("word", "char")


def check_noise_snr(noise_snr):
    """Raises unless `noise_snr` is None or a ratio in dB a clip can take."""
    if noise_snr is not None and not (
        isinstance(noise_snr, (int, float))
        and not isinstance(noise_snr, bool)
        and -30 <= noise_snr <= 100
    ):
        raise ValueError(
            "`noise_snr` must be a signal-to-noise ratio in dB from -30 "
            f"to 100, or None. Received: noise_snr={noise_snr!r}"
        )


def symbols(transcript, level):
    """The symbols of a transcript at `level`: its words (`"word"`), or
    its characters with runs of whitespace as one space (`"char"`)."""
    if level == "word":
        return transcript.split()
    return list(" ".join(transcript.split()))


@keras.saving.register_keras_serializable(package="gatedkeras")
class SpeechModel(keras.Model):
    """Classifies or transcribes raw waveforms with any recurrent cell.

    Args:
        labels: the class names (`task="classify"`), or the symbols a
            transcript is made of (`task="transcribe"`, e.g. the digits and
            the space), in output order.
        task: `"classify"` or `"transcribe"`. Defaults to `"classify"`.
        level: what a transcript's symbols are: `"word"` (split on
            whitespace, for small vocabularies such as digits) or `"char"`
            (every character, the space included, for open vocabularies).
            Ignored to classify. Defaults to `"word"`.
        cell: name, class or registered layer of the recurrent layers.
            Defaults to `"gru"`.
        sample_rate: waveform samples per second. Defaults to `8000`.
        mel_bins: mel filters. Defaults to `40`.
        frame_length: analysis window, in seconds. Defaults to `0.025`.
        frame_step: hop between frames, in seconds. Defaults to `0.01`.
        time_masks: SpecAugment time masks per utterance in training.
            Defaults to `2`.
        time_mask_frames: the widest time mask, in frames. Defaults to
            `10`.
        time_mask_ratio: no time mask is wider than this fraction of the
            clip's frames (SpecAugment's `p`), so a short word keeps most
            of itself. Defaults to `0.2`.
        frequency_masks: SpecAugment frequency masks per utterance.
            Defaults to `2`.
        frequency_mask_bins: the widest frequency mask, in mel bins.
            Defaults to `6`.
        frequency_warp: vocal tract length perturbation in training: each
            utterance's mel axis is stretched by a factor drawn uniformly
            from `[1 - frequency_warp, 1 + frequency_warp]`, piecewise
            linearly so that the lowest and highest bins stay in place
            (Jaitly and Hinton's warp, applied to mel bins rather than
            Hertz). `0` turns it off. Defaults to `0.0`.
        noise_snr: white noise added to each training clip, at a
            signal-to-noise ratio (against the clip's mean power) drawn
            uniformly from `noise_snr` to `noise_snr + 30` dB, or `None`
            for none. Defaults to `None`.
        conv_filters: filters of a two-layer causal convolutional front
            end (kernel 5, ReLU), or `0` for none. Defaults to `0`.
        subsampling: time stride of the front end's first convolution.
            Defaults to `2`.
        units: width of every recurrent layer (each direction). Defaults
            to `128`.
        num_layers: depth of the recurrent stack. A layer that stacks
            itself (the Depth-Gated LSTM) is built once, this deep, unless
            `cell_options` set its own `num_layers`. Defaults to `2`.
        bidirectional: whether recurrent layers read both ways. Defaults
            to `True`.
        dropout: dropout between layers and before the head. Defaults to
            `0.1`.
        cell_options: dict of further arguments of every recurrent layer.
            Defaults to `None`.
        seed: seed of the SpecAugment masks. Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: tuple `(waveforms, lengths)`: float `(batch, samples)`,
            zero-padded, and int `(batch,)`, the samples of each clip.
        training: Python boolean, whether dropout and SpecAugment are
            active.

    Returns:
        Float32 logits: `(batch, len(labels))` to classify; `(batch,
        frames, len(labels) + 1)` to transcribe, the blank first, with
        `frame_lengths(lengths)` valid frames per clip.

    >>> from recipes.speech.model import SpeechModel
    >>> model = SpeechModel(["yes", "no"], units=8, num_layers=1)
    >>> waves = keras.ops.zeros((2, 4000))
    >>> tuple(model((waves, keras.ops.convert_to_tensor([4000, 2000]))).shape)
    (2, 2)
    """

    def __init__(
        self,
        labels,
        task="classify",
        level="word",
        cell="gru",
        sample_rate=8000,
        mel_bins=40,
        frame_length=0.025,
        frame_step=0.01,
        time_masks=2,
        time_mask_frames=10,
        time_mask_ratio=0.2,
        frequency_masks=2,
        frequency_mask_bins=6,
        frequency_warp=0.0,
        noise_snr=None,
        conv_filters=0,
        subsampling=2,
        units=128,
        num_layers=2,
        bidirectional=True,
        dropout=0.1,
        cell_options=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        labels = [str(label) for label in labels]
        if len(labels) < 1 or len(set(labels)) != len(labels):
            raise ValueError(
                "`labels` must be a non-empty list of distinct names. "
                f"Received: labels={labels[:10]}"
            )
        if task not in TASKS:
            raise ValueError(
                f"`task` must be one of {TASKS}. Received: task={task!r}"
            )
        if level not in LEVELS:
            raise ValueError(
                f"`level` must be one of {LEVELS}. Received: level={level!r}"
            )
        if task == "transcribe" and level == "word":
            spaced = [label for label in labels if not label.split() == [label]]
            if spaced:
                raise ValueError(
                    "Word symbols may not be empty or hold whitespace. "
                    f"Received: labels={spaced[:5]}"
                )
        spec = layers.spec(cell)
        check_model_arguments(
            dropout,
            None,
            units=units,
            num_layers=num_layers,
            sample_rate=sample_rate,
            mel_bins=mel_bins,
            subsampling=subsampling,
        )
        for name, value in (
            ("time_masks", time_masks),
            ("time_mask_frames", time_mask_frames),
            ("frequency_masks", frequency_masks),
            ("frequency_mask_bins", frequency_mask_bins),
            ("conv_filters", conv_filters),
        ):
            check_int(name, value, 0)
        # 0.1 warps by factors from 0.9 to 1.1.
        check_rate("frequency_warp", frequency_warp, upper=0.5)
        check_noise_snr(noise_snr)
        if not (
            isinstance(time_mask_ratio, (int, float))
            and 0 <= time_mask_ratio <= 1
        ):
            raise ValueError(
                "`time_mask_ratio` must be a fraction in [0, 1]. Received: "
                f"time_mask_ratio={time_mask_ratio!r}"
            )
        for name, value in (
            ("frame_length", frame_length),
            ("frame_step", frame_step),
        ):
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(
                    f"`{name}` must be a number of seconds > 0. Received: "
                    f"{name}={value!r}"
                )
        cell_options = model_arguments.cell_options(cell_options)
        self.labels = labels
        self.task = task
        self.level = level
        self.cell = spec.name
        self.sample_rate = sample_rate
        self.mel_bins = mel_bins
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.time_masks = time_masks
        self.time_mask_frames = time_mask_frames
        self.time_mask_ratio = time_mask_ratio
        self.frequency_masks = frequency_masks
        self.frequency_mask_bins = frequency_mask_bins
        self.frequency_warp = frequency_warp
        self.noise_snr = noise_snr
        self.conv_filters = conv_filters
        self.subsampling = subsampling
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.dropout = dropout
        self.cell_options = cell_options
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

        self.window = int(round(frame_length * sample_rate))
        self.hop = int(round(frame_step * sample_rate))
        if self.hop < 1 or self.window < self.hop:
            raise ValueError(
                "`frame_length` must hold at least one sample and be at "
                "least `frame_step`. Received: "
                f"frame_length={frame_length}, frame_step={frame_step}"
            )
        self.fft_length = 1 << (self.window - 1).bit_length()
        dtype = self.dtype_policy
        # Features in float32 whatever the policy: dB and normalisation
        # statistics need the range.
        self.spectrogram = keras.layers.MelSpectrogram(
            fft_length=self.fft_length,
            sequence_stride=self.hop,
            sequence_length=self.window,
            sampling_rate=sample_rate,
            num_mel_bins=mel_bins,
            max_freq=sample_rate / 2,
            # Decibels are taken per clip in `features`: the layer's own
            # floor (`top_db` below the loudest value) is the whole batch's,
            # so a clip's features would depend on its batch-mates.
            power_to_db=False,
            name="mel_spectrogram",
            dtype="float32",
        )
        self.front_end = []
        if conv_filters:
            for index, stride in enumerate((subsampling, 1)):
                self.front_end.append(
                    keras.layers.Conv1D(
                        conv_filters,
                        5,
                        strides=stride,
                        # Causal: the frames a stride keeps do not depend
                        # on how much padding follows a clip.
                        padding="causal",
                        activation="relu",
                        name=f"conv_{index}",
                        dtype=dtype,
                    )
                )
        width = conv_filters or mel_bins
        self.recurrent_layers = []
        stack = model_arguments.stack_arguments(
            spec, units, num_layers, cell_options
        )
        for index, arguments in enumerate(stack):
            input_dim = (
                width
                if index == 0
                else units * (2 if self.bidirectional else 1)
            )
            spec.validate(arguments, input_dim=input_dim)
            layer = spec.layer(
                return_sequences=True,
                name=f"{spec.name}_{index}",
                dtype=dtype,
                **arguments,
            )
            if self.bidirectional:
                layer = wrap_bidirectional(
                    layer, name=f"bidirectional_{index}", dtype=dtype
                )
            self.recurrent_layers.append(layer)
        self.dropout_layer = keras.layers.Dropout(
            dropout, name="dropout", dtype=dtype
        )
        outputs = len(labels) + (1 if task == "transcribe" else 0)
        self.head = keras.layers.Dense(outputs, name="logits", dtype=dtype)

    def build(self, input_shape=None):
        self.spectrogram.build((None, None))
        width = self.mel_bins
        for layer in self.front_end:
            layer.build((None, None, width))
            width = self.conv_filters
        for layer in self.recurrent_layers:
            layer.build((None, None, width))
            width = self.units * (2 if self.bidirectional else 1)
        self.head.build((None, width))
        self.built = True

    def symbols(self, transcript):
        """The symbols of a transcript: its words, or its characters."""
        return symbols(transcript, self.level)

    def join(self, symbols):
        """The transcript of a sequence of symbols."""
        return (" " if self.level == "word" else "").join(symbols)

    def frame_lengths(self, lengths):
        """Valid output frames of clips of `lengths` samples."""
        frames = ops.floor_divide(ops.cast(lengths, "int32"), self.hop) + 1
        if self.front_end:
            frames = -ops.floor_divide(-frames, self.subsampling)
        return frames

    def ctc_loss(self, lengths, targets, logits):
        """Per-clip CTC loss of `targets` (symbol ids from 1, padded with
        0) under this model's `logits` of clips of `lengths` samples."""
        targets = ops.cast(targets, "int32")
        target_lengths = ops.sum(
            ops.cast(ops.not_equal(targets, 0), "int32"), axis=1
        )
        return ops.ctc_loss(
            targets,
            ops.cast(logits, "float32"),
            target_lengths,
            self.frame_lengths(lengths),
            mask_index=0,
        )

    def features(self, waveforms, lengths, training=False):
        """Normalised log-mel frames `(batch, frames, mel_bins)` and their
        mask, SpecAugment applied in training."""
        waveforms = ops.cast(waveforms, "float32")
        if training and self.noise_snr is not None:
            waveforms = self._add_noise(waveforms, lengths)
        # Zeros after every clip: a clip shorter than a window still makes
        # a frame, and the spectrogram's reflection padding has room.
        waveforms = ops.pad(waveforms, ((0, 0), (0, self.fft_length)))
        power = ops.transpose(self.spectrogram(waveforms), (0, 2, 1))
        mel = 10.0 * ops.log10(ops.maximum(power, 1e-10))
        steps = ops.shape(mel)[1]
        valid = ops.floor_divide(ops.cast(lengths, "int32"), self.hop) + 1
        mask = ops.arange(steps)[None, :] < valid[:, None]
        weights = ops.cast(mask, "float32")[:, :, None]
        peak = ops.max(
            ops.where(weights > 0, mel, -200.0), axis=(1, 2), keepdims=True
        )
        mel = ops.maximum(mel, peak - TOP_DB)
        if training and self.frequency_warp:
            # Before the normalisation, which then sees the warped voice.
            mel = self._warp_frequencies(mel)
        count = ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1.0)
        mean = ops.sum(mel * weights, axis=1, keepdims=True) / count
        variance = (
            ops.sum(ops.square(mel - mean) * weights, axis=1, keepdims=True)
            / count
        )
        mel = (mel - mean) / ops.sqrt(variance + 1e-5) * weights
        if training:
            mel = self._spec_augment(mel, valid)
        return mel, mask

    def _spec_augment(self, mel, valid):
        batch, steps = ops.shape(mel)[0], ops.shape(mel)[1]
        keep = ops.ones_like(mel)
        frames = ops.arange(steps)[None, :]
        widest = ops.minimum(
            self.time_mask_frames,
            ops.cast(
                ops.floor(ops.cast(valid, "float32") * self.time_mask_ratio),
                "int32",
            ),
        )
        for _ in range(self.time_masks):
            draw = keras.random.uniform((batch,), seed=self.seed_generator)
            width = ops.cast(
                ops.floor(draw * ops.cast(widest + 1, "float32")), "int32"
            )
            start = self._uniform((batch,), 1 << 30) % ops.maximum(
                valid - width + 1, 1
            )
            inside = (frames >= start[:, None]) & (
                frames < (start + width)[:, None]
            )
            keep = (
                keep * ops.cast(ops.logical_not(inside), "float32")[:, :, None]
            )
        bins = ops.arange(self.mel_bins)[None, :]
        for _ in range(self.frequency_masks):
            width = self._uniform((batch,), self.frequency_mask_bins + 1)
            start = self._uniform((batch,), 1 << 30) % ops.maximum(
                self.mel_bins - width + 1, 1
            )
            inside = (bins >= start[:, None]) & (
                bins < (start + width)[:, None]
            )
            keep = (
                keep * ops.cast(ops.logical_not(inside), "float32")[:, None, :]
            )
        return mel * keep

    def _add_noise(self, waveforms, lengths):
        # Only over each clip's own samples: padding stays silent.
        inside = ops.cast(
            ops.arange(ops.shape(waveforms)[1])[None, :]
            < ops.cast(lengths, "int32")[:, None],
            "float32",
        )
        power = ops.sum(ops.square(waveforms) * inside, axis=1, keepdims=True)
        power = power / ops.maximum(ops.sum(inside, axis=1, keepdims=True), 1)
        snr = self.noise_snr + NOISE_SNR_SPAN * keras.random.uniform(
            (ops.shape(waveforms)[0], 1), seed=self.seed_generator
        )
        scale = ops.sqrt(power * ops.power(10.0, -snr / 10.0))
        noise = keras.random.normal(
            ops.shape(waveforms), seed=self.seed_generator
        )
        return waveforms + noise * scale * inside

    def _warp_frequencies(self, mel):
        # Output bin b reads input position w(b), the inverse of Jaitly and
        # Hinton's map f -> alpha * f below the knee and a straight line to
        # the top bin above it, so 0 and the top bin stay fixed.
        top = float(self.mel_bins - 1)
        batch = ops.shape(mel)[0]
        alpha = 1.0 + self.frequency_warp * (
            2.0 * keras.random.uniform((batch, 1), seed=self.seed_generator)
            - 1.0
        )
        knee = WARP_KNEE * top * ops.minimum(alpha, 1.0)
        bins = ops.cast(ops.arange(self.mel_bins), "float32")[None, :]
        below = bins / alpha
        above = top - (top - bins) * (top - knee / alpha) / (top - knee)
        position = ops.clip(ops.where(bins <= knee, below, above), 0.0, top)
        low = ops.floor(position)
        fraction = (position - low)[:, None, :]
        low = ops.cast(low, "int32")
        high = ops.minimum(low + 1, self.mel_bins - 1)
        shape = ops.shape(mel)

        def take(index):
            index = ops.broadcast_to(index[:, None, :], shape)
            return ops.take_along_axis(mel, index, axis=2)

        return take(low) * (1.0 - fraction) + take(high) * fraction

    def _uniform(self, shape, high):
        values = keras.random.randint(shape, 0, high, seed=self.seed_generator)
        return ops.cast(values, "int32")

    def call(self, inputs, training=False):
        waveforms, lengths = inputs
        x, mask = self.features(waveforms, lengths, training=training)
        x = ops.cast(x, self.compute_dtype)
        for layer in self.front_end:
            x = layer(x)
        if self.front_end:
            steps = ops.shape(x)[1]
            mask = (
                ops.arange(steps)[None, :]
                < self.frame_lengths(lengths)[:, None]
            )
        for index, layer in enumerate(self.recurrent_layers):
            if index > 0:
                x = self.dropout_layer(x, training=training)
            x = layer(x, mask=mask, training=training)
        x = self.dropout_layer(x, training=training)
        if self.task == "classify":
            weights = ops.cast(mask, x.dtype)[:, :, None]
            x = ops.sum(x * weights, axis=1) / ops.maximum(
                ops.sum(weights, axis=1), 1.0
            )
        return ops.cast(self.head(x), "float32")

    def get_config(self):
        config = {
            "labels": list(self.labels),
            "task": self.task,
            "level": self.level,
            "cell": self.cell,
            "sample_rate": self.sample_rate,
            "mel_bins": self.mel_bins,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "time_masks": self.time_masks,
            "time_mask_frames": self.time_mask_frames,
            "time_mask_ratio": self.time_mask_ratio,
            "frequency_masks": self.frequency_masks,
            "frequency_mask_bins": self.frequency_mask_bins,
            "frequency_warp": self.frequency_warp,
            "noise_snr": self.noise_snr,
            "conv_filters": self.conv_filters,
            "subsampling": self.subsampling,
            "units": self.units,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "cell_options": self.cell_options,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
