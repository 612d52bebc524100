"""`backprop-coach graph`: the computational graph of a problem with every node's value and
gradient, in the terminal, as JSON, or as a DOT/SVG/PNG picture; and the hooks that draw it for
`check --graph` (the mistake marked on its edge)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer

from backprop_coach.cli.options import (
    BankOption,
    DomainOption,
    LetOption,
    LossOption,
    ShapeOption,
)
from backprop_coach.cli.output import emit_json, fail, show

FORMATS = ("text", "dot", "svg", "png")
SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}
TIMEOUT = 10.0  # seconds to build and evaluate a graph

INSTALL = (
    "SVG and PNG need Graphviz's `dot` program: install it (Debian/Ubuntu: sudo apt-get install "
    "graphviz; macOS: brew install graphviz; Windows: winget install graphviz), then render "
    "the DOT file with: dot -Tsvg {dot} -o {out}"
)

EPILOG = """\
**Exit codes**: 0 drawn; 1 with --claim, when the claim is wrong; 2 bad input, or an SVG/PNG
asked for without Graphviz's `dot` (the DOT file is written instead, with how to render it).

**Examples**

* one neuron: `backprop-coach graph --loss '(a - y)^2/2' --let 'z=w*x+b' --let 'a=sigmoid(z)'
  --wrt w --at w=0.5 --at x=1 --at b=0 --at y=0`

* a layer of two units as a picture: `backprop-coach graph --loss 'sum((a - y)^2)/2'
  --let 'z=W@x+b' --let 'a=sigmoid(z)' --shape W=2x3 --shape x=3x1 --shape b=2x1 --shape y=2x1
  --wrt W -o layer.dot` (`-o layer.svg` or `.png` with Graphviz installed)

* a name used twice: `backprop-coach graph --loss '(u*v - y)^2' --let 'u=x*x'
  --let 'v=sigmoid(x)+u' --wrt x`

* your gradient on the graph (a wrong one is marked on its edge and exits 1; also
  `check ... --graph`):
  `backprop-coach graph --loss '(a - y)^2/2' --let 'z=w*x+b' --let 'a=sigmoid(z)' --wrt w
  --claim '(a - y)*a*(1 - a)*x'`
"""


def register(app: typer.Typer) -> None:
    app.command("graph", epilog=EPILOG)(graph)


def graph(
    loss: LossOption = None,
    wrt: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="The name whose gradient is asked (marked on the graph)."
        ),
    ] = None,
    let: LetOption = None,
    shape: ShapeOption = None,
    domain: DomainOption = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at", metavar="NAME=VALUE", help="A scalar input's value; the rest are drawn."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the drawn values (same seed, same numbers).")
    ] = 0,
    question: Annotated[
        str | None, typer.Option(metavar="ID", help="The graph of a derivation question.")
    ] = None,
    bank: BankOption = None,
    claim: Annotated[
        str | None,
        typer.Option(metavar="EXPR", help="Your gradient: a wrong one is marked on the graph."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="text (terminal), dot, svg or png; by default from -o's suffix."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", metavar="FILE", help="Write to FILE.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help='Print {"nodes": [...], "edges": [...]}.')
    ] = False,
) -> None:
    """Draw the computational graph of a problem: the inputs, every --let and L, each node with
    its value and its gradient ∂L/∂node at one point, each edge with its local derivative; a
    name used twice shows its gradient as the sum over its paths.

    The point: --at values, the other inputs drawn (real ones from (-2, 2) to two decimals;
    --seed picks another draw).
    """
    kind = _format(fmt, output, json_output)
    problem = _problem(loss, wrt, let, shape, domain, question, bank)
    point = _point(at)
    built = _build_in_sandbox(problem, point, seed, claim)
    if isinstance(built, str):
        fail(built)
    drawn, verdict, marker = built
    code = verdict.exit_code if verdict is not None else 0
    if json_output:
        emit_json(graph_json(drawn, verdict, marker))
        raise typer.Exit(code)
    if kind == "text" and output is None:
        show(*terminal(drawn, point, seed, verdict, marker))
        raise typer.Exit(code)
    write_picture(drawn, marker, kind, output)
    raise typer.Exit(code)


def _format(fmt: str | None, output: Path | None, json_output: bool) -> str:
    if fmt is not None and fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
    if json_output and (fmt not in (None, "text") or output is not None):
        fail("--json prints to the terminal: leave out --format and -o")
    if fmt is None and output is not None:
        fmt = SUFFIXES.get(output.suffix.lower())
        if fmt is None:
            fail(f"-o {output}: say --format {'|'.join(FORMATS[1:])} (or use .dot, .svg, .png)")
    if fmt in ("svg", "png") and output is None:
        fail(f"--format {fmt} writes a file: add -o FILE")
    return fmt or "text"


def _problem(
    loss: str | None,
    wrt: str | None,
    let: list[str] | None,
    shape: list[str] | None,
    domain: list[str] | None,
    question: str | None,
    bank: list[Path] | None,
) -> Any:
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.expr.problem import problem_from_specs, read_problem

    if question is not None:
        if loss is not None or let or shape or domain:
            fail("--question ID gives the problem: leave out --loss, --let, --shape, --domain")
        from backprop_coach.cli.bank import find, load

        q = find(load(bank), question)
        if q.problem is None:
            fail(f"{q.id} is a {q.kind} question; it has no problem to draw")
        if wrt is not None:
            from dataclasses import replace

            return replace(q.problem, wrt=wrt)
        return q.problem
    if loss is None:
        fail("missing --loss (or --question ID); see backprop-coach graph --help for examples")
    try:
        problem = problem_from_specs(loss, wrt or "", let or [], shape or [], domain or [])
        if not problem.wrt:  # no --wrt: the first input is marked
            _, _, order = read_problem(problem)
            if not order:
                fail("the loss has no inputs to draw")
            from dataclasses import replace

            problem = replace(problem, wrt=order[0])
    except ExprError as err:
        fail(str(err))
    return problem


def _point(at: list[str] | None) -> dict[str, Fraction]:
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.expr.parse import parse_point
    from backprop_coach.expr.problem import once

    try:
        return once("--at", [parse_point(spec) for spec in at or []])
    except ExprError as err:
        fail(str(err))


def _build_in_sandbox(
    problem: Any, point: dict[str, Fraction], seed: int, claim: str | None
) -> Any:
    """(graph, verdict or None, marker or None), or an error message; built in a forked worker
    with a time limit, as `check` grades."""
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run

    with Sandbox() as box:
        return run(box, build_graph, (problem, point, seed, claim), TIMEOUT, lambda m: m)


def build_graph(problem: Any, point: dict[str, Fraction], seed: int, claim: str | None) -> Any:
    """What `graph` draws (run in the sandbox): the graph, and for a claim its verdict and the
    marker of its mistake; or the message of a bad input."""
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.grading.graph import graph_of

    try:
        drawn = graph_of(problem, point, seed)
    except ExprError as err:
        return str(err)
    if claim is None:
        return drawn, None, None
    from backprop_coach.grading import grader

    verdict = grader.check(problem, claim)
    if verdict.verdict == "invalid":
        return f"--claim: {verdict.message}"
    return drawn, verdict, marker_for(problem, claim, verdict, seed)


def for_check(problem: Any, claim: str, verdict: Any, point: dict[str, Fraction]) -> Any:
    """`check --graph`: (renderables, JSON) of the problem's graph with the verdict's mistake
    marked; None for an invalid verdict. A graph that cannot be drawn (a point `graph`
    refuses, a time limit) is a note, never a failure of the check."""
    from rich.text import Text

    if verdict.verdict == "invalid":
        return None
    with_point = dict(point)
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run

    with Sandbox() as box:
        built = run(box, _marked, (problem, with_point, claim, verdict), TIMEOUT, lambda m: m)
    if isinstance(built, str):
        return [Text(f"(no graph: {built})", style="dim")], {"error": built}
    drawn, marker = built
    return terminal(drawn, with_point, 0, None, marker), graph_json(drawn, None, marker)


def _marked(problem: Any, point: dict[str, Fraction], claim: str, verdict: Any) -> Any:
    """(graph, marker) for `check --graph` (run in the sandbox), or a message."""
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.grading.graph import graph_of

    try:
        drawn = graph_of(problem, point)
    except ExprError as err:
        return str(err)
    return drawn, marker_for(problem, claim, verdict)


def marker_for(problem: Any, claim: str, verdict: Any, seed: int = 0) -> Any:
    """The mistake of a wrong verdict on the graph, or None for a right one (or when the graph
    cannot place it)."""
    if verdict.verdict != "incorrect":
        return None
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.grading.graph_mistake import locate, mistake_of

    try:
        return locate(problem, claim, mistake_of(verdict), seed)
    except ExprError:
        return None


def graph_json(drawn: Any, verdict: Any = None, marker: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = drawn.to_json()
    if verdict is not None:
        data["verdict"] = verdict.verdict
        data["diagnosis"] = verdict.diagnosis
    if marker is not None:
        data["mistake"] = {
            "edge": None if marker.edge is None else {"from": marker.edge[0], "to": marker.edge[1]},
            "kind": marker.kind,
            "sentence": marker.sentence,
        }
    return data


def terminal(
    drawn: Any, point: dict[str, Fraction], seed: int, verdict: Any = None, marker: Any = None
) -> list[Any]:
    """The renderables `graph` prints: where the point comes from, the tree, the legend."""
    from rich.text import Text

    from backprop_coach.render.graph import render_graph, render_legend

    drawn_names = [n.name for n in drawn.nodes if n.kind == "input" and n.name not in point]
    where = "at the --at values" if not drawn_names else (
        f"{', '.join(drawn_names)} drawn with --seed {seed}" + (" (the rest from --at)" if point else "")
    )  # fmt: skip
    parts: list[Any] = [Text(f"the graph of L, {where}", style="dim")]
    if verdict is not None:
        mark = "✓ correct" if verdict.verdict == "correct" else f"✗ {verdict.verdict}"
        diagnosis = f" · {verdict.diagnosis}" if verdict.diagnosis else ""
        parts.append(Text(f"your ∂L/∂{drawn.wrt} = {verdict.claim}: {mark}{diagnosis}"))
    parts.append(render_graph(drawn, marker))
    if verdict is not None and marker is None:
        from backprop_coach.render.verdict import render_verdict

        parts.append(render_verdict(verdict, show_truth=False))
    parts.append(render_legend())
    return parts


def write_picture(drawn: Any, marker: Any, kind: str, output: Path | None) -> None:
    """DOT text to stdout or FILE; SVG or PNG to FILE through Graphviz's `dot`. Without `dot`,
    the DOT file is written beside FILE with how to install Graphviz and render it (exit 2:
    the file asked for was not made)."""
    import graphviz

    from backprop_coach.atomic import write_atomic
    from backprop_coach.render.graph_dot import graph_dot

    dot = graph_dot(drawn, marker)
    if kind == "dot" and output is None:
        import sys

        sys.stdout.write(dot.source)
        return
    assert output is not None
    data: str | bytes = dot.source
    if kind in ("svg", "png"):
        try:
            data = dot.pipe(format=kind)
        except graphviz.ExecutableNotFound:
            fallback = output.with_suffix(".dot")
            _write(write_atomic, fallback, dot.source)
            fail(
                f"wrote {fallback}, not {output}: "
                + INSTALL.format(dot=fallback, out=output.with_suffix(".svg"))
            )
        except (graphviz.CalledProcessError, OSError) as err:
            fail(f"Graphviz's dot could not draw the graph: {err}")
    _write(write_atomic, output, data)
    show(f"wrote {output}")


def _write(write_atomic: Any, path: Path, data: str | bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as err:
        fail(f"cannot write {path}: {(err.strerror or str(err)).lower()}")


def network_graph(result: Any, units: bool, path: Path | None, terminal: bool = True) -> None:
    """`trace --graph`: the traced network's graph in the terminal (unless stdout is JSON or
    LaTeX) and, with a FILE, as a picture; unit by unit when asked and small enough."""
    from backprop_coach.grading.graph_network import layer_graph, unit_graph, unit_level_fits

    if units and not unit_level_fits(result):
        fail(
            "--graph-units draws every weight: one example and at most 4 units a layer; "
            "use --graph for the layer-level graph"
        )
    drawn = unit_graph(result) if units else layer_graph(result)
    if terminal:
        from backprop_coach.render.graph import render_graph, render_legend

        show(render_graph(drawn), render_legend())
    if path is not None:
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            fail(f"--graph-file {path}: give a .dot, .svg or .png file")
        write_picture(drawn, None, kind, path)


def quiz_graph(item: Any, answer: str | None, verdict: Any, reveal: bool = False) -> list[Any]:
    """`:graph` in the quiz, and a drill's picture: renderables, never a failure (a question
    with no graph is a note)."""
    from rich.text import Text

    from backprop_coach.expr.errors import ExprError
    from backprop_coach.render.graph import Asked, render_graph

    q = item.question
    if "graph_drill" in q.extra:
        from backprop_coach.practice.graph_drill import drill_for

        drill = drill_for(q, item.seed)
        if reveal:
            return [
                render_graph(drill.graph),
                Text(f"∂L/∂{drill.target} = {drill.truth:.6g}", style="bold green"),
            ]
        return [render_graph(drill.graph, asked=Asked(drill.target, frozenset(drill.shown)))]
    if q.problem is None:
        return [Text(f"no graph for a {q.kind} question", style="dim")]
    from backprop_coach.grading.graph import graph_of

    try:
        drawn = graph_of(q.problem)
    except ExprError as err:
        return [Text(f"no graph: {err}", style="dim")]
    marker = marker_for(q.problem, answer, verdict) if answer and verdict is not None else None
    if marker is None:
        note = "your answers so far are right" if verdict is not None else "no answer yet"
        if verdict is not None and verdict.verdict != "correct":
            note = "your last answer's mistake is on no one edge"
        return [render_graph(drawn), Text(f"({note})", style="dim")]
    return [render_graph(drawn, marker)]
