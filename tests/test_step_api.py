"""The public single-step API: `cell.project` + `cell.step`, with explicit
state, in a user's own loop, under jit, and with an extra per-step input."""

import keras
import numpy as np
import pytest
from keras import ops

from gatedkeras import layers
from tests.harness import assert_close
from tests.harness import to_numpy

pytestmark = pytest.mark.backend_math

CONFIGS = [
    (layers.SimpleRNN, {}),
    (layers.LSTM, {}),
    (layers.LSTM, {"peephole": True, "layer_norm": True, "proj_units": 3}),
    (layers.GRU, {}),
    (layers.GRU, {"reset_after": False, "zoneout": 0.2}),
]
IDS = ["simple_rnn", "lstm", "lstm_options", "gru", "gru_v3"]


def _x(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 6, 5)).astype("float32")


@pytest.mark.parametrize("cls,options", CONFIGS, ids=IDS)
def test_user_loop_matches_layer(cls, options):
    x = _x()
    layer = cls(4, return_sequences=True, return_state=True, **options)
    expected = layer(x)
    cell = layer.cell
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(x.shape[1]):
        output, states = cell.step(cell.project(x[:, t]), states)
        outputs.append(output)
    assert_close(ops.stack(outputs, 1), expected[0])
    assert_close(states, expected[1:])
    # The Keras cell contract gives the same step.
    output, _ = cell(x[:, 0], cell.get_initial_state(batch_size=2))
    assert_close(output, to_numpy(expected[0])[:, 0])


@pytest.mark.parametrize("cls,options", CONFIGS, ids=IDS)
def test_project_whole_sequence_then_step(cls, options):
    x = _x()
    layer = cls(4, return_sequences=True, **options)
    expected = layer(x)
    cell = layer.cell
    projected = cell.project(x)  # (batch, timesteps, projection_size)
    assert tuple(projected.shape) == (2, 6, cell.projection_size)
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(x.shape[1]):
        output, states = cell.step(projected[:, t], states)
        outputs.append(output)
    assert_close(ops.stack(outputs, 1), expected)


def test_continuing_from_carried_state_equals_whole_sequence():
    """Generation carries the state: a prompt then its continuation, step
    by step, equals one pass over the concatenation."""
    x = _x()
    layer = layers.LSTM(4, return_sequences=True, return_state=True)
    whole = layer(x)
    _, h, c = layer(x[:, :4])
    cell = layer.cell
    states = [h, c]
    for t in range(4, 6):
        output, states = cell.step(cell.project(x[:, t]), states)
    assert_close(output, to_numpy(whole[0])[:, -1])


def test_extra_per_step_input_keeps_hoisted_projection():
    """Input feeding: a decoder adds its own projection of the attention
    context to the hoisted projection of its token inputs. With the
    context's kernel rows taken from a cell built on [token, context], the
    step equals that cell on the concatenated input."""
    rng = np.random.default_rng(2)
    tokens = rng.standard_normal((2, 6, 5)).astype("float32")
    context = rng.standard_normal((2, 6, 3)).astype("float32")
    joint = layers.GRU(4, return_sequences=True)
    expected = joint(np.concatenate([tokens, context], -1))
    cell = joint.cell
    kernel = cell.kernel
    token_cell = layers.GRU(4).cell
    token_cell.build((None, 5))
    token_cell.set_weights(
        [to_numpy(kernel)[:5]] + [to_numpy(w) for w in cell.weights[1:]]
    )
    context_kernel = to_numpy(kernel)[5:]
    projected = token_cell.project(tokens)  # hoisted over all steps
    states = token_cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(6):
        fed = projected[:, t] + ops.matmul(context[:, t], context_kernel)
        output, states = token_cell.step(fed, states)
        outputs.append(output)
    assert_close(ops.stack(outputs, 1), expected)


def test_step_under_jit():
    x = _x()
    layer = layers.LSTM(4, return_state=True)
    _, h, c = layer(x)
    cell = layer.cell
    backend = keras.backend.backend()

    def step(x_t, h, c):
        output, (h, c) = cell.step(cell.project(x_t), [h, c])
        return output, h, c

    if backend == "jax":
        import jax

        # Weights as explicit inputs, as a generation loop under jit has.
        def pure(values, x_t, h, c):
            with keras.StatelessScope(
                state_mapping=list(zip(cell.weights, values))
            ):
                return step(x_t, h, c)

        compiled = jax.jit(pure)
        run = lambda *a: compiled([w.value for w in cell.weights], *a)  # noqa
    elif backend == "tensorflow":
        import tensorflow as tf

        run = tf.function(step, jit_compile=True)
    else:
        run = step
    state = cell.get_initial_state(batch_size=2)
    h_t, c_t = state
    for t in range(x.shape[1]):
        _, h_t, c_t = run(x[:, t], h_t, c_t)
    assert_close(h_t, h)
    assert_close(c_t, c)


def test_step_recurrent_dropout_mask_is_kept_until_reset():
    cell = layers.LSTM(4, recurrent_dropout=0.5, seed=1).cell
    x = _x()
    cell.build((None, 5))
    states = cell.get_initial_state(batch_size=2)
    states = [ops.ones_like(s) for s in states]
    projected = cell.project(x[:, 0])
    first, _ = cell.step(projected, states, training=True)
    again, _ = cell.step(projected, states, training=True)
    assert_close(first, again)
    cell.reset_recurrent_dropout_mask()
    # Inference ignores the mask.
    plain, _ = cell.step(projected, states, training=False)
    assert not np.allclose(to_numpy(first), to_numpy(plain))
