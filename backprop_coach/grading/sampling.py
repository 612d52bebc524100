"""Where to sample each name: the domains of `--domain NAME=KIND`.

Real values are drawn from (-3, 3): wide enough to see both sides of relu and step, narrow enough
that sigmoid(z) and 1 - sigmoid(-z) keep their precision and exp does not overflow.
"""

from __future__ import annotations

import numpy as np

from backprop_coach.expr.symbolic import Shape

REAL_RANGE = 3.0


def sample(kind: str, shape: Shape, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` draws of a value of `shape`, as an array (size, rows, cols); scalars (size, 1, 1)."""
    rows, cols = shape or (1, 1)
    if kind == "real":
        return rng.uniform(-REAL_RANGE, REAL_RANGE, (size, rows, cols))
    if kind == "positive":
        return rng.uniform(0.1, REAL_RANGE, (size, rows, cols))
    if kind == "unit":
        return rng.uniform(0.02, 0.98, (size, rows, cols))
    if kind == "onehot":
        # one 1 per column (each column is one example's target); a scalar is 0 or 1
        if rows == 1:
            return rng.integers(0, 2, (size, rows, cols)).astype(float)
        out = np.zeros((size, rows, cols))
        hot = rng.integers(0, rows, (size, cols))
        for c in range(cols):
            out[np.arange(size), hot[:, c], c] = 1.0
        return out
    if kind == "simplex":
        if rows == 1:
            return rng.uniform(0.02, 0.98, (size, rows, cols))
        draws = rng.dirichlet(np.ones(rows), (size, cols))  # (size, cols, rows)
        return np.transpose(draws, (0, 2, 1))
    raise ValueError(f"unknown domain {kind}")
