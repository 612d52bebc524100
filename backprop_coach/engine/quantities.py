"""Name the quantities of a trace as a learner does (z1, a2, delta2, dW1, db2, W2_new, loss),
look them up, and say which formula produces each."""

from __future__ import annotations

import numpy as np

from backprop_coach.engine.backprop import LayerTrace, Trace

Array = np.ndarray

FIELDS = {"z": "z", "a": "a", "delta": "delta", "dW": "dW", "db": "db", "W": "W_new", "b": "b_new"}


class QuantityError(Exception):
    """A name or index that the network does not have."""


def display(trace: Trace, array: Array, vector: bool) -> Array:
    """Vectors of a single example as flat lists; batches keep one column per example."""
    if vector and not trace.network.batched:
        return array[:, 0]
    return array


def value_of(trace: Trace, base: str, layer: int | None) -> Array | float:
    if base == "loss":
        return trace.loss
    layers = len(trace.layers)
    if layer is None or not 1 <= layer <= layers:
        raise QuantityError(f"layer {layer} does not exist: the network has layers 1 to {layers}")
    return layer_value(trace, trace.layers[layer - 1], base)


def layer_value(trace: Trace, lt: LayerTrace, base: str) -> Array:
    """A layer's quantity as a learner writes it: matrices as rows; biases and their gradients
    one number per unit; z, a and δ one number per unit, or one column per example in a batch."""
    array = getattr(lt, FIELDS[base])
    if base in ("W", "dW"):
        return array
    if base in ("b", "db"):
        return array[:, 0]
    return display(trace, array, vector=True)


def formula(trace: Trace, base: str, layer: int | None) -> str:
    """The formula that produces a quantity, in the notation of the derivation."""
    net = trace.network
    L = len(net.layers)
    if base == "loss":
        from backprop_coach.engine.losses import LOSSES

        return LOSSES[net.loss].formula
    l = layer or 1
    prev = "x" if l == 1 else f"a{l - 1}"
    act = net.layers[l - 1].activation
    if base == "z":
        return f"z{l} = W{l}·{prev} + b{l}"
    if base == "a":
        return f"a{l} = {act}(z{l})"
    if base == "delta":
        if l == L:
            if act == "softmax" and net.loss == "cross_entropy":
                return f"δ{l} = (a{l} − y)/m   (softmax with cross-entropy)"
            return f"δ{l} = ∂L/∂a{l} ⊙ {act}'(z{l})"
        return f"δ{l} = (W{l + 1}ᵀ δ{l + 1}) ⊙ {act}'(z{l})"
    if base == "dW":
        return f"∂L/∂W{l} = δ{l} · {prev}ᵀ"
    if base == "db":
        return f"∂L/∂b{l} = δ{l}" + ("  (summed over the batch)" if net.batched else "")
    if base == "W":
        return f"W{l}_new = W{l} − η·∂L/∂W{l}   (η = {net.lr:g})"
    if not net.update_biases:
        return f"b{l}_new = b{l}   (biases frozen)"
    return f"b{l}_new = b{l} − η·∂L/∂b{l}   (η = {net.lr:g})"


def select(value: Array | float, index: tuple[int, ...]) -> Array | float:
    """The entry or slice `index` picks out (numpy's order: row, then column). Raises
    QuantityError when there are more indices than dimensions or one is out of range."""
    if not index:
        return value
    if isinstance(value, float):
        raise QuantityError("a single number takes no index")
    array = np.asarray(value)
    if len(index) > array.ndim:
        raise QuantityError(f"it has {array.ndim} dimension(s) but {len(index)} indices were given")
    for axis, i in enumerate(index):
        if not -array.shape[axis] <= i < array.shape[axis]:
            raise QuantityError(f"index {i} is out of range for size {array.shape[axis]}")
    return array[index]
