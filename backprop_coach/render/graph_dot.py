"""The computational graph as a Graphviz picture (DOT; SVG or PNG through Graphviz's `dot`):
inputs on the left, L on the right, as micrograd's `draw_dot`; each node a card with its value
and ∂L/∂node, each edge labelled with its local derivative. A light, printable theme; the
learner's mistake in red with a sentence under the picture. Returns a graphviz.Digraph; the CLI
writes it."""

from __future__ import annotations

from html import escape
from typing import Any

from backprop_coach.grading.graph import LOSS, Graph, GraphEdge, GraphNode
from backprop_coach.grading.graph_mistake import Marker
from backprop_coach.render.graph import array_text, number, sum_text

INK, MUTED, ACCENT, WRONG = "#1f2328", "#57606a", "#0969da", "#cf222e"
FILL = {"input": "#f6f8fa", "let": "#ffffff", "loss": "#fff8c5"}
WRT_FILL = "#ddf4ff"
FONT = "Helvetica"
PICTURE_SMALL = 32  # a picture shows the values of a matrix of at most this many entries


def _cell(text: str, color: str = INK, bold: bool = False, size: int = 11) -> str:
    body = escape(text)
    if bold:
        body = f"<B>{body}</B>"
    return f'<TR><TD ALIGN="LEFT"><FONT COLOR="{color}" POINT-SIZE="{size}">{body}</FONT></TD></TR>'


def _label(graph: Graph, node: GraphNode) -> str:
    """An HTML-like label: name = definition, shape, value, gradient (and its paths)."""
    head = node.name if not node.definition else f"{node.name} = {node.definition}"
    rows = [_cell(head, bold=True, size=13)]
    if node.shape is not None:
        rows.append(_cell(f"{node.shape[0]}x{node.shape[1]}", MUTED, size=10))
    rows += _values("value", node.value, node.shape, INK, False)
    rows += _values(f"∂L/∂{node.name}", node.grad, node.shape, ACCENT, True)
    out = graph.out_of(node.name)
    if len(out) > 1:
        parts = sum_text(
            [(array_text(e.pullback, node.shape, PICTURE_SMALL), e.target) for e in out]
        )
        rows.append(_cell(f"= {parts}", ACCENT, size=10))
        rows.append(_cell("gradients add where paths meet", MUTED, size=9))
    if node.name == graph.wrt:
        rows.append(_cell("◀ --wrt", ACCENT, size=9))
    return '<<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _values(
    label: str, value: object, shape: tuple[int, int] | None, color: str, bold: bool
) -> list[str]:
    """`label  0.235`; a small matrix of several rows and columns one row a line."""
    import numpy as np

    array = np.asarray(value, dtype=float)
    if shape is None or 1 in shape or shape[0] * shape[1] > PICTURE_SMALL:
        return [_cell(f"{label}  {array_text(array, shape, PICTURE_SMALL)}", color, bold)]
    grid = array.reshape(shape)
    lines = [_cell(label, color, bold)]
    for row in grid:
        lines.append(_cell("  [" + ", ".join(number(float(v)) for v in row) + "]", color, bold))
    return lines


def _caption(lines: list[tuple[str, str]]) -> str:
    """The text under the picture as an HTML-like label, one (text, colour) a line."""
    rows = "".join(
        _cell(wrapped, color, size=11) for text, color in lines for wrapped in _wrap(text, 110)
    )
    return '<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">' + rows + "</TABLE>>"


def edge_label(edge: GraphEdge) -> str:
    """∂target/∂source = formula = number, or `Jacobian` for a matrix edge."""
    text = f"∂{edge.target}/∂{edge.source}"
    if edge.local is not None:
        text += f" = {edge.local}"
    if edge.local_value is not None:
        v = edge.local_value
        value = array_text(v, None if v.size == 1 else (v.shape[0], v.shape[1]), PICTURE_SMALL)
        if value != edge.local:
            text += f" = {value}"
    elif edge.local is None:
        text += " (Jacobian)"
    if edge.note:
        text += f"\\n{edge.note}"
    return text


def graph_dot(graph: Graph, marker: Marker | None = None, title: str = "") -> Any:
    """The graph as a graphviz.Digraph (its `.source` is the DOT text)."""
    import graphviz

    dot = graphviz.Digraph("backprop", comment="backprop-coach graph")
    dot.attr(rankdir="LR", bgcolor="white", fontname=FONT, fontcolor=INK, nodesep="0.35",
             ranksep="0.9", pad="0.3")  # fmt: skip
    dot.attr("node", shape="box", style="rounded,filled", color="#8c959f", fontname=FONT,
             fontcolor=INK, penwidth="1.2")  # fmt: skip
    dot.attr("edge", color="#6e7781", fontname=FONT, fontsize="10", fontcolor=MUTED,
             arrowsize="0.7")  # fmt: skip
    for node in graph.nodes:
        fill = WRT_FILL if node.name == graph.wrt else FILL[node.kind]
        extra = {"penwidth": "2", "color": ACCENT} if node.name == graph.wrt else {}
        dot.node(_id(node.name), _label(graph, node), fillcolor=fill, **extra)
    for edge in graph.edges:
        label = edge_label(edge)
        attrs: dict[str, str] = {}
        if marker is not None and marker.edge == (edge.source, edge.target):
            label = f"✗ {marker.label}\\n{label}" if marker.label else label
            attrs = {"color": WRONG, "fontcolor": WRONG, "penwidth": "2.5", "style": "bold"}
        dot.edge(_id(edge.source), _id(edge.target), label=label, **attrs)
    lines = [(title, INK)] if title else []
    if marker is not None:
        lines.append((f"✗ {marker.sentence}", WRONG))
    lines.append(
        (
            "each box: the node's value and ∂L/∂node at this point; each edge: its local "
            "derivative (the chain rule multiplies them from L back; where a name is used "
            "twice, its gradients add)",
            MUTED,
        )
    )
    dot.attr(label=_caption(lines), labelloc="b", labeljust="l", fontsize="11")
    return dot


def _id(name: str) -> str:
    """A DOT node id that no name can break (graphviz quotes it; the loss is `L`)."""
    return "loss" if name == LOSS else f"n_{name}"


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [text]
