"""The worked answer: every z, a, δ, gradient and update of a network, with the formulas and
their numbers substituted, as Rich renderables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backprop_coach.engine.activations import ACTIVATIONS
from backprop_coach.engine.backprop import Trace
from backprop_coach.engine.losses import LOSSES
from backprop_coach.engine.quantities import display, formula
from backprop_coach.grading.numbers import NumberResult

GRADCHECK_OK = 1e-7


def fmt(value: object, precision: int) -> str:
    """Numbers as a learner writes them: [0.3775, 0.3925]; matrices as rows."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        text = (
            f"{float(array):.{precision}f}".rstrip("0").rstrip(".")
            if precision
            else f"{float(array):.0f}"
        )
        return "0" if text in ("-0", "0") else text  # -0.0000001 at 6 decimals is 0, not -0
    return "[" + ", ".join(fmt(v, precision) for v in array) + "]"


def _vec(trace: Trace, array: np.ndarray, precision: int) -> str:
    return fmt(display(trace, array, vector=True), precision)


def _lines(rows: Sequence[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for left, right in rows:
        grid.add_row(left, right)
    return grid


def render_header(trace: Trace) -> RenderableType:
    net = trace.network
    sizes = "-".join(map(str, net.sizes))
    acts = ", ".join(layer.activation for layer in net.layers)
    examples = net.x.shape[1]
    batch = (
        f" · batch of {examples}, one example a row in the file, shown one column per example"
        if net.batched
        else ""
    )
    biases = "" if net.update_biases else " · biases frozen"
    return Text.assemble(
        ("network ", "dim"),
        (sizes, "bold"),
        ("  activations ", "dim"),
        acts,
        ("  loss ", "dim"),
        net.loss,
        ("  η ", "dim"),
        f"{net.lr:g}{batch}{biases}",
    )


def render_forward(trace: Trace, precision: int) -> RenderableType:
    net = trace.network
    rows: list[tuple[str, str]] = [("x", _vec(trace, net.x, precision))]
    prev_name, prev = "x", net.x
    for l, (layer, lt) in enumerate(zip(net.layers, trace.layers, strict=True), start=1):
        rows.append(
            (
                f"z{l}",
                f"= W{l}·{prev_name} + b{l}\n"
                f"= {fmt(layer.W, precision)}·{_vec(trace, prev, precision)} + {_vec(trace, layer.b, precision)}\n"
                f"= {_vec(trace, lt.z, precision)}",
            )
        )
        rows.append((f"a{l}", f"= {layer.activation}(z{l}) = {_vec(trace, lt.a, precision)}"))
        prev_name, prev = f"a{l}", lt.a
    rows.append(("y", _vec(trace, net.y, precision)))
    rows.append(("loss", f"{LOSSES[net.loss].formula} = {fmt(trace.loss, precision + 3)}"))
    return Panel(_lines(rows), title="forward", title_align="left")


def render_backward(trace: Trace, precision: int) -> RenderableType:
    net = trace.network
    L = len(net.layers)
    rows: list[tuple[str, str]] = []
    for l in range(L, 0, -1):
        lt = trace.layers[l - 1]
        act = ACTIVATIONS[net.layers[l - 1].activation]
        law = formula(trace, "delta", l).split(" = ", 1)[1]
        if l < L and act.df is not None:
            upstream = net.layers[l].W.T @ trace.layers[l].delta
            law += (
                f"\n= {_vec(trace, upstream, precision)} ⊙ {_vec(trace, act.df(lt.z), precision)}"
            )
        elif l == L and act.df is not None:
            dL_da = LOSSES[net.loss].grad(lt.a, net.y)
            law += f"\n= {_vec(trace, dL_da, precision)} ⊙ {_vec(trace, act.df(lt.z), precision)}"
        rows.append((f"δ{l}", f"= {law}\n= {_vec(trace, lt.delta, precision)}"))
    for l in range(L, 0, -1):
        lt = trace.layers[l - 1]
        rows.append(
            (
                f"∂L/∂W{l}",
                f"= {formula(trace, 'dW', l).split(' = ', 1)[1]} = {fmt(lt.dW, precision)}",
            )
        )
        rows.append(
            (
                f"∂L/∂b{l}",
                f"= {formula(trace, 'db', l).split(' = ', 1)[1]} = {_vec(trace, lt.db, precision)}",
            )
        )
    return Panel(_lines(rows), title="backward", title_align="left")


def render_update(trace: Trace, precision: int) -> RenderableType:
    rows: list[tuple[str, str]] = []
    for l, lt in enumerate(trace.layers, start=1):
        rows.append(
            (
                f"W{l}_new",
                f"= {formula(trace, 'W', l).split(' = ', 1)[1]}\n= {fmt(lt.W_new, precision)}",
            )
        )
        rows.append(
            (
                f"b{l}_new",
                f"= {formula(trace, 'b', l).split(' = ', 1)[1]}\n= {_vec(trace, lt.b_new, precision)}",
            )
        )
    return Panel(_lines(rows), title="update", title_align="left")


def render_gradcheck(trace: Trace) -> RenderableType:
    err = trace.max_rel_error
    if err is None:
        return Text("")
    ok = err < GRADCHECK_OK
    return Text.assemble(
        ("gradient check ", "dim"),
        f"max relative error {err:.2e} ",
        (
            "✓ below 1e-7" if ok else "! above 1e-7 (kinks such as relu at 0 can cause this)",
            "green" if ok else "yellow",
        ),
        (_compared(trace), "dim"),
    )


def _compared(trace: Trace) -> str:
    if trace.checked < trace.parameters:
        return (
            f" (central differences over a random sample of {trace.checked:,} of the "
            f"{trace.parameters:,} weights and biases)"
        )
    return " (central differences over every weight and bias)"


def render_trace(trace: Trace, steps: Sequence[str], precision: int) -> RenderableType:
    parts: list[RenderableType] = [render_header(trace)]
    if "forward" in steps:
        parts.append(render_forward(trace, precision))
    if "backward" in steps:
        parts.append(render_backward(trace, precision))
    if "update" in steps:
        parts.append(render_update(trace, precision))
    parts.append(render_gradcheck(trace))
    return Group(*parts)


def render_number_checks(results: Sequence[NumberResult]) -> RenderableType:
    table = Table(title="your numbers", title_justify="left")
    table.add_column("")
    table.add_column("quantity")
    table.add_column("you gave")
    table.add_column("feedback")
    for r in results:
        table.add_row(
            Text("✓", style="green") if r.correct else Text("✗", style="red"),
            r.name,
            r.given,
            r.message,
        )
    right = sum(r.correct for r in results)
    summary = Text(
        f"{right} of {len(results)} right",
        style="bold green" if right == len(results) else "bold red",
    )
    return Group(table, summary)


def _tex(value: object, precision: int) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return fmt(array, precision)
    rows = array.reshape(-1, 1) if array.ndim == 1 else array
    body = r" \\ ".join(" & ".join(fmt(v, precision) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def trace_latex(
    trace: Trace, precision: int, steps: Sequence[str] = ("forward", "backward", "update")
) -> str:
    """The quantities of a worked network as LaTeX (an align* block), for pasting into notes:
    the parts in `steps` (forward, backward, update), as on the terminal."""
    net = trace.network
    lines: list[str] = []
    if "forward" in steps:
        lines.append(rf"x &= {_tex(display(trace, net.x, True), precision)}")
        for l, (layer, lt) in enumerate(zip(net.layers, trace.layers, strict=True), start=1):
            lines += [
                rf"W^{{({l})}} &= {_tex(layer.W, precision)}, \quad b^{{({l})}} = {_tex(display(trace, layer.b, True), precision)}",
                rf"z^{{({l})}} &= W^{{({l})}} a^{{({l - 1})}} + b^{{({l})}} = {_tex(display(trace, lt.z, True), precision)}",
                rf"a^{{({l})}} &= \mathrm{{{layer.activation}}}(z^{{({l})}}) = {_tex(display(trace, lt.a, True), precision)}",
            ]
        lines.append(rf"L &= {fmt(trace.loss, precision + 3)}")
    for l in range(len(net.layers), 0, -1):
        lt = trace.layers[l - 1]
        # a batch sums δ's columns (one per example) into the bias gradient
        db = (
            rf"\textstyle\sum_{{\text{{batch}}}} \delta^{{({l})}}"
            if net.batched
            else rf"\delta^{{({l})}}"
        )
        if "backward" in steps:
            lines += [
                rf"\delta^{{({l})}} &= {_tex(display(trace, lt.delta, True), precision)}",
                rf"\frac{{\partial L}}{{\partial W^{{({l})}}}} &= \delta^{{({l})}} a^{{({l - 1})\top}} = {_tex(lt.dW, precision)}",
                rf"\frac{{\partial L}}{{\partial b^{{({l})}}}} &= {db} = {_tex(lt.db[:, 0], precision)}",
            ]
        if "update" in steps:
            lines.append(rf"W^{{({l})}}_{{\text{{new}}}} &= {_tex(lt.W_new, precision)}")
            lines.append(rf"b^{{({l})}}_{{\text{{new}}}} &= {_tex(lt.b_new[:, 0], precision)}")
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
