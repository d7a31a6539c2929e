"""An ensemble of speech classifiers: the mean of their probabilities."""

import math

import keras
from keras import ops

from recipes.speech.model import SpeechModel


@keras.saving.register_keras_serializable(package="gatedkeras")
class SpeechEnsemble(keras.Model):
    """Classifies raw waveforms by the mean of several classifiers'
    probabilities.

    Classifiers trained alike but from different seeds make different
    mistakes; averaging their predicted distributions cancels much of that
    variance (Hansen and Salamon, 1990, "Neural network ensembles"; the
    probability average is the one Lakshminarayanan et al., 2017, "Simple
    and scalable predictive uncertainty estimation using deep ensembles",
    use). The ensemble takes what a `SpeechModel` takes and returns logits
    as one does, so `predict`, `evaluate`, `save` and the command line
    treat it as a single model.

    Only classifiers combine this way: two CTC models place the spikes of
    one word at different frames, so the mean of their frame posteriors
    is not the transcript either of them would give.

    Args:
        members: a list of at least one `SpeechModel` with
            `task="classify"`, all with the same `labels` in the same order
            and the same `sample_rate`.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: tuple `(waveforms, lengths)`: float `(batch, samples)`,
            zero-padded, and int `(batch,)`, the samples of each clip.
        training: Python boolean, passed to every member.

    Returns:
        Float32 `(batch, len(labels))`: the logarithm of the members' mean
        probabilities, logits whose softmax is that mean.

    >>> from recipes.speech import SpeechEnsemble, SpeechModel
    >>> members = [
    ...     SpeechModel(["yes", "no"], units=8, num_layers=1) for _ in "ab"
    ... ]
    >>> ensemble = SpeechEnsemble(members)
    >>> waves = keras.ops.zeros((2, 4000))
    >>> lengths = keras.ops.convert_to_tensor([4000, 2000])
    >>> tuple(ensemble((waves, lengths)).shape)
    (2, 2)
    """

    def __init__(self, members, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(members, (list, tuple)) or not members:
            raise ValueError(
                "`members` must be a non-empty list of SpeechModel "
                f"classifiers. Received: members={members!r}"
            )
        members = list(members)
        for index, member in enumerate(members):
            if not isinstance(member, SpeechModel):
                raise ValueError(
                    "Every member must be a SpeechModel. Received: "
                    f"members[{index}] of type {type(member).__name__}"
                )
            if member.task != "classify":
                raise ValueError(
                    "Only classifiers (task='classify') can be ensembled: "
                    "CTC models align a word to different frames, so "
                    "their frame posteriors do not average. Received: "
                    f"members[{index}] with task={member.task!r}"
                )
            if list(member.labels) != list(members[0].labels):
                raise ValueError(
                    "Every member must have the labels of the first, in the "
                    f"same order. Received: {list(members[0].labels)} and, "
                    f"for members[{index}], {list(member.labels)}"
                )
            if member.sample_rate != members[0].sample_rate:
                raise ValueError(
                    "Every member must read audio at the sample rate of the "
                    f"first ({members[0].sample_rate}). Received: "
                    f"members[{index}] with sample_rate={member.sample_rate}"
                )
        self.members = members

    # What `predict` and `evaluate` read of a model, all the first
    # member's, which every member shares.
    task = "classify"

    @property
    def labels(self):
        return list(self.members[0].labels)

    @property
    def sample_rate(self):
        return self.members[0].sample_rate

    def build(self, input_shape=None):
        for member in self.members:
            if not member.built:
                member.build()
        self.built = True

    def call(self, inputs, training=False):
        log_probabilities = ops.stack(
            [
                ops.log_softmax(member(inputs, training=training), axis=-1)
                for member in self.members
            ]
        )
        return ops.logsumexp(log_probabilities, axis=0) - math.log(
            len(self.members)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "members": [
                keras.saving.serialize_keras_object(member)
                for member in self.members
            ],
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        members = [
            keras.saving.deserialize_keras_object(member)
            for member in config.pop("members")
        ]
        return cls(members, **config)
