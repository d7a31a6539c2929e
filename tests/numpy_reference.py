"""NumPy implementations of the cell equations in CELLS.md.

Written from the papers' equations, independently of gatedkeras: they take
the weights as plain arrays and loop over time in the most literal way. The
tests compare every layer and option against them.
"""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def layer_norm(x, gamma, beta=0.0, epsilon=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def run(step, x, states, mask=None, go_backwards=False):
    """Literal time loop with Keras's masking: a masked step keeps the states
    and repeats the previous output (zeros before the first)."""
    batch, timesteps, _ = x.shape
    if mask is None:
        mask = np.ones((batch, timesteps), bool)
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    outputs, previous = [], None
    for t in order:
        output, new_states = step(x[:, t], states)
        keep = mask[:, t][:, None]
        if previous is None:
            previous = np.zeros_like(output)
        states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
        output = np.where(keep, output, previous)
        previous = output
        outputs.append(output)
    return np.stack(outputs, 1), states


def lstm_step(
    weights,
    units,
    peephole=False,
    coupled=False,
    layer_norm_=False,
    proj=False,
    zoneout=0.0,
):
    """One LSTM step (Gers et al. 2000), gates i, f, c, o (i, c, o with
    CIFG, Greff et al. 2015), optional peepholes (Gers et al. 2002), layer
    norm as Ba et al. 2016 / Haste, projection (Sak et al. 2014) and zoneout
    at inference (the expectation, Krueger et al. 2016)."""
    w = dict(weights)

    def step(x, states):
        h, c = states
        wx = x @ w["kernel"]
        uh = h @ w["recurrent_kernel"]
        if layer_norm_:
            wx = layer_norm(wx, w["input_gamma"])
            uh = layer_norm(uh, w["recurrent_gamma"])
        z = wx + uh + w.get("bias", 0.0)
        if coupled:
            z_i, z_g, z_o = np.split(z, 3, -1)
        else:
            z_i, z_f, z_g, z_o = np.split(z, 4, -1)
        if peephole:
            p = np.split(w["peephole_kernel"], 2 if coupled else 3)
            z_i = z_i + p[0] * c
            if not coupled:
                z_f = z_f + p[1] * c
        i = sigmoid(z_i)
        f = 1 - i if coupled else sigmoid(z_f)
        c_new = f * c + i * np.tanh(z_g)
        if peephole:
            z_o = z_o + p[-1] * c_new
        o = sigmoid(z_o)
        cell_out = c_new
        if layer_norm_:
            cell_out = layer_norm(c_new, w["cell_gamma"], w["cell_beta"])
        h_new = o * np.tanh(cell_out)
        if proj:
            h_new = h_new @ w["projection_kernel"]
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
            c_new = zoneout * c + (1 - zoneout) * c_new
        return h_new, [h_new, c_new]

    return step


def gru_step(weights, units, reset_after=True, layer_norm_=False, zoneout=0.0):
    """One GRU step (Cho et al. 2014), gates z, r, h; reset after (v1,
    cuDNN) or before (v3) the recurrent product."""
    w = dict(weights)
    kernel, recurrent = w["kernel"], w["recurrent_kernel"]
    bias = w.get("bias")
    if bias is None:
        b_in = b_rec = np.zeros(3 * units)
    elif reset_after:
        b_in, b_rec = bias[0], bias[1]
    else:
        b_in, b_rec = bias, np.zeros(3 * units)

    def step(x, states):
        (h,) = states
        wx = x @ kernel
        if layer_norm_:
            wx = layer_norm(wx, w["input_gamma"])
        x_z, x_r, x_h = np.split(wx + b_in, 3, -1)
        if reset_after:
            uh = h @ recurrent
            if layer_norm_:
                uh = layer_norm(uh, w["recurrent_gamma"])
            u_z, u_r, u_h = np.split(uh + b_rec, 3, -1)
            z = sigmoid(x_z + u_z)
            r = sigmoid(x_r + u_r)
            candidate = np.tanh(x_h + r * u_h)
        else:
            z = sigmoid(x_z + h @ recurrent[:, :units])
            r = sigmoid(x_r + h @ recurrent[:, units : 2 * units])
            candidate = np.tanh(x_h + (r * h) @ recurrent[:, 2 * units :])
        h_new = z * h + (1 - z) * candidate
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step


def simple_rnn_step(weights, units, layer_norm_=False, zoneout=0.0):
    """One Elman step (Elman 1990): h' = tanh(W x + U h + b)."""
    w = dict(weights)

    def step(x, states):
        (h,) = states
        wx = x @ w["kernel"]
        uh = h @ w["recurrent_kernel"]
        if layer_norm_:
            wx = layer_norm(wx, w["input_gamma"])
            uh = layer_norm(uh, w["recurrent_gamma"])
        h_new = np.tanh(wx + uh + w.get("bias", 0.0))
        if zoneout:
            h_new = zoneout * h + (1 - zoneout) * h_new
        return h_new, [h_new]

    return step
