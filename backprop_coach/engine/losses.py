"""Losses with PyTorch's default reductions, each beside its gradient ∂L/∂a.

A and Y are (outputs, examples). n is the number of elements, m the number of examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
EPS = 1e-12  # keeps log finite at a saturated output


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[Array, Array], float]
    grad: Callable[[Array, Array], Array]  # ∂L/∂A
    formula: str


def _mse(a: Array, y: Array) -> float:
    return float(np.mean((a - y) ** 2))


def _bce(a: Array, y: Array) -> float:
    a = np.clip(a, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def _bce_grad(a: Array, y: Array) -> Array:
    a = np.clip(a, EPS, 1 - EPS)
    return (a - y) / (a * (1 - a)) / a.size


def _cross_entropy(a: Array, y: Array) -> float:
    return float(-np.sum(y * np.log(np.clip(a, EPS, None))) / a.shape[1])


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", _mse, lambda a, y: 2.0 * (a - y) / a.size, "L = mean((a − y)²)"),
        Loss("bce", _bce, _bce_grad, "L = −mean(y log a + (1 − y) log(1 − a))"),
        Loss(
            "cross_entropy",
            _cross_entropy,
            lambda a, y: -y / np.clip(a, EPS, None) / a.shape[1],
            "L = −(1/m) Σ y log a   (a = softmax(z))",
        ),
        Loss(
            "half_sse",
            lambda a, y: float(0.5 * np.sum((a - y) ** 2)),
            lambda a, y: a - y,
            "L = ½ Σ (a − y)²",
        ),
    )
}
