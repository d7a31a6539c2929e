"""The forecaster: a recurrent encoder over the recent past, with a direct
multi-step head or an autoregressive decoder, in original units.

The model carries the mean and standard deviation of every input column,
fitted on the training split only, in its config: it takes raw values and
returns forecasts in the same units, so one `.keras` file forecasts on
every backend with no preprocessing beside it. Inside, each window is
standardised with those statistics and, with `level="last"`, the last
observed value of each target is subtracted and added back to the
forecast (a per-window shift in the spirit of reversible instance
normalisation, Kim et al. 2022), so a trending series never leaves the
range the network was trained on.

Heads:

- `decoder="direct"`: one dense layer maps the encoder's last output to
  all `horizon` steps at once (the "multi-output" strategy of Taieb et al.
  2012). With `highway=True` a linear autoregressive term on each target's
  own lookback is added, as LSTNet's highway (Lai et al. 2018): the
  network learns only what a linear model misses.
- `decoder="autoregressive"`: a second recurrent stack starts from the
  encoder's final states and feeds each step's forecast back as the next
  step's input (sequence to sequence, Sutskever et al. 2014), trained
  free-running; it forecasts any horizon.

With `quantiles`, each step predicts those quantiles of every target,
trained with the pinball loss (Koenker and Bassett 1978); the median
(0.5, always included) is the point forecast and, for the autoregressive
decoder, what is fed back. `forecast()` sorts the quantiles of each step,
so they never cross.
"""

import keras
from keras import ops

from gatedkeras import layers
from recipes import model_arguments
from recipes.model_arguments import check_model_arguments
from recipes.training_config import check_int

DECODERS = ("direct", "autoregressive")
LEVELS = ("last", "none")


def check_quantiles(quantiles):
    """`quantiles` as a sorted list of distinct levels with 0.5, or
    `None`; raises `ValueError` unless each is in (0, 1)."""
    if quantiles is None:
        return None
    if isinstance(quantiles, (int, float)):
        quantiles = [quantiles]
    try:
        levels = [float(q) for q in quantiles]
    except (TypeError, ValueError):
        raise ValueError(
            "`quantiles` must be numbers in (0, 1). Received: "
            f"quantiles={quantiles!r}"
        ) from None
    if not levels or not all(0 < q < 1 for q in levels):
        raise ValueError(
            "`quantiles` must be numbers in (0, 1). Received: "
            f"quantiles={quantiles!r}"
        )
    return sorted(set(levels) | {0.5})


@keras.saving.register_keras_serializable(package="gatedkeras")
class ForecastModel(keras.Model):
    """Forecasts target columns from a window of past values, any cell.

    Args:
        columns: names of the input columns, targets first.
        targets: how many of the first `columns` are forecast (an int) or
            their names.
        lookback: input steps per forecast.
        horizon: steps forecast (the direct head's width; the
            autoregressive decoder's default).
        mean: per input column, the training split's mean.
        std: per input column, the training split's standard deviation.
        season: the seasonal period in steps, kept for scoring. Defaults
            to `1`.
        freq: the pandas frequency of the series, for the index of a
            forecast, or `None`. Defaults to `None`.
        decoder: `"direct"` or `"autoregressive"`. Defaults to `"direct"`.
        quantiles: levels in (0, 1) to predict (0.5 is added), or `None`
            for point forecasts. Defaults to `None`.
        level: `"last"` (forecast relative to the last observed value of
            each target) or `"none"`. Defaults to `"last"`.
        highway: add a linear autoregressive term (direct head only).
            Defaults to `True`.
        cell: name of the recurrent layers, any of
            `gatedkeras.layers.names()`. Defaults to `"lstm"`.
        units: width of every recurrent layer. Defaults to `32`.
        num_layers: depth of the recurrent stack. A layer that stacks
            itself (the Depth-Gated LSTM) is built once, this deep, unless
            `cell_options` set its own `num_layers`. Defaults to `1`.
        dropout: dropout between layers and before the head. Defaults to
            `0.0`.
        cell_options: dict of further arguments of every recurrent layer.
            Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: float `(batch, lookback, len(columns))`, original units.
        training: Python boolean, whether dropout is active.

    Returns:
        Forecasts in original units: `(batch, horizon, targets)`, or
        `(batch, horizon, targets, len(quantiles))` with quantiles.

    >>> from recipes.time_series.model import ForecastModel
    >>> model = ForecastModel(["y", "x"], 1, lookback=8, horizon=3,
    ...                       mean=[0.0, 0.0], std=[1.0, 1.0], units=4)
    >>> tuple(model(np.zeros((2, 8, 2), "float32")).shape)
    (2, 3, 1)
    """

    def __init__(
        self,
        columns,
        targets,
        lookback,
        horizon,
        mean,
        std,
        season=1,
        freq=None,
        decoder="direct",
        quantiles=None,
        level="last",
        highway=True,
        cell="lstm",
        units=32,
        num_layers=1,
        dropout=0.0,
        cell_options=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        columns = [str(c) for c in columns]
        if not columns or len(set(columns)) != len(columns):
            raise ValueError(
                f"`columns` must be distinct names. Received: columns={columns}"
            )
        if not isinstance(targets, int):
            names = [str(t) for t in targets]
            if names != columns[: len(names)]:
                raise ValueError(
                    "The targets must be the first columns. Received: "
                    f"targets={names}, columns={columns}"
                )
            targets = len(names)
        if isinstance(targets, bool) or not 1 <= targets <= len(columns):
            raise ValueError(
                "`targets` must count 1 to len(columns) columns. Received: "
                f"targets={targets!r}, columns={columns}"
            )
        for name, value in (("mean", mean), ("std", std)):
            if len(value) != len(columns):
                raise ValueError(
                    f"`{name}` needs one value per column. Received: "
                    f"{name}={list(value)}, columns={columns}"
                )
        if min(std) <= 0:
            raise ValueError(
                f"`std` must be positive. Received: std={list(std)}"
            )
        if decoder not in DECODERS:
            raise ValueError(
                f"`decoder` must be one of {DECODERS}. Received: "
                f"decoder={decoder!r}"
            )
        if level not in LEVELS:
            raise ValueError(
                f"`level` must be one of {LEVELS}. Received: level={level!r}"
            )
        check_model_arguments(
            dropout,
            None,
            lookback=lookback,
            horizon=horizon,
            units=units,
            num_layers=num_layers,
        )
        check_int("season", season, 1)
        spec = layers.spec(cell)
        self.columns = columns
        self.num_targets = targets
        self.lookback = lookback
        self.horizon = horizon
        self.mean = [float(v) for v in mean]
        self.std = [float(v) for v in std]
        self.season = season
        self.freq = freq
        self.decoder = decoder
        self.quantiles = check_quantiles(quantiles)
        self.level = level
        self.highway = bool(highway) and decoder == "direct"
        self.cell = spec.name
        self.units = units
        self.num_layers = num_layers
        self.dropout = dropout
        self.cell_options = model_arguments.cell_options(cell_options)
        dtype = self.dtype_policy
        outputs = len(self.quantiles or [0.5])
        self.encoder = self._stack(spec, "encoder", len(columns), dtype)
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=dtype)
        if decoder == "direct":
            self.head = keras.layers.Dense(
                horizon * targets * outputs, name="head", dtype=dtype
            )
        else:
            self.decoder_layers = self._stack(spec, "decoder", targets, dtype)
            self.head = keras.layers.Dense(
                targets * outputs, name="head", dtype=dtype
            )
        if self.highway:
            self.highway_layer = keras.layers.Dense(
                horizon, name="highway", dtype=dtype
            )

    def _stack(self, spec, role, width, dtype):
        stack = []
        per_layer = model_arguments.stack_arguments(
            spec, self.units, self.num_layers, self.cell_options
        )
        for index, arguments in enumerate(per_layer):
            spec.validate(
                arguments, input_dim=width if index == 0 else self.units
            )
            stack.append(
                spec.layer(
                    return_sequences=True,
                    return_state=True,
                    name=f"{role}_{index}",
                    dtype=dtype,
                    **arguments,
                )
            )
        return stack

    @property
    def targets(self):
        """Names of the forecast columns."""
        return self.columns[: self.num_targets]

    @property
    def point_index(self):
        """Index of the median among the quantile outputs."""
        return (self.quantiles or [0.5]).index(0.5)

    def build(self, input_shape=None):
        width = len(self.columns)
        for layer in self.encoder:
            layer.build((None, self.lookback, width))
            width = self.units
        if self.decoder == "direct":
            self.head.build((None, self.units))
        else:
            width = self.num_targets
            for layer in self.decoder_layers:
                layer.build((None, 1, width))
                width = self.units
            self.head.build((None, self.units))
        if self.highway:
            self.highway_layer.build((None, self.lookback))
        self.built = True

    def call(self, inputs, training=False):
        return self.forecast_steps(inputs, self.horizon, training=training)

    def forecast_steps(self, inputs, steps, training=False):
        """Forecasts `steps` steps: at most `horizon` for the direct head,
        any number for the autoregressive decoder. Arguments and result
        as `call`, with `steps` in place of `horizon`."""
        if self.decoder == "direct" and steps > self.horizon:
            raise ValueError(
                "A direct head forecasts at most its `horizon` steps. "
                f"Received: steps={steps}, horizon={self.horizon}"
            )
        if not self.built:
            # Called directly rather than through `__call__`, which builds.
            self.build()
        count = self.num_targets
        x = ops.cast(inputs, "float32")
        mean = ops.convert_to_tensor(self.mean, "float32")
        std = ops.convert_to_tensor(self.std, "float32")
        x = (x - mean) / std
        level = x[:, -1:, :count]
        if self.level == "none":
            level = ops.zeros_like(level)
        shift = ops.concatenate(
            [level, ops.zeros_like(x[:, -1:, count:])], axis=-1
        )
        x = ops.cast(x - shift, self.compute_dtype)
        own = ops.transpose(x[:, :, :count], (0, 2, 1))
        states = []
        for index, layer in enumerate(self.encoder):
            if index > 0:
                x = self.dropout_layer(x, training=training)
            x, *layer_states = layer(x, training=training)
            states.append(layer_states)
        last = self.dropout_layer(x[:, -1], training=training)
        outputs = len(self.quantiles or [0.5])
        if self.decoder == "direct":
            y = ops.reshape(self.head(last), (-1, self.horizon, count, outputs))
            if self.highway:
                linear = ops.transpose(self.highway_layer(own), (0, 2, 1))
                y = y + linear[:, :, :, None]
            y = y[:, :steps]
        else:
            y = self._decode(states, steps, training)
        y = ops.cast(y, "float32") + level[:, :, :, None]
        y = y * std[:count, None] + mean[:count, None]
        return y if self.quantiles else y[..., 0]

    def _decode(self, states, steps, training):
        count = self.num_targets
        outputs = len(self.quantiles or [0.5])
        batch = ops.shape(states[0][0])[0]
        # The last observed value, relative to itself.
        feed = ops.zeros((batch, 1, count), self.compute_dtype)
        forecasts = []
        for _ in range(steps):
            x = feed
            for index, layer in enumerate(self.decoder_layers):
                if index > 0:
                    x = self.dropout_layer(x, training=training)
                x, *states[index] = layer(
                    x, initial_state=states[index], training=training
                )
            x = self.dropout_layer(x[:, 0], training=training)
            y = ops.reshape(self.head(x), (-1, 1, count, outputs))
            forecasts.append(y)
            feed = y[:, :, :, self.point_index]
        return ops.concatenate(forecasts, axis=1)

    def get_config(self):
        config = {
            "columns": list(self.columns),
            "targets": self.num_targets,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "mean": list(self.mean),
            "std": list(self.std),
            "season": self.season,
            "freq": self.freq,
            "decoder": self.decoder,
            "quantiles": self.quantiles,
            "level": self.level,
            "highway": self.highway,
            "cell": self.cell,
            "units": self.units,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "cell_options": self.cell_options,
        }
        return {**super().get_config(), **config}
