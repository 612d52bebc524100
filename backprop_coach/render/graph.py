"""The computational graph in the terminal: a tree from L down to the inputs, each node with its
value and its gradient ∂L/∂node, each edge with its local derivative; a name used twice shows
its gradient as the sum over its paths. Readable without colour (marks are characters, not
only styles); fits 80 columns. Renderers return objects; the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from backprop_coach.grading.graph import LOSS, Graph, GraphEdge, GraphNode
from backprop_coach.grading.graph_mistake import Marker

SMALL = 9  # a matrix of at most this many entries shows its values


def number(value: float) -> str:
    """Four significant figures, as a learner would copy them."""
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:.4g}"
    return "0" if text in ("-0", "0") else text


def array_text(value: np.ndarray | None, shape: tuple[int, int] | None, limit: int = SMALL) -> str:
    """A scalar as a number; a matrix of at most `limit` entries as rows [[..], [..]]; a larger
    one by its shape."""
    if value is None:
        return "—"
    if shape is None or value.size == 1:
        return number(float(value.reshape(-1)[0]))
    rows, cols = shape
    if rows * cols > limit:
        return f"({rows}x{cols})"
    grid = value.reshape(rows, cols)
    if cols == 1:  # a column vector reads as one row, marked as a column
        return "[" + ", ".join(number(float(v)) for v in grid[:, 0]) + "]ᵀ"
    return (
        "[" + ", ".join("[" + ", ".join(number(float(v)) for v in row) + "]" for row in grid) + "]"
    )


def sum_text(parts: list[tuple[str, str]]) -> str:
    """`0.0554 (via z2_1) − 0.01905 (via z2_2)`: the parts of a gradient over its paths."""
    out = ""
    for k, (value, via) in enumerate(parts):
        negative = value.startswith("-")
        sign = ("-" if negative else "") if k == 0 else (" − " if negative else " + ")
        out += f"{sign}{value[1:] if negative else value} (via {via})"
    return out


def _grad_name(name: str) -> str:
    return f"∂L/∂{name}"


@dataclass(frozen=True)
class Asked:
    """A drill's view of the graph: ∂L/∂target is asked (shown as ?), only the gradients of
    `known` nodes are shown, and edges show their formulas, not their numbers."""

    target: str
    known: frozenset[str]


def _head(graph: Graph, node: GraphNode, asked: Asked | None = None) -> Text:
    """`z = w*x + b  (2x1)` and, under it, `value … · ∂L/∂z …`."""
    line = Text()
    line.append(node.name, style="bold")
    if node.definition:
        line.append(f" = {node.definition}")
    if node.shape is not None:
        line.append(f"  ({node.shape[0]}x{node.shape[1]})", style="dim")
    if node.name == graph.wrt and asked is None:
        line.append("  ◀ --wrt", style="bold magenta")
    line.append("\n  value ", style="dim")
    line.append(array_text(node.value, node.shape))
    line.append("\n  " if node.shape is not None else "   ")
    line.append(f"{_grad_name(node.name)} = ", style="dim")
    if asked is not None and node.name == asked.target:
        line.append("?   ◀ find this", style="bold magenta")
        return line
    if asked is not None and node.name not in asked.known and node.name != LOSS:
        line.append("·", style="dim")
        return line
    line.append(array_text(node.grad, node.shape), style="bold")
    out = graph.out_of(node.name)
    if asked is not None:
        return line
    if len(out) > 1:
        parts = sum_text([(array_text(e.pullback, node.shape), e.target) for e in out])
        line.append(f"\n  = {parts}", style="")
        line.append("   gradients add where paths meet", style="italic dim")
    return line


def _edge_line(
    edge: GraphEdge,
    shape: tuple[int, int] | None,
    marker: Marker | None,
    shared: bool,
    numbers: bool = True,
) -> Text:
    """`↑ local ∂a/∂z = sigmoid'(z) = 0.235`; for a matrix edge, a Jacobian, what it passes
    back when the node has other paths too (`shared`)."""
    marked = marker is not None and marker.edge == (edge.source, edge.target)
    line = Text("\n  ")
    style = "bold red" if marked else "cyan"
    line.append("✗ " if marked else "↑ ", style=style)
    line.append(f"local ∂{edge.target}/∂{edge.source}", style=style)
    if edge.local is not None:
        line.append(f" = {edge.local}", style=style)
    if not numbers:
        return line
    if edge.local_value is not None:
        v = edge.local_value
        value = array_text(v, None if v.size == 1 else (v.shape[0], v.shape[1]))
        if value != edge.local:
            line.append(f" = {value}", style=style)
    elif edge.local is None:
        line.append(": a Jacobian, applied to ∂L/∂" + edge.target, style=style)
        if shared:
            line.append(f" it gives {array_text(edge.pullback, shape)}", style=style)
    if edge.note:
        line.append(f"; {edge.note}", style=style)
    if marked and marker is not None:
        line.append(f"   ◀ {marker.label}", style="bold red")
    return line


def render_graph(
    graph: Graph, marker: Marker | None = None, asked: Asked | None = None
) -> RenderableType:
    """The graph as a tree from L to the inputs; with `marker`, the learner's mistake marked on
    its edge (✗) and said in a sentence under the picture; with `asked`, a drill's view (one
    gradient to find, the edges' numbers left to the learner)."""
    root = Tree(_head(graph, graph.node(LOSS)), guide_style="dim")
    shown: set[str] = set()

    def grow(branch: Tree, target: str) -> None:
        for edge in graph.into(target):
            node = graph.node(edge.source)
            label = Text()
            if node.name in shown:
                label.append(node.name, style="bold")
                label.append("  (drawn above)", style="dim")
                if asked is None:
                    label.append(f"\n  {_grad_name(node.name)} part via {target}: ", style="dim")
                    label.append(array_text(edge.pullback, node.shape))
            else:
                label = _head(graph, node, asked)
            shared = len(graph.out_of(node.name)) > 1
            label.append_text(_edge_line(edge, node.shape, marker, shared, asked is None))
            child = branch.add(label)
            if node.name not in shown:
                shown.add(node.name)
                grow(child, node.name)

    grow(root, LOSS)
    parts: list[RenderableType] = [root]
    if marker is not None:
        parts.append(Text(""))
        parts.append(Text.assemble(("✗ ", "bold red"), marker.sentence))
    return Group(*parts)


def render_legend() -> RenderableType:
    return Text(
        "each node: its value and ∂L/∂node at this point; ↑ the local derivative of the edge "
        "up to the node above (the chain rule multiplies them from L down; where a name is "
        "used twice its gradients add)",
        style="dim",
    )
