"""Validation of constructor arguments, with errors in the Keras style."""


def positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Argument `{name}` must be a positive integer. "
            f"Received: {name}={value!r}"
        )
    return value


def rate(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"Argument `{name}` must be a float in [0, 1). "
            f"Received: {name}={value!r}"
        )
    if not 0 <= value < 1:
        raise ValueError(
            f"Argument `{name}` must be in [0, 1). Received: {name}={value}"
        )
    return float(value)


def one_of(name, value, allowed):
    if value not in allowed:
        raise ValueError(
            f"Argument `{name}` must be one of {allowed}. "
            f"Received: {name}={value!r}"
        )
    return value
