"""Rich renderables for a quiz session: the question, each verdict, hints, worked answers and the
summary. The command prints them; nothing here prints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.bank.grade import Worked
from backprop_coach.practice.session import (
    Ask,
    Graded,
    Help,
    HintShown,
    Item,
    Outcome,
    Repeat,
    Reveal,
)
from backprop_coach.render.question import render_explanation, render_names, render_prompt
from backprop_coach.render.verdict import render_read_as

RESULT_STYLE = {
    "correct": "green",
    "missed": "red",
    "revealed": "yellow",
    "skipped": "dim",
    "rated": "cyan",
}


def render_network(item: Item, worked: Worked) -> RenderableType:
    """The numbers of a numeric question's variant, as a learner copies them onto paper."""
    from backprop_coach.render.trace import fmt

    spec = item.question.numeric
    assert spec is not None
    net = worked.network
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    # a batch as the file gives it: one example a row
    table.add_row("x", fmt(net.x.T if net.batched else net.x[:, 0], spec.decimals))
    for l, layer in enumerate(net.layers, start=1):
        table.add_row(
            f"W{l}",
            fmt(layer.W, spec.decimals)
            + f"   ({layer.W.shape[0]}x{layer.W.shape[1]}, {layer.activation})",
        )
        table.add_row(f"b{l}", fmt(layer.b[:, 0], spec.decimals))
    table.add_row("y", fmt(net.y.T if net.batched else net.y[:, 0], spec.decimals))
    if net.batched:
        table.add_row("batch", f"{net.x.shape[1]} examples, one a row; z, a and δ have one column each")
    table.add_row("η", f"{net.lr:g}")
    table.add_row("loss", spec.loss)
    return table


def render_ask(ask: Ask) -> RenderableType:
    q = ask.item.question
    extra: list[RenderableType] = []
    if ask.names:
        from backprop_coach.expr.algebra import GREEK_ASCII

        rows = [
            (f"{n} ({GREEK_ASCII[n]})" if n in GREEK_ASCII else n, shape, meaning)
            for n, shape, meaning in ask.names
        ]
        extra.append(Text("names you can use", style="dim"))
        extra.append(render_names(rows))
    if q.numeric is not None and ask.worked is not None:
        extra.append(
            Text(
                f"variant {ask.item.seed} · answer {q.numeric.ask} to {q.numeric.figures} significant figures",
                style="dim",
            )
        )
        extra.append(render_network(ask.item, ask.worked))
    progress = f"question {ask.number} of {ask.total} · score {ask.score}/{ask.answered}"
    if ask.limit:
        progress += f" · {ask.limit:g} s"
    return render_prompt(q, progress, extra)


def render_graded(graded: Graded) -> RenderableType:
    v = graded.verdict
    parts: list[RenderableType] = [render_read_as(v)]
    if v.verdict == "correct":
        parts.append(Text("✓ correct", style="bold green"))
    else:
        head = Text("✗ incorrect", style="bold red")
        if v.diagnosis:
            head.append(f" · {v.diagnosis}", style="bold")
        parts.append(head)
        parts.append(Text("  " + v.message))
        feedback = v.feedback
        if feedback:
            parts.append(Text("  " + feedback, style="italic"))
        if graded.attempts_left:
            parts.append(
                Text(f"  {graded.attempts_left} attempt(s) left; :hint for a hint", style="dim")
            )
    if graded.overtime:
        parts.append(Text("  overtime: answered after the time limit", style="yellow"))
    return Group(*parts)


def render_repeat(repeat: Repeat) -> RenderableType:
    return Group(
        render_read_as(repeat.verdict),
        Text(
            "= that is the same as your previous attempt (no attempt used); try something different",
            style="yellow",
        ),
    )


def render_hint(hint: HintShown) -> RenderableType:
    return Text.assemble((f"hint {hint.number}/{hint.total}  ", "bold cyan"), hint.text)


def render_reveal(reveal: Reveal) -> RenderableType:
    parts: list[RenderableType] = []
    if reveal.reason == "attempts":
        parts.append(Text("out of attempts: here is the worked answer", style="yellow"))
    parts.append(render_explanation(reveal.item.question))
    spec, worked = reveal.item.question.numeric, reveal.worked
    if spec is not None and worked is not None:
        from backprop_coach.render.trace import render_trace

        parts.append(render_trace(worked.trace, ("forward", "backward", "update"), 4))
        parts.append(
            Text.assemble(
                ("answer  ", "dim"),
                (f"{spec.ask} = {worked.value:.{spec.figures + 1}g}", "bold green"),
                (f"   from {worked.law}", "dim"),
            )
        )
    return Group(*parts)


def render_rate_request() -> RenderableType:
    return Text(
        "How well did you recall it? again (1) · hard (2) · good (3) · easy (4)", style="bold"
    )


def render_help(help_: Help) -> RenderableType:
    table = Table(box=None, show_header=False)
    for command, meaning in help_.commands.items():
        table.add_row(Text(command, style="bold"), meaning)
    table.add_row(
        Text("answer", style="bold"),
        "an expression such as (a - y)*σ'(z)*x, or a number for numeric questions",
    )
    return table


def render_summary(outcomes: Sequence[Outcome]) -> RenderableType:
    if not outcomes:
        return Text(
            "no question finished this session (attempts made so far are saved)", style="dim"
        )
    table = Table(title="session summary", title_justify="left")
    table.add_column("question")
    table.add_column("result")
    table.add_column("attempts", justify="right")
    table.add_column("hints", justify="right")
    table.add_column("time", justify="right")
    for o in outcomes:
        result = o.result + (f" ({o.rating})" if o.rating and o.result == "rated" else "")
        if o.overtime:
            result += ", overtime"
        table.add_row(
            o.item.question.id,
            Text(result, style=RESULT_STYLE.get(o.result, "")),
            str(o.attempts),
            str(o.hints),
            f"{o.seconds:.0f} s",
        )
    right = sum(o.right for o in outcomes)
    first = sum(o.right and o.attempts <= 1 for o in outcomes)
    said = f"{right} of {len(outcomes)} right"
    if right:
        said += f", {first} at the first attempt"
    parts: list[RenderableType] = [table, Text(said, style="bold")]
    misses: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        stats = misses[o.item.question.topic]
        stats[1] += 1
        stats[0] += o.missed
    weak = sorted(((m / n, t, m, n) for t, (m, n) in misses.items() if m), reverse=True)[:3]
    if weak:
        listed = ", ".join(f"{t} ({m} of {n} missed)" for _, t, m, n in weak)
        parts.append(
            Text.assemble(
                ("weakest topics: ", "bold"),
                listed,
                (
                    "  → backprop-coach quiz "
                    + ("--graph-drill" if weak[0][1] == "graph-drill" else "--topic " + weak[0][1]),
                    "dim",
                ),
            )
        )
    return Group(*parts)
