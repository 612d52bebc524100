"""`backprop-coach explain`: a worked derivation of a gradient, every step proved by the
grader (grading.explain); and the hook `check --explain` uses."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backprop_coach.cli.options import (
    BankOption,
    DomainOption,
    LetOption,
    LossOption,
    ShapeOption,
    WrtOption,
)
from backprop_coach.cli.output import emit_json, fail, show

TIMEOUT = 30.0  # seconds to derive and prove every step

EPILOG = """\
**Exit codes**: 0 derived (or, with a note, beyond the automatic derivation: nothing
unproved is printed); 2 bad input.

**Examples**

* one neuron: `backprop-coach explain --loss '(a - y)^2/2' --let 'z=w*x+b'
  --let 'a=sigmoid(z)' --wrt w`

* a layer: `backprop-coach explain --loss 'sum((a - y)^2)/2' --let 'z=W@x+b'
  --let 'a=sigmoid(z)' --shape W=2x3 --shape x=3x1 --shape b=2x1 --shape y=2x1 --wrt W`

* a bank question: `backprop-coach explain --question sigmoid-neuron-dw --json`
"""


def register(app: typer.Typer) -> None:
    app.command("explain", epilog=EPILOG)(explain)


def explain(
    loss: LossOption = None,
    wrt: WrtOption = None,
    let: LetOption = None,
    shape: ShapeOption = None,
    domain: DomainOption = None,
    question: Annotated[
        str | None, typer.Option(metavar="ID", help="Explain a derivation question.")
    ] = None,
    bank: BankOption = None,
    latex: Annotated[bool, typer.Option("--latex", help="Also print an align* block.")] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help='Print {"steps": [{"text", "expr", "proved"}], "answer"}.'),
    ] = False,
) -> None:
    """Derive ∂L/∂wrt step by step: the chain of Leibniz factors from L down to the name, each
    local derivative in your names, the sum over paths for a name used twice, shapes and why
    each transpose sits where it does, and the answer (which `check --claim` accepts). Every
    step is proved equal to its truth before it is printed."""
    from backprop_coach.cli.graph import _problem

    if question is None and wrt is None:
        fail("missing --wrt (or --question ID); see backprop-coach explain --help")
    problem = _problem(loss, wrt, let, shape, domain, question, bank)
    explanation = derive_in_sandbox(problem)
    if isinstance(explanation, str):
        fail(explanation)
    if json_output:
        emit_json(explanation.to_json())
        return
    from backprop_coach.render.explain import latex_of, render_derivation

    show(render_derivation(explanation))
    if latex:  # as it is, never wrapped to the terminal: it is pasted into notes
        import sys

        sys.stdout.write(latex_of(explanation) + "\n")


def derive_in_sandbox(problem: Any) -> Any:
    """The Explanation, or the message of a bad input or a time limit (in a forked worker, as
    `check` grades)."""
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run

    with Sandbox() as box:
        return run(box, _derive, (problem,), TIMEOUT, lambda m: m)


def _derive(problem: Any) -> Any:
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.grading.explain import explain as derive

    try:
        return derive(problem)
    except ExprError as err:
        return str(err)
