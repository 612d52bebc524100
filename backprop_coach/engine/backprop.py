"""Forward, backward and update, one function per step of the textbook derivation:

    z^l = W^l a^(l-1) + b^l                 a^l = f(z^l)                 (a^0 = x)
    δ^L = ∂L/∂a^L ⊙ f'(z^L)                 δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ f'(z^l)
    ∂L/∂W^l = δ^l (a^(l-1))^T               ∂L/∂b^l = δ^l  (summed over the batch's columns)
    W^l ← W^l − η ∂L/∂W^l                   b^l ← b^l − η ∂L/∂b^l

Every quantity is kept in a `Trace`, layer 1 first, so a worked answer can show each number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_coach.engine.activations import ACTIVATIONS, softmax_vjp
from backprop_coach.engine.losses import LOSSES
from backprop_coach.engine.names import GRADCHECK_BUDGET
from backprop_coach.engine.network import Network

Array = np.ndarray


@dataclass
class LayerTrace:
    z: Array
    a: Array
    delta: Array
    dW: Array
    db: Array
    W_new: Array
    b_new: Array


@dataclass
class Trace:
    network: Network
    loss: float
    layers: list[LayerTrace]
    max_rel_error: float | None = None
    checked: int = 0  # parameters the gradient check compared (all, or a random sample)
    parameters: int = 0  # weights and biases in the network


def forward(net: Network, x: Array) -> tuple[list[Array], list[Array]]:
    """z^l and a^l for every layer; a[0] is the input x, so a has one more entry than z."""
    zs: list[Array] = []
    activations = [x]
    for layer in net.layers:
        z = layer.W @ activations[-1] + layer.b
        zs.append(z)
        activations.append(ACTIVATIONS[layer.activation].f(z))
    return zs, activations


def output_delta(net: Network, z: Array, a: Array, y: Array) -> Array:
    """δ^L = ∂L/∂a^L ⊙ f'(z^L); softmax with cross-entropy gives (a·Σy − y)/m = (a − y)/m."""
    act = net.layers[-1].activation
    if act == "softmax" and net.loss == "cross_entropy":
        return (a * y.sum(axis=0, keepdims=True) - y) / a.shape[1]
    dL_da = LOSSES[net.loss].grad(a, y)
    if act == "softmax":
        return softmax_vjp(a, dL_da)
    df = ACTIVATIONS[act].df
    assert df is not None
    return dL_da * df(z)


def hidden_delta(W_next: Array, delta_next: Array, z: Array, activation: str) -> Array:
    """δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ f'(z^l)."""
    df = ACTIVATIONS[activation].df
    assert df is not None  # softmax is last-layer only
    return (W_next.T @ delta_next) * df(z)


def backward(net: Network, zs: list[Array], activations: list[Array], y: Array) -> list[Array]:
    """δ^l for every layer, layer 1 first."""
    deltas = [output_delta(net, zs[-1], activations[-1], y)]
    for l in range(len(net.layers) - 2, -1, -1):
        deltas.append(
            hidden_delta(net.layers[l + 1].W, deltas[-1], zs[l], net.layers[l].activation)
        )
    return deltas[::-1]


def weight_gradient(delta: Array, a_prev: Array) -> Array:
    """∂L/∂W^l = δ^l (a^(l-1))^T; the product sums over the examples (columns)."""
    return delta @ a_prev.T


def bias_gradient(delta: Array) -> Array:
    """∂L/∂b^l = δ^l, summed over the examples."""
    return delta.sum(axis=1, keepdims=True)


def loss_value(net: Network, a: Array, y: Array) -> float:
    return LOSSES[net.loss].value(a, y)


def trace(net: Network, check_gradients: bool = True) -> Trace:
    """Everything: forward, loss, backward, gradients, one update step, gradient check."""
    zs, activations = forward(net, net.x)
    deltas = backward(net, zs, activations, net.y)
    layers = []
    for l, layer in enumerate(net.layers):
        dW = weight_gradient(deltas[l], activations[l])
        db = bias_gradient(deltas[l])
        W_new = layer.W - net.lr * dW
        b_new = layer.b - net.lr * db if net.update_biases else layer.b.copy()
        layers.append(LayerTrace(zs[l], activations[l + 1], deltas[l], dW, db, W_new, b_new))
    result = Trace(net, loss_value(net, activations[-1], net.y), layers)
    if check_gradients:
        result.max_rel_error, result.checked = gradient_check(net, layers)
    result.parameters = sum(layer.W.size + layer.b.size for layer in net.layers)
    return result


def gradient_check(
    net: Network, layers: list[LayerTrace], h: float = 1e-3, budget: int = GRADCHECK_BUDGET
) -> tuple[float, int]:
    """Central finite differences over the weights and biases: every one of them, or, when
    there are more than `budget`, a random sample of `budget` (the same sample each run, so a
    trace is reproducible). Returns the maximum relative error
    |analytic − numeric| / max(|analytic|, |numeric|) (CS231n's measure), skipping entries
    where both are below 1e-9, and how many parameters were compared. The five-point stencil
    (−L(θ+2h) + 8L(θ+h) − 8L(θ−h) + L(θ−2h)) / 12h has error O(h⁴), so even small gradients
    are checked to about 1e-10 in float64. The cost is four forward passes per parameter
    compared, hence the budget."""

    def loss_now() -> float:
        _, acts = forward(net, net.x)
        return loss_value(net, acts[-1], net.y)

    params = [
        (param, grad)
        for layer, lt in zip(net.layers, layers, strict=True)
        for param, grad in ((layer.W, lt.dW), (layer.b, lt.db))
    ]
    sizes = [param.size for param, _ in params]
    total = sum(sizes)
    if total > budget:
        chosen = np.sort(np.random.default_rng(0).choice(total, size=budget, replace=False))
    else:
        chosen = np.arange(total)
    starts = np.cumsum([0, *sizes])
    worst = 0.0
    for flat in chosen:
        which = int(np.searchsorted(starts, flat, side="right")) - 1
        param, grad = params[which]
        idx = np.unravel_index(int(flat - starts[which]), param.shape)
        saved = param[idx]
        values = []
        for step in (2, 1, -1, -2):
            param[idx] = saved + step * h
            values.append(loss_now())
        param[idx] = saved
        numeric = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
        analytic = float(grad[idx])
        scale = max(abs(numeric), abs(analytic))
        if scale > 1e-9:
            worst = max(worst, abs(numeric - analytic) / scale)
    return worst, len(chosen)
