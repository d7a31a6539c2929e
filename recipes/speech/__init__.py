"""The speech recipe: spoken-word classification and CTC transcription
from raw audio, on any gated cell.

    from recipes import speech
    result = speech.train(task="classify", cell="gru")
    speech.predict(result.model, ["clip.wav"])
    result = speech.train(task="transcribe", data="path/to/fsdd")
    speech.transcribe(result.model, ["digits.wav"], beam_width=8)
    speech.evaluate(result.model, "synthetic", split="test")

`train` reads `data=` (`"synthetic"`, a folder of wav files, or
`"tfds:<name>"`; see `gatedkeras.data.audio`), batches clips of similar
length, and trains a model that computes log-mel features itself, so a
saved model takes raw waveforms. Shell: `gatedkeras train speech ...` and
`gatedkeras transcribe PRESET_OR_PATH file.wav ...`.
"""

from recipes.speech.config import Config
from recipes.speech.ensemble import SpeechEnsemble
from recipes.speech.inference import evaluate
from recipes.speech.inference import predict
from recipes.speech.inference import transcribe
from recipes.speech.model import SpeechModel
from recipes.speech.presets import from_preset
from recipes.speech.presets import model_card
from recipes.speech.presets import presets
from recipes.speech.training import TrainResult
from recipes.speech.training import train
from recipes.speech.tuning import HyperModel
from recipes.speech.tuning import tune

__all__ = [
    "Config",
    "HyperModel",
    "SpeechEnsemble",
    "SpeechModel",
    "TrainResult",
    "evaluate",
    "from_preset",
    "model_card",
    "predict",
    "presets",
    "train",
    "transcribe",
    "tune",
]
