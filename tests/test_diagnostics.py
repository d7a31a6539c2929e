"""`gatedkeras.diagnostics`: gradient flow against a linear RNN whose
Jacobians are known in closed form, on every registered cell, and its
errors."""

import keras
import numpy as np
import pytest

from gatedkeras import diagnostics
from gatedkeras import layers

UNITS, FEATURES, STEPS = 3, 2, 6
RNG = np.random.default_rng(0)
# A recurrent matrix with spectral radius near 1, so that powers neither
# vanish nor explode over the few steps tested.
RECURRENT = (0.7 * RNG.standard_normal((UNITS, UNITS)) / np.sqrt(UNITS)).astype(
    "float32"
)
KERNEL = RNG.standard_normal((FEATURES, UNITS)).astype("float32")
INPUTS = RNG.standard_normal((4, STEPS, FEATURES)).astype("float32")


def _linear_rnn(**kwargs):
    """h_t = x_t K + h_{t-1} R: the Jacobian of h_t w.r.t. h_k is R^(t-k)
    (in the row-vector convention Keras uses)."""
    layer = layers.SimpleRNN(
        UNITS, activation="linear", use_bias=False, **kwargs
    )
    layer.build((None, STEPS, FEATURES))
    layer.cell.kernel.assign(KERNEL)
    layer.cell.recurrent_kernel.assign(RECURRENT)
    return layer


def _power(k):
    return np.linalg.matrix_power(RECURRENT.astype("float64"), k)


@pytest.mark.backend_math
@pytest.mark.parametrize("target_step", [-1, 3])
def test_linear_rnn_state_jacobian_norms(target_step):
    t = target_step % STEPS
    flow = diagnostics.gradient_flow(_linear_rnn(), INPUTS, target_step)
    # The output at t reads the state entering step k through t + 1 - k
    # recurrent matmuls.
    expected = np.zeros(STEPS)
    for k in range(t + 1):
        expected[k] = np.linalg.norm(_power(t + 1 - k))
    np.testing.assert_allclose(flow, expected, rtol=1e-4)


@pytest.mark.backend_math
def test_linear_rnn_input_jacobian_norms():
    flow = diagnostics.gradient_flow(_linear_rnn(), INPUTS, wrt="inputs")
    expected = [
        np.linalg.norm(KERNEL @ _power(STEPS - 1 - k)) for k in range(STEPS)
    ]
    np.testing.assert_allclose(flow, expected, rtol=1e-4)


@pytest.mark.backend_math
def test_linear_rnn_loss_and_readout_in_a_sequential_model():
    readout = np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            _linear_rnn(return_sequences=True),
            keras.layers.Dense(1, use_bias=False),
        ]
    )
    model.layers[-1].kernel.assign(readout)
    expected = [
        np.linalg.norm(_power(STEPS - k) @ readout) for k in range(STEPS)
    ]
    flow = diagnostics.gradient_flow(model, INPUTS)
    np.testing.assert_allclose(flow, expected, rtol=1e-4)
    # A loss of the output: d(2 y)/ds_k is twice the readout's gradient.
    doubled = diagnostics.gradient_flow(
        model, INPUTS, loss=lambda y: 2.0 * keras.ops.sum(y, axis=-1)
    )
    np.testing.assert_allclose(doubled, 2 * np.array(expected), rtol=1e-4)


@pytest.fixture
def eager_tensorflow():
    """At a dozen steps, tracing gradient_flow's tf.function costs more
    than running it eagerly (about 1 s against 0.2 s per cell)."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.mark.parametrize("name", layers.names())
def test_every_registered_cell_gives_a_finite_flow(name, eager_tensorflow):
    x = np.random.default_rng(1).standard_normal((2, 12, 8))
    flow = diagnostics.gradient_flow(layers.get(name)(8), x)
    assert flow.shape == (12,)
    assert np.all(np.isfinite(flow)) and np.all(flow >= 0)
    # The last step always reads its own entering state.
    assert flow[-1] > 0


def test_keras_own_layers_and_token_inputs():
    """Any keras.layers.RNN works, behind an embedding of token ids."""
    model = keras.Sequential(
        [keras.layers.Embedding(10, 4), keras.layers.LSTM(5)]
    )
    tokens = np.random.default_rng(0).integers(0, 10, (3, 7))
    flow = diagnostics.gradient_flow(model, tokens)
    assert flow.shape == (7,) and np.all(np.isfinite(flow))


def test_bad_arguments():
    layer = _linear_rnn()
    with pytest.raises(ValueError, match="Received: wrt='hidden'"):
        diagnostics.gradient_flow(layer, INPUTS, wrt="hidden")
    with pytest.raises(ValueError, match="Received: target_step=6"):
        diagnostics.gradient_flow(layer, INPUTS, target_step=STEPS)
    with pytest.raises(ValueError, match="Received: inputs.shape"):
        diagnostics.gradient_flow(layer, INPUTS[0, 0])
    with pytest.raises(ValueError, match="Received: loss='mse'"):
        diagnostics.gradient_flow(layer, INPUTS, loss="mse")
    dense = keras.Sequential([keras.Input((STEPS, FEATURES)),
                              keras.layers.Dense(2)])  # fmt: skip
    with pytest.raises(ValueError, match="0 recurrent layers"):
        diagnostics.gradient_flow(dense, INPUTS)
    backwards = layers.GRU(3, go_backwards=True)
    with pytest.raises(ValueError, match="go_backwards=True"):
        diagnostics.gradient_flow(backwards, INPUTS)
    with pytest.raises(ValueError, match="Received: inputs.dtype"):
        diagnostics.gradient_flow(
            layer, np.zeros((1, 3, 2), "int32"), wrt="inputs"
        )


def test_plot_gradient_flow_draws_one_line_per_cell(monkeypatch):
    pytest.importorskip("matplotlib")
    figure = diagnostics.plot_gradient_flow(
        {"lstm": np.array([1e-3, 1e-1, 1.0, 0.0]), "gru": np.ones(4)},
        title="at initialisation",
    )
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["lstm", "gru"]
    # The zero after the target step is left out of the log plot.
    assert len(ax.get_lines()[0].get_xdata()) == 3
    with pytest.raises(ValueError, match="Received: results"):
        diagnostics.plot_gradient_flow({})


def test_plot_gradient_flow_names_the_install_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        diagnostics.plot_gradient_flow({"a": np.ones(2)})
