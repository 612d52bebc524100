"""A network's trace (engine.backprop) as a computational graph (grading.graph's Graph), for
`trace --graph`: at layer level, x → z¹ → a¹ → … → L with each quantity's values and gradient
(δ for z, ∂L/∂W and ∂L/∂b for the parameters); and at unit level for a network small enough to
work by hand (the classic 2-2-2 example), every weight an edge with its value and gradient.

The numbers are the engine's: δ^l, ∂L/∂W^l = δ^l (a^(l−1))ᵀ, ∂L/∂b^l = Σ δ^l, and
∂L/∂a^l = (W^(l+1))ᵀ δ^(l+1) (∂L/∂a^L from the loss)."""

from __future__ import annotations

import numpy as np

from backprop_coach.engine.activations import ACTIVATIONS
from backprop_coach.engine.backprop import Trace
from backprop_coach.engine.losses import LOSSES
from backprop_coach.grading.graph import LOSS, Graph, GraphEdge, GraphNode
from backprop_coach.grading.world import scalar

UNIT_LEVEL_UNITS = 4  # at most this many units a layer (and one example) for the unit level


def _shape(a: np.ndarray) -> tuple[int, int] | None:
    return scalar((a.shape[0], a.shape[1]))


def activation_grads(trace: Trace) -> list[np.ndarray]:
    """∂L/∂a^l for every layer (l = 1 … L): the loss's gradient for the output, (W^(l+1))ᵀ
    δ^(l+1) below it."""
    net = trace.network
    out = [LOSSES[net.loss].grad(trace.layers[-1].a, net.y)]
    for l in range(len(trace.layers) - 2, -1, -1):
        out.append(net.layers[l + 1].W.T @ trace.layers[l + 1].delta)
    return out[::-1]


def _df(activation: str, z: np.ndarray) -> np.ndarray | None:
    df = ACTIVATIONS[activation].df
    return None if df is None else df(z)


def layer_graph(trace: Trace) -> Graph:
    """x, W^l, b^l, z^l, a^l and L as nodes; each z^l = W^l a^(l−1) + b^l and a^l = f(z^l)."""
    net = trace.network
    x = net.x
    da = activation_grads(trace)
    first_W = net.layers[0].W
    nodes = [GraphNode("x", "input", "", _shape(x), x, first_W.T @ trace.layers[0].delta)]
    edges: list[GraphEdge] = []
    previous = "x"
    for l, (layer, lt) in enumerate(zip(net.layers, trace.layers, strict=True), start=1):
        z, a, W, b = f"z{l}", f"a{l}", f"W{l}", f"b{l}"
        nodes.append(GraphNode(W, "input", "", _shape(layer.W), layer.W, lt.dW))
        nodes.append(GraphNode(b, "input", "", _shape(layer.b), layer.b, lt.db))
        nodes.append(GraphNode(z, "let", f"{W} {previous} + {b}", _shape(lt.z), lt.z, lt.delta))
        nodes.append(GraphNode(a, "let", f"{layer.activation}({z})", _shape(lt.a), lt.a, da[l - 1]))
        previous_grad = nodes[0].grad if l == 1 else da[l - 2]
        edges += [
            GraphEdge(previous, z, W, None, previous_grad, f"∂L/∂{previous} = {W}ᵀ δ{l}"),
            GraphEdge(W, z, None, None, lt.dW, f"∂L/∂{W} = δ{l} {previous}ᵀ"),
            GraphEdge(b, z, "I", None, lt.db, f"∂L/∂{b} = δ{l} summed over the examples"),
        ]
        df = _df(layer.activation, lt.z)
        local = None if df is None else f"{layer.activation}'({z})"
        edges.append(GraphEdge(z, a, local, df, lt.delta))
        previous = a
    loss = np.full((1, 1), trace.loss)
    definition = f"{net.loss}({previous}, y)"
    nodes.append(GraphNode(LOSS, "loss", definition, None, loss, np.ones((1, 1))))
    edges.append(GraphEdge(previous, LOSS, None, da[-1], da[-1]))
    return Graph(None, tuple(nodes), tuple(edges), "")


def unit_level_fits(trace: Trace) -> bool:
    """One example and at most UNIT_LEVEL_UNITS units a layer: small enough to draw every
    weight."""
    net = trace.network
    return net.x.shape[1] == 1 and max(net.sizes) <= UNIT_LEVEL_UNITS


def unit_graph(trace: Trace) -> Graph:
    """Every unit a node (x_i, z^l_j, a^l_j, L) and every weight an edge a^(l−1)_i → z^l_j,
    labelled with w^l_ji and its gradient δ^l_j a^(l−1)_i. One example only."""
    net = trace.network
    da = activation_grads(trace)
    dx = net.layers[0].W.T @ trace.layers[0].delta
    one = np.ones((1, 1))
    nodes = [
        GraphNode(f"x{i + 1}", "input", "", None, net.x[i : i + 1, :1], dx[i : i + 1, :1])
        for i in range(net.x.shape[0])
    ]
    edges: list[GraphEdge] = []
    previous = [n.name for n in nodes]
    for l, (layer, lt) in enumerate(zip(net.layers, trace.layers, strict=True), start=1):
        units: list[str] = []
        df = _df(layer.activation, lt.z)
        for j in range(layer.W.shape[0]):
            z, a = f"z{l}_{j + 1}", f"a{l}_{j + 1}"
            terms = [f"{float(layer.W[j, i]):g}·{src}" for i, src in enumerate(previous)]
            definition = " + ".join([*terms, f"{float(layer.b[j, 0]):g}"]).replace("+ -", "- ")
            nodes.append(
                GraphNode(z, "let", definition, None, lt.z[j : j + 1, :1], lt.delta[j : j + 1, :1])
            )
            nodes.append(
                GraphNode(
                    a,
                    "let",
                    f"{layer.activation}({z})",
                    None,
                    lt.a[j : j + 1, :1],
                    da[l - 1][j : j + 1, :1],
                )
            )
            for i, source in enumerate(previous):
                w = float(layer.W[j, i])
                grad = float(lt.dW[j, i])
                part = np.full((1, 1), w * float(lt.delta[j, 0]))
                edges.append(
                    GraphEdge(
                        source,
                        z,
                        f"W{l}[{j},{i}]",
                        np.full((1, 1), w),
                        part,
                        f"∂L/∂W{l}[{j},{i}] = {grad:.4g}",
                    )
                )
            local = None if df is None else f"{layer.activation}'({z})"
            value = None if df is None else df[j : j + 1, :1]
            edges.append(GraphEdge(z, a, local, value, lt.delta[j : j + 1, :1]))
            units.append(a)
        previous = units
    loss = np.full((1, 1), trace.loss)
    nodes.append(GraphNode(LOSS, "loss", f"{net.loss}(a, y)", None, loss, one))
    for j, source in enumerate(previous):
        g = da[-1][j : j + 1, :1]
        edges.append(GraphEdge(source, LOSS, None, g, g))
    return Graph(None, tuple(nodes), tuple(edges), "")
