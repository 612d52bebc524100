"""`backprop-coach check`: prove or refute a claimed gradient."""

from __future__ import annotations

from pathlib import Path
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
from backprop_coach.cli.output import (
    as_option,
    emit_json,
    fail,
    finite_seconds,
    read_text,
    show,
)

EPILOG = """\
* **Language**: + - * / ^ (or **); * and ⊙ elementwise, @ matrix product; side by side
(`δ a.T`, `W x`) or · is the matrix product where shapes conform, else elementwise; `.T`, `ᵀ`,
`^T` transpose; 1xC rows and Rx1 columns broadcast. Functions: sigmoid (σ), tanh, relu,
leaky_relu, softplus, exp, log, sqrt, abs, sign, cosh, sinh, erf, step, max, min, sum and mean
(optionally with axis=0|1), softmax, log_softmax, logsumexp, norm, trace, dot, outer, diag; pi;
f'(z) for the derivative of an activation; `tanh^2(z)`; masks `z > 0`.

* **Exit codes**: 0 correct, 1 incorrect, 2 invalid input. With --batch, the worst line's code
(every line is still checked and printed).

### Examples

* one sigmoid neuron: `backprop-coach check --loss '(a - y)^2/2' --let 'z=w*x+b'
  --let 'a=sigmoid(z)' --wrt w --claim '(a - y)*a*(1 - a)*x'`

* the output error δ = ∂L/∂z: the same with `--wrt z --claim "(a - y)*sigmoid'(z)"`

* a weight matrix: `backprop-coach check --loss 'sum((W@x + b - y)^2)/2' --shape W=2x3
  --shape x=3x1 --shape b=2x1 --shape y=2x1 --wrt W --claim '(W@x + b - y) @ x.T'`

* a number worked by hand: `backprop-coach check --loss '(sigmoid(w*x) - y)^2/2' --wrt w
  --claim 0.1463 --at w=0.5 --at x=1 --at y=0` (correctly rounded, at least 2 significant figures)

* the row (batch-first) layout: `backprop-coach check --loss 'sum((X@W + b - Y)^2)/2'
  --shape X=4x3 --shape W=3x2 --shape b=1x2 --shape Y=4x2 --wrt b --claim 'sum(X W + b - Y, axis=0)'`
"""


def register(app: typer.Typer) -> None:
    app.command("check", epilog=EPILOG)(check)


def check(
    loss: LossOption = None,
    wrt: WrtOption = None,
    claim: Annotated[
        str | None,
        typer.Option(
            metavar="EXPR",
            help="Your gradient, in the expression language (or a number with --at).",
        ),
    ] = None,
    let: LetOption = None,
    shape: ShapeOption = None,
    domain: DomainOption = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="NAME=VALUE",
            help="NAME=VALUE: check a number you computed at this point.",
        ),
    ] = None,
    batch: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="JSONL file, one case a line: {id, loss, wrt, claim, let, shape, domain}.",
        ),
    ] = None,
    question: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Check an answer to a bank question (with --answer)."),
    ] = None,
    answer: Annotated[
        str | None, typer.Option(metavar="EXPR", help="Your answer to --question.")
    ] = None,
    bank: BankOption = None,
    steps: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Check a derivation, one step a line (`dL/dw = ...`, then `= ...`).",
        ),
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            help="How answers are written: auto (LaTeX if it has \\ or braces), plain or latex."
        ),
    ] = "auto",
    latex: Annotated[
        bool, typer.Option("--latex", help="Also print the claim and the truth as LaTeX.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, max=600, help="Seconds allowed for one check.")
    ] = 5.0,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, metavar="N", help="With --batch: workers at once (default: one a core)."
        ),
    ] = None,
    with_truth: Annotated[
        bool,
        typer.Option(
            "--truth", help="With --batch: add each truth as text (SymPy's formula; slower)."
        ),
    ] = False,
    draw_graph: Annotated[
        bool,
        typer.Option(
            "--graph",
            help="Also draw the computational graph, a wrong claim's mistake marked on its edge.",
        ),
    ] = False,
    with_explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="On a wrong claim, also show the proved derivation (as explain)."
        ),
    ] = False,
) -> None:
    """Prove or refute a claimed gradient, and say what is wrong with it.

    The claim is correct when it equals d(loss)/d(wrt) everywhere on the domain, with the shape
    of wrt. It is checked numerically at many random points and confirmed symbolically where
    that is cheap; a wrong claim gets a diagnosis: sign_flip, constant_factor, missing_factor,
    extra_factor, transposed, shape_mismatch, shape_error, wrong_argument, domain, rounding (a
    number) or wrong (with a counterexample).
    """
    from backprop_coach.expr.parse import INPUT_FORMATS

    finite_seconds("--timeout", timeout)
    if draw_graph and (batch is not None or steps is not None):
        fail("--graph draws one claim: leave out --batch and --steps")
    if batch is None and (jobs is not None or with_truth):
        fail("--jobs and --truth go with --batch FILE")
    if input_format not in INPUT_FORMATS:
        fail(f"--input-format: choose from {', '.join(INPUT_FORMATS)}")
    if batch is not None:
        _batch(batch, timeout, jobs, with_truth)
        return
    if steps is not None:
        if claim is not None or at:
            fail("--steps checks the derivation in FILE: leave out --claim and --at")
        _steps(
            steps, loss, wrt, let, shape, domain, question, bank, timeout, json_output, input_format,
            with_explain,
        )  # fmt: skip
        return
    if question is not None or answer is not None:
        _question(question, answer, bank, timeout, json_output, input_format, latex, draw_graph)
        return
    missing = [
        opt for opt, v in (("--loss", loss), ("--wrt", wrt), ("--claim", claim)) if v is None
    ]
    if missing:
        fail(f"missing {', '.join(missing)} (see backprop-coach check --help for examples)")
    assert loss is not None and wrt is not None and claim is not None

    from backprop_coach.expr.errors import ExprError
    from backprop_coach.expr.parse import parse_point
    from backprop_coach.expr.problem import once, problem_from_specs
    from backprop_coach.grading.service import check_claim
    from backprop_coach.grading.verdict import invalid

    try:
        problem = problem_from_specs(loss, wrt, let or [], shape or [], domain or [])
        point = once("at", [parse_point(spec) for spec in at or []])
        verdict = check_claim(
            problem, claim, point, timeout, fmt=input_format, display=not json_output, truth=True
        )
    except ExprError as err:  # a spec on the command line: named by its option
        verdict = invalid(as_option(err), claim)
    except KeyboardInterrupt:
        fail("interrupted", 130)
        return
    drawn = _graph(problem, claim, verdict, point) if draw_graph else None
    derived = _explained(problem) if with_explain and verdict.verdict == "incorrect" else None
    _report(verdict, json_output, latex, drawn, derived)


def _explained(problem: Any) -> Any:
    """`--explain`: the proved derivation offered after a wrong claim, or None when it cannot
    be derived (then the verdict stands alone)."""
    from backprop_coach.cli.explain import derive_in_sandbox

    derived = derive_in_sandbox(problem)
    return None if isinstance(derived, str) else derived


def _graph(problem: Any, claim: str, verdict: Any, point: Any = None) -> Any:
    """`--graph`: (renderables, JSON) of the graph with the claim's mistake marked."""
    from backprop_coach.cli.graph import for_check

    return for_check(problem, claim, verdict, point or {})


def _report(
    verdict: Any, json_output: bool, latex: bool = False, drawn: Any = None, derived: Any = None
) -> None:
    if json_output:
        data = verdict.to_json()
        if drawn is not None:
            data["graph"] = drawn[1]
        if derived is not None:
            data["explanation"] = derived.to_json()
        emit_json(data)
    else:
        from backprop_coach.render.verdict import render_latex, render_verdict

        show(render_verdict(verdict))
        if latex:
            show(render_latex(verdict))
        if drawn is not None:
            show(*drawn[0])
        if derived is not None:
            from backprop_coach.render.explain import render_derivation

            show(render_derivation(derived))
    raise typer.Exit(verdict.exit_code)


def _question(
    question_id: str | None,
    answer: str | None,
    bank: list[Path] | None,
    timeout: float,
    json_output: bool,
    input_format: str = "auto",
    latex: bool = False,
    draw_graph: bool = False,
) -> None:
    """`check --question ID --answer EXPR`: the same verdicts as --loss, plus the question's
    tailored feedback when the answer matches a listed mistake."""
    if question_id is None or answer is None:
        fail("--question and --answer go together: --question ID --answer EXPR")
    from backprop_coach.bank.grade import grade_derivation
    from backprop_coach.cli.bank import find, load
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run

    q = find(load(bank), question_id)
    if q.kind != "derivation":
        fail(
            f"{q.id} is a {q.kind} question; practise it with: backprop-coach quiz --question {q.id}"
        )
    with Sandbox() as box:
        verdict = run(box, grade_derivation, (q, answer, None, input_format), timeout)
    if verdict.feedback:  # a listed mistake: its feedback is part of what check says
        from dataclasses import replace

        verdict = replace(verdict, message=f"{verdict.message}. {verdict.feedback}")
    drawn = _graph(q.problem, answer, verdict) if draw_graph else None
    _report(verdict, json_output, latex, drawn)


def _batch(path: Path, timeout: float, jobs: int | None, with_truth: bool) -> None:
    import sys

    from backprop_coach.grading.sandbox import default_jobs
    from backprop_coach.grading.service import check_batch

    lines = read_text(path).splitlines()
    cases = sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))
    progress = _progress(cases)
    worst = 0  # the exit code of the worst line: 2 if any was invalid, else 1 if any incorrect
    try:
        with progress:
            task = progress.add_task("", total=cases)
            for result in check_batch(
                enumerate(lines, start=1), timeout, jobs or default_jobs(), with_truth
            ):
                emit_json(result)
                worst = max(worst, BATCH_EXIT.get(result["verdict"], 2))
                progress.advance(task)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: results above are complete, the rest were not checked\n")
        raise typer.Exit(130) from None
    raise typer.Exit(worst)


BATCH_EXIT = {"correct": 0, "incorrect": 1, "error": 70}  # any other verdict (invalid) is 2


def _progress(total: int) -> Any:
    """A progress bar on stderr while a long batch runs, when stderr is a terminal (the JSON on
    stdout is never mixed with it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from backprop_coach.cli.output import error_console

    err = error_console()
    return Progress(
        TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal or total < 50,
        redirect_stdout=False, redirect_stderr=False,
    )  # fmt: skip


def _steps(
    path: Path,
    loss: str | None,
    wrt: str | None,
    let: list[str] | None,
    shape: list[str] | None,
    domain: list[str] | None,
    question_id: str | None,
    bank: list[Path] | None,
    timeout: float,
    json_output: bool,
    input_format: str = "auto",
    with_explain: bool = False,
) -> None:
    """`check --steps FILE`: every step against the truth and against the previous step; with
    --explain and a wrong step, the proved derivation after them."""
    from backprop_coach.expr.errors import ExprError
    from backprop_coach.expr.problem import problem_from_specs
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run
    from backprop_coach.grading.steps import StepsReport, check_steps

    text = read_text(path)
    if question_id is not None:
        from backprop_coach.cli.bank import find, load

        q = find(load(bank), question_id)
        if q.problem is None:
            fail(f"{q.id} is a {q.kind} question; --steps needs a derivation question")
        problem, wrt_given = q.problem, True
    else:
        if loss is None:
            fail("--steps needs the problem: --loss (with --let/--shape/--domain) or --question ID")
        try:
            problem = problem_from_specs(
                loss or "", wrt or "", let or [], shape or [], domain or []
            )
        except ExprError as err:
            fail(as_option(err))
        wrt_given = wrt is not None
    with Sandbox() as box:
        # the steps get 3 x --timeout (then the ones checked are reported), the sandbox 4 x
        args = (problem, text, wrt_given, input_format, timeout * 3)
        report = run(
            box, check_steps, args, timeout * 4, lambda m: StepsReport(problem.wrt, [], error=m)
        )
    derived = None
    if with_explain and report.first_wrong_step is not None and report.wrt:
        from dataclasses import replace

        derived = _explained(replace(problem, wrt=report.wrt))
    if json_output:
        data = report.to_json()
        if derived is not None:
            data["explanation"] = derived.to_json()
        emit_json(data)
    else:
        from backprop_coach.render.steps import render_steps

        show(render_steps(report))
        if derived is not None:
            from backprop_coach.render.explain import render_derivation

            show(render_derivation(derived))
    raise typer.Exit(report.exit_code)
