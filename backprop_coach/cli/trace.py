"""`backprop-coach trace`: a worked forward and backward pass of a small network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from backprop_coach.cli.output import emit_json, fail, read_text, show
from backprop_coach.engine.names import (
    GRADCHECK_BUDGET,
    MAX_EXAMPLES,
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_UNITS,
)
from backprop_coach.untrusted import excerpt, path_text

STEPS = ("forward", "backward", "update")
MAX_NET_BYTES = 2_000_000  # a net file at the limits below is about 1 MB

EPILOG = (
    """\
**Examples**

* the classic 2-2-2 example: `backprop-coach trace --net net.json` with net.json holding
  `{"layers": [{"W": [[0.15, 0.2], [0.25, 0.3]], "b": [0.35, 0.35], "activation": "sigmoid"},
  {"W": [[0.4, 0.45], [0.5, 0.55]], "b": [0.6, 0.6], "activation": "sigmoid"}],
  "loss": "half_sse", "x": [0.05, 0.1], "y": [0.01, 0.99], "lr": 0.5}`

* a fresh network to practise on: `backprop-coach trace --layers 2,2,1 --seed 7 --steps forward`

* check your hand computation: `backprop-coach trace --net net.json --check "delta2=[0.1385, -0.0381]"
  --check "W2_new[0][0]=0.3589"`

**Activations**: identity, sigmoid, tanh, relu, leaky_relu, softplus, softmax (last layer).
**Losses**: mse, bce, cross_entropy, half_sse (PyTorch's default reductions; half_sse = ½Σ(a−y)²).
"""
    + f"""
**Limits** (checked before anything is computed): at most {MAX_LAYERS} layers, {MAX_UNITS} units
per layer, {MAX_PARAMETERS:,} weights and biases, {MAX_EXAMPLES} examples in a batch, a net file of
{MAX_NET_BYTES:,} bytes. The gradient check compares every parameter up to {GRADCHECK_BUDGET:,},
and a random sample of {GRADCHECK_BUDGET:,} above that (the output says so).
"""
)


def register(app: typer.Typer) -> None:
    app.command("trace", epilog=EPILOG)(trace)


def trace(
    net: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Network as JSON: layers (W, b, activation), loss, x, y, lr."
        ),
    ] = None,
    layers: Annotated[
        str | None,
        typer.Option(metavar="SIZES", help="Random network instead: sizes such as 2,2,1."),
    ] = None,
    activation: Annotated[
        str, typer.Option(help="Activation of every layer of a random network.")
    ] = "sigmoid",
    loss: Annotated[str, typer.Option(help="Loss of a random network.")] = "half_sse",
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seed of a random network (same seed, same numbers); without it a fresh one, "
            "and the seed is shown.",
        ),
    ] = None,
    lr: Annotated[float, typer.Option(min=0.0, help="Learning rate η of a random network.")] = 0.5,
    steps: Annotated[
        str, typer.Option(metavar="LIST", help="Which parts to show: forward,backward,update.")
    ] = "forward,backward,update",
    precision: Annotated[int, typer.Option(min=0, max=15, help="Decimals shown.")] = 6,
    check: Annotated[
        list[str] | None,
        typer.Option(
            "--check",
            metavar="NAME=VALUE",
            help="Your value of a quantity, e.g. delta2=[0.13, -0.04].",
        ),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the network as JSON (to edit or share)."),
    ] = None,
    latex: Annotated[
        bool, typer.Option("--latex", help="Print every quantity as LaTeX (align*), for notes.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    graph: Annotated[
        bool,
        typer.Option(
            "--graph", help="Draw the network's graph x → z1 → a1 → … → L with values and δ."
        ),
    ] = False,
    graph_units: Annotated[
        bool,
        typer.Option(
            "--graph-units",
            help="Draw it unit by unit, every weight an edge (one example, at most 4 units a layer).",
        ),
    ] = False,
    graph_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the graph as .dot, .svg or .png (as graph -o)."),
    ] = None,
) -> None:
    """Work a forward and backward pass: every z, a, δ, gradient and updated weight.

    Notation: z^l = W^l a^(l-1) + b^l, a^l = f(z^l), δ^L = ∂L/∂a^L ⊙ f'(z^L),
    δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ f'(z^l), ∂L/∂W^l = δ^l (a^(l-1))^T, ∂L/∂b^l = δ^l,
    W ← W − η ∂L/∂W. With --check, compares your numbers (to the digits you give) and exits 1
    if any is wrong.
    """
    chosen = [s.strip() for s in steps.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in STEPS]
    if unknown or not chosen:
        fail(
            f"--steps: unknown {', '.join(unknown) or 'empty list'}; choose from {', '.join(STEPS)}"
        )
    if net is not None and layers is not None:
        fail("give either --net FILE or --layers SIZES, not both")

    from backprop_coach.engine.backprop import trace as run_trace
    from backprop_coach.engine.network import NetSpecError, network_from_dict, random_network
    from backprop_coach.engine.quantities import QuantityError
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.expr.quantity import parse_quantity_claim
    from backprop_coach.grading.numbers import check_numbers

    try:
        claims = [parse_quantity_claim(text) for text in check or []]
    except ExprError as err:
        fail(str(err))
        return
    drawn: int | None = None  # the seed chosen for a fresh network, to be shown
    try:
        if net is not None:
            network = network_from_dict(_read_json(net))
        else:
            sizes = _sizes(layers or "2,2,2")
            if seed is None:
                import random

                seed = random.randrange(10_000)
                drawn = seed
            network = random_network(sizes, activation, loss, seed, lr=lr)
    except NetSpecError as err:
        where = f"{path_text(net)}: " if net is not None else ""
        fail(f"{where}{err}")
        return
    if save is not None:
        _write_json(save, network.to_json())
        from rich.markup import escape

        from backprop_coach.cli.output import error_console  # stdout may be JSON or LaTeX

        error_console().print(
            f"saved the network to {escape(str(save))}: --net {escape(str(save))} gives it again"
        )
    result = run_trace(network)
    checks = []
    for claim in claims:
        try:
            checks.append(check_numbers(result, claim))
        except ExprError as err:  # too few significant figures: say so, judge nothing
            fail(f"--check: {err}")
        except QuantityError as err:  # delta3 of a two-layer network: no such quantity
            fail(f"--check {claim.name}: {err}")
    if json_output:
        data = _trace_json(result, checks if claims else None)
        if drawn is not None:
            data["seed"] = drawn  # a fresh network: its seed gives it again
        emit_json(data)
    elif latex:
        import sys

        from backprop_coach.render.trace import trace_latex

        sys.stdout.write(trace_latex(result, precision, chosen) + "\n")
    else:
        from backprop_coach.render.trace import render_number_checks, render_trace

        show(render_trace(result, chosen, precision))
        if checks:
            show(render_number_checks(checks))
        if drawn is not None:
            from rich.text import Text

            show(Text(f"a fresh network, seed {drawn}: --seed {drawn} gives it again", "dim"))
    if graph or graph_units or graph_file is not None:
        from backprop_coach.cli.graph import network_graph

        network_graph(result, graph_units, graph_file, terminal=not (json_output or latex))
    if checks and not all(c.correct for c in checks):
        raise typer.Exit(1)


def _sizes(text: str) -> list[int]:
    from backprop_coach.engine.network import NetSpecError

    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise NetSpecError(
            f"--layers: expected sizes such as 2,2,1, got {excerpt(text)!r}"
        ) from None


def _read_json(path: Path) -> Any:
    import json

    text = read_text(path, MAX_NET_BYTES)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        fail(
            f"{path_text(path)}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        )
    except RecursionError:
        fail(f"{path_text(path)}: not valid JSON: nested too deeply")


def _write_json(path: Path, data: Any) -> None:
    """The network as JSON a person edits: one line per matrix row or vector, written
    atomically so a full disk never leaves a half-written net file."""
    import json
    import re

    from backprop_coach.atomic import write_atomic

    text = json.dumps(data, indent=2)
    number = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    text = re.sub(
        rf"\[\s*({number}(?:,\s*{number})*)\s*\]",
        lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
        text,
    )
    try:
        write_atomic(path, text + "\n")
    except OSError as err:
        fail(f"cannot write {path}: {(err.strerror or str(err)).lower()}")


def _trace_json(result: Any, checks: list[Any] | None) -> dict[str, Any]:
    from backprop_coach.engine.quantities import layer_value

    keys = {
        "z": "z",
        "a": "a",
        "delta": "delta",
        "dW": "dW",
        "db": "db",
        "W_new": "W",
        "b_new": "b",
    }
    layers = [
        {key: layer_value(result, lt, base).tolist() for key, base in keys.items()}
        for lt in result.layers
    ]
    data: dict[str, Any] = {
        "loss": result.loss,
        "layers": layers,
        "gradcheck": {
            "max_rel_error": result.max_rel_error,
            "checked": result.checked,  # fewer than parameters: a random sample
            "parameters": result.parameters,
        },
    }
    if checks is not None:
        data["checks"] = [c.to_json() for c in checks]
    return data
