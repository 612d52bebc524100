"""A small dense network and its training example, validated from plain data (a net file).

W^l has shape (n_out, n_in); b^l is one bias per unit, kept as a column (n_out, 1). Inputs and
targets are columns, one per example: a single example `[0.05, 0.1]` is a 2x1 column, a batch
`[[...], [...]]` gives one row per example in the file and one column per example inside.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backprop_coach.engine.activations import ACTIVATIONS
from backprop_coach.engine.losses import LOSSES
from backprop_coach.engine.names import MAX_EXAMPLES, MAX_LAYERS, MAX_UNITS, size_problem
from backprop_coach.untrusted import excerpt

Array = np.ndarray


class NetSpecError(Exception):
    """A malformed net file, or a network beyond the limits of engine.names; the message names
    the field at fault."""


@dataclass
class Layer:
    W: Array  # (n_out, n_in)
    b: Array  # (n_out, 1)
    activation: str


@dataclass
class Network:
    layers: list[Layer]
    loss: str
    x: Array  # (n_in, m)
    y: Array  # (n_out, m)
    lr: float = 0.5
    update_biases: bool = True
    batched: bool = False  # x was given as a list of rows
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].W.shape[1]] + [layer.W.shape[0] for layer in self.layers]

    def to_json(self) -> dict[str, Any]:
        def column(v: Array) -> Any:
            return v.T.tolist() if self.batched else v[:, 0].tolist()

        return {
            "layers": [
                {"W": layer.W.tolist(), "b": layer.b[:, 0].tolist(), "activation": layer.activation}
                for layer in self.layers
            ],
            "loss": self.loss,
            "x": column(self.x),
            "y": column(self.y),
            "lr": self.lr,
            "update_biases": self.update_biases,
        }


def _dimensions(value: Any, where: str, rows: int, columns: int | None = None) -> None:
    """Refuse a list too large for its field before numpy allocates anything: at most `rows`
    items, each at most `columns` long when given."""
    if not isinstance(value, list):
        return  # _matrix says what it expected
    if len(value) > rows or (
        columns is not None and any(isinstance(r, list) and len(r) > columns for r in value)
    ):
        size = f"{rows}" if columns is None else f"{rows}x{columns}"
        raise NetSpecError(
            f"{where}: too large; at most {size} (units per layer up to {MAX_UNITS})"
        )


def _matrix(value: Any, where: str) -> Array:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise NetSpecError(f"{where}: expected numbers, got {_shown(value)}") from None
    if arr.dtype == object or arr.size == 0:
        raise NetSpecError(f"{where}: expected a non-empty list of numbers")
    if not np.all(np.isfinite(arr)):
        raise NetSpecError(f"{where}: contains NaN or infinity")
    return arr


def _examples(value: Any, where: str) -> tuple[Array, bool]:
    """A single example (list) as a column, or a batch (list of rows) as columns."""
    if not isinstance(value, list) or not value:
        raise NetSpecError(
            f"{where}: expected a list of numbers (one example) or a list of rows (a batch)"
        )
    batched = isinstance(value[0], list)
    if batched:
        _dimensions(value, where, MAX_EXAMPLES, MAX_UNITS)
    else:
        _dimensions(value, where, MAX_UNITS)
    if batched and len({len(row) if isinstance(row, list) else -1 for row in value}) != 1:
        raise NetSpecError(f"{where}: every row of a batch must have the same length")
    arr = _matrix(value, where)
    if batched:
        if arr.ndim != 2:
            raise NetSpecError(f"{where}: a batch is a list of rows of numbers")
        return arr.T.copy(), True
    if arr.ndim != 1:
        raise NetSpecError(f"{where}: expected a list of numbers")
    return arr.reshape(-1, 1), False


def network_from_dict(data: Any) -> Network:
    """Validate a net file's contents. Raises NetSpecError naming the field."""
    if not isinstance(data, dict):
        raise NetSpecError("the net file must hold a JSON object with layers, loss, x and y")
    unknown = set(data) - {"layers", "loss", "x", "y", "lr", "update_biases", "comment"}
    if unknown:
        raise NetSpecError(f"unknown field(s): {', '.join(sorted(unknown))}")
    for key in ("layers", "loss", "x", "y"):
        if key not in data:
            raise NetSpecError(f"{key}: missing")
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise NetSpecError("layers: expected a non-empty list of {W, b, activation}")
    if len(raw_layers) > MAX_LAYERS:
        raise NetSpecError(f"layers: at most {MAX_LAYERS} layers")
    x, batched = _examples(data["x"], "x")
    y, y_batched = _examples(data["y"], "y")
    if batched != y_batched or x.shape[1] != y.shape[1]:
        raise NetSpecError(f"y: has {y.shape[1]} example(s) but x has {x.shape[1]}")

    layers: list[Layer] = []
    n_in = x.shape[0]
    for i, raw in enumerate(raw_layers):
        where = f"layers[{i}]"
        if not isinstance(raw, dict):
            raise NetSpecError(f"{where}: expected an object with W, b and activation")
        if "W" not in raw:
            raise NetSpecError(f"{where}.W: missing")
        _dimensions(raw["W"], f"{where}.W", MAX_UNITS, MAX_UNITS)
        W = _matrix(raw["W"], f"{where}.W")
        if W.ndim != 2:
            raise NetSpecError(f"{where}.W: expected a list of rows (one row per unit)")
        if W.shape[1] != n_in:
            source = "x has" if i == 0 else f"layers[{i - 1}] has"
            raise NetSpecError(
                f"{where}.W: has {W.shape[1]} columns but {source} {n_in} values; W is (units, inputs)"
            )
        _dimensions(raw.get("b"), f"{where}.b", MAX_UNITS)
        b = _matrix(raw.get("b", [0.0] * W.shape[0]), f"{where}.b")
        if b.ndim != 1 or b.shape[0] != W.shape[0]:
            count = "1 bias" if W.shape[0] == 1 else f"{W.shape[0]} biases"
            raise NetSpecError(f"{where}.b: expected {count}, one per unit (a row of W)")
        act = raw.get("activation", "sigmoid")
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise NetSpecError(
                f"{where}.activation: unknown {_shown(act)}; known: {', '.join(ACTIVATIONS)}"
            )
        if act == "softmax" and i != len(raw_layers) - 1:
            raise NetSpecError(f"{where}.activation: softmax is allowed on the last layer only")
        layers.append(Layer(W, b.reshape(-1, 1), act))
        n_in = W.shape[0]

    loss = data["loss"]
    if not isinstance(loss, str) or loss not in LOSSES:
        raise NetSpecError(f"loss: unknown {_shown(loss)}; known: {', '.join(LOSSES)}")
    last = layers[-1].activation
    if loss == "cross_entropy" and last != "softmax":
        raise NetSpecError("loss: cross_entropy needs a softmax output layer (the last activation)")
    if loss == "bce" and last != "sigmoid":
        raise NetSpecError("loss: bce needs sigmoid outputs (the last activation)")
    if y.shape[0] != n_in:
        raise NetSpecError(
            f"y: has {y.shape[0]} values per example but the output layer has {n_in} units"
        )
    if loss in ("bce", "cross_entropy") and not ((y >= 0) & (y <= 1)).all():
        what = "probabilities (0 to 1)" if loss == "bce" else "a one-hot or probability vector"
        raise NetSpecError(f"y: {loss} takes targets that are {what}; got {y.ravel().tolist()}")
    if loss == "cross_entropy" and not np.allclose(y.sum(axis=0), 1.0):
        raise NetSpecError("y: cross_entropy takes targets that sum to 1 in every example")
    lr = data.get("lr", 0.5)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
        raise NetSpecError("lr: expected a non-negative number")
    update_biases = data.get("update_biases", True)
    if not isinstance(update_biases, bool):
        raise NetSpecError("update_biases: expected true or false")
    return Network(layers, loss, x, y, float(lr), update_biases, batched)


def _shown(value: Any) -> str:
    """A value from a net file quoted in a message: a string as Python quotes it, anything
    else as JSON, at most about 60 characters."""
    if isinstance(value, str):
        return repr(excerpt(value))
    try:
        return excerpt(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return "that value"


def random_network(
    sizes: Sequence[int],
    activation: str | Sequence[str],
    loss: str,
    seed: int,
    decimals: int = 2,
    lr: float = 0.5,
    update_biases: bool = True,
    examples: int | None = None,
) -> Network:
    """A reproducible small network with weights and inputs rounded for hand computation.
    `activation` names every layer's activation, or gives one per layer. With `examples`, x
    and y are a batch of that many rows (one example a row, as in a net file)."""
    problem = size_problem(list(sizes))
    if problem is not None:  # before anything is allocated
        raise NetSpecError(f"layers: {problem}")
    rng = np.random.default_rng(seed)
    if isinstance(activation, str):
        acts = [activation] * (len(sizes) - 1)
    elif len(activation) == len(sizes) - 1:
        acts = list(activation)
    else:
        raise NetSpecError(f"activation: give one per layer ({len(sizes) - 1})")
    if loss == "cross_entropy":
        acts[-1] = "softmax"
    elif loss == "bce":
        acts[-1] = "sigmoid"
    if "softmax" in acts[:-1]:
        raise NetSpecError("activation: softmax is allowed on the last layer only")
    layers = [
        {
            "W": np.round(rng.uniform(-1, 1, (n_out, n_in)), decimals).tolist(),
            "b": np.round(rng.uniform(-0.5, 0.5, n_out), decimals).tolist(),
            "activation": act,
        }
        for n_in, n_out, act in zip(sizes[:-1], sizes[1:], acts, strict=True)
    ]
    def target() -> list[float]:
        if loss == "cross_entropy":
            one_hot = [0.0] * sizes[-1]
            one_hot[int(rng.integers(sizes[-1]))] = 1.0
            return one_hot
        if acts[-1] in ("sigmoid", "softmax"):
            return np.round(rng.uniform(0.05, 0.95, sizes[-1]), decimals).tolist()
        return np.round(rng.uniform(-1, 1, sizes[-1]), decimals).tolist()

    x: Any
    y: Any
    if examples is None:
        x = np.round(rng.uniform(-1, 1, sizes[0]), decimals).tolist()
        y = target()
    else:
        x = np.round(rng.uniform(-1, 1, (examples, sizes[0])), decimals).tolist()
        y = [target() for _ in range(examples)]
    spec = {
        "layers": layers,
        "loss": loss,
        "x": x,
        "y": y,
        "lr": lr,
        "update_biases": update_biases,
    }
    return network_from_dict(spec)
