"""Activations as data: each forward rule sits beside its local derivative f'(z).

Softmax is not elementwise: its derivative is a Jacobian, so it provides a vector-Jacobian
product instead (δ = a ⊙ (g − Σ a⊙g) for an upstream gradient g = ∂L/∂a), and it may only be the
last layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[Array], Array]  # a = f(z)
    df: Callable[[Array], Array] | None  # f'(z), elementwise; None for softmax
    formula: str  # how the worked answer writes f
    derivative: str  # and f'


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^-z), without overflow


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=0, keepdims=True))  # columns are examples
    return e / e.sum(axis=0, keepdims=True)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("identity", lambda z: z, np.ones_like, "z", "1"),
        Activation(
            "sigmoid",
            _sigmoid,
            lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)),
            "σ(z) = 1/(1+e^-z)",
            "σ(z)(1-σ(z)) = a(1-a)",
        ),
        Activation(
            "tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, "tanh(z)", "1 - tanh²(z) = 1 - a²"
        ),
        Activation(
            "relu",
            lambda z: np.maximum(z, 0.0),
            lambda z: (z > 0).astype(float),
            "max(0, z)",
            "1 if z>0 else 0",
        ),
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
            "z if z>0 else 0.01z",
            "1 if z>0 else 0.01",
        ),
        Activation("softplus", lambda z: np.logaddexp(0.0, z), _sigmoid, "log(1+e^z)", "σ(z)"),
        Activation("softmax", _softmax, None, "e^z / Σ e^z", "Jacobian diag(a) - a aᵀ"),
    )
}


def softmax_vjp(a: Array, g: Array) -> Array:
    """∂L/∂z for a = softmax(z), given g = ∂L/∂a: (diag(a) − a aᵀ) g, per column."""
    return a * (g - np.sum(a * g, axis=0, keepdims=True))
