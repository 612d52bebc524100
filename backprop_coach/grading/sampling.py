"""Where to sample each name: the domains of `--domain NAME=KIND`.

Real values are drawn from (-3, 3), wide enough to see both sides of relu and step, narrow enough
that sigmoid(z) and 1 - sigmoid(-z) keep their precision; a quarter of each name's draws come
from (-8, 8), so that a threshold beyond 3 (Huber's δ = 4, clipping at 5) is crossed too. `positive` and `unit` likewise reach closer to their edges. `onehot` and
`simplex` make every column a one-hot or probability vector (a 1xC row: the row itself);
`onehot_rows` and `simplex_rows` make every row one, for a batch of targets in the row
(batch-first, PyTorch) layout; `binary` makes every entry 0 or 1 on its own (a dropout mask).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from backprop_coach.expr.algebra import Shape

REAL_RANGE = 3.0
WIDE_RANGE = 8.0  # one draw in four: thresholds beyond ±3 (Huber's δ, clipping) are seen too
MAX_WIDE = 100.0  # the widest range a literal in the problem or the claim can ask for
LITERAL_MARGIN = 1.5  # beyond the largest literal: relu(w − 20) is sampled on both sides of 20


def wide_range(literals: Iterable[float]) -> float:
    """The range of the wide draws: WIDE_RANGE, or LITERAL_MARGIN beyond the largest literal
    (a threshold: Huber's δ = 10, clipping at ±10, relu(w − 20)), at most MAX_WIDE."""
    largest = max((abs(v) for v in literals), default=0.0)
    return min(MAX_WIDE, max(WIDE_RANGE, LITERAL_MARGIN * largest))
WIDE_SHARE = 0.25


def _wide(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    low: float,
    high: float,
    wide_low: float,
    wide_high: float,
) -> np.ndarray:
    """Uniform in (low, high), with WIDE_SHARE of the points from (wide_low, wide_high)."""
    draws = rng.uniform(low, high, shape)
    wide = rng.uniform(wide_low, wide_high, shape)
    return np.where(rng.uniform(0, 1, (shape[0], 1, 1)) < WIDE_SHARE, wide, draws)


def sample(
    kind: str, shape: Shape, size: int, rng: np.random.Generator, wide: float = WIDE_RANGE
) -> np.ndarray:
    """`size` draws of a value of `shape`, as an array (size, rows, cols); scalars (size, 1, 1).
    `wide`: the range of the wide quarter of real and positive draws (wide_range)."""
    rows, cols = shape or (1, 1)
    if kind == "real":
        return _wide(rng, (size, rows, cols), -REAL_RANGE, REAL_RANGE, -wide, wide)
    if kind == "positive":  # the wide quarter log-uniform: small values as often as large ones
        narrow = rng.uniform(0.1, REAL_RANGE, (size, rows, cols))
        far = np.exp(rng.uniform(np.log(0.001), np.log(wide), (size, rows, cols)))
        return np.where(rng.uniform(0, 1, (size, 1, 1)) < WIDE_SHARE, far, narrow)
    if kind == "unit":
        return _wide(rng, (size, rows, cols), 0.02, 0.98, 0.001, 0.999)
    if kind == "binary":  # a mask: every entry 0 or 1 on its own (dropout keeps several units)
        return rng.integers(0, 2, (size, rows, cols)).astype(float)
    if kind in DISTRIBUTIONS:
        if _along_rows(kind, rows, cols):
            return np.swapaxes(
                _distributions(kind.removesuffix("_rows"), cols, rows, size, rng), 1, 2
            )
        return _distributions(kind, rows, cols, size, rng)
    raise ValueError(f"unknown domain {kind}")


DISTRIBUTIONS = ("onehot", "simplex", "onehot_rows", "simplex_rows")


def _along_rows(kind: str, rows: int, cols: int) -> bool:
    """A distribution runs down each column (the column layout: one example a column), or along
    each row for a 1xC row and for the _rows kinds (the batch-first layout)."""
    return kind.endswith("_rows") or (rows == 1 and cols > 1)


def groups(kind: str, shape: Shape) -> list[list[tuple[int, int]]]:
    """The entries (row, col) that each sum to one under a distribution domain, as `sample`
    draws them; [] for any other domain. A group of one entry is a free 0/1 label or
    probability (a scalar, each row of an Rx1 onehot_rows)."""
    if kind not in DISTRIBUTIONS:
        return []
    rows, cols = shape or (1, 1)
    if _along_rows(kind, rows, cols):
        return [[(i, j) for j in range(cols)] for i in range(rows)]
    return [[(i, j) for i in range(rows)] for j in range(cols)]


def _distributions(
    kind: str, n: int, count: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """`count` one-hot or probability vectors of length n, as columns: (size, n, count). A
    length-1 "distribution" is a 0/1 label (onehot) or a probability (simplex)."""
    if n == 1:
        if kind == "onehot":
            return rng.integers(0, 2, (size, 1, count)).astype(float)
        return rng.uniform(0.02, 0.98, (size, 1, count))
    if kind == "onehot":
        out = np.zeros((size, n, count))
        hot = rng.integers(0, n, (size, count))
        for c in range(count):
            out[np.arange(size), hot[:, c], c] = 1.0
        return out
    draws = rng.dirichlet(np.ones(n), (size, count))  # (size, count, n)
    return np.transpose(draws, (0, 2, 1))
