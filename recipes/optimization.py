"""The optimizer and learning-rate schedule of a recipe's settings."""

import keras


def optimizer(config, total_steps):
    """The Keras optimizer of `config`, with its clipping and, for the
    `"cosine"` schedule, a `CosineDecay` to zero over `total_steps`."""
    learning_rate = config.learning_rate
    if config.schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=max(total_steps, 1)
        )
    options = {"learning_rate": learning_rate}
    if config.clipnorm:
        options["global_clipnorm"] = config.clipnorm
    try:
        return keras.optimizers.get(
            {"class_name": config.optimizer, "config": options}
        )
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"Unknown optimizer: {error}. Received: "
            f"optimizer={config.optimizer!r}"
        ) from None


def schedule_callbacks(config):
    """The callbacks of the epoch-wise schedules (`"plateau"`, `"step"`)."""
    if config.schedule == "plateau":
        return [
            keras.callbacks.ReduceLROnPlateau(
                factor=config.decay_factor,
                patience=config.decay_after,
                min_lr=config.learning_rate * 1e-3,
            )
        ]
    if config.schedule == "step":
        rate, factor, after = (
            config.learning_rate,
            config.decay_factor,
            config.decay_after,
        )
        return [
            keras.callbacks.LearningRateScheduler(
                lambda epoch: rate * factor ** max(0, epoch - after + 1)
            )
        ]
    return []
