"""Rich renderables for bank questions: the list, one question, its worked answer."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backprop_coach.bank.load import BankError
from backprop_coach.bank.model import Question

KIND_STYLE = {"derivation": "cyan", "numeric": "magenta", "concept": "yellow"}


def render_list(questions: Sequence[Question]) -> RenderableType:
    count = f"{len(questions)} question{'' if len(questions) == 1 else 's'}"
    table = Table(title=count, title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("topic")
    table.add_column("kind")
    table.add_column("level", justify="center")
    for q in questions:
        table.add_row(q.id, q.topic, Text(q.kind, style=KIND_STYLE[q.kind]), "●" * q.difficulty)
    return table


def render_problems(problems: Sequence[BankError]) -> RenderableType:
    lines = [Text(f"skipped {len(problems)} question file(s):", style="bold yellow")]
    lines += [Text(f"  {p}", style="yellow") for p in problems]
    return Group(*lines)


def render_names(rows: Sequence[tuple[str, str, str]]) -> RenderableType:
    """The names in play: name, shape, and domain or definition."""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column(style="dim")
    table.add_column()
    for name, shape, meaning in rows:
        table.add_row(name, shape, meaning)
    return table


def render_prompt(
    q: Question, header: str = "", extra: Sequence[RenderableType] = ()
) -> RenderableType:
    from rich.markdown import Markdown  # markdown-it costs 0.1 s: only where a prompt is shown

    # bank text is data: Markdown without live links (a link's target is not shown), titles
    # as Text, never markup; control characters are stripped where cli.output prints
    parts: list[RenderableType] = [Markdown(q.prompt, hyperlinks=False)]
    parts.extend(extra)
    title = Text.assemble(
        (q.id, "bold"), "  ", (f"{q.topic} · {q.kind} · {'●' * q.difficulty}", "dim")
    )
    return Panel(
        Group(*parts),
        title=title,
        title_align="left",
        subtitle=header or None,
        subtitle_align="right",
    )


def render_explanation(q: Question) -> RenderableType:
    """The worked answer: steps and answer; for a concept, the model answer and checklist first."""
    from rich.markdown import Markdown

    parts: list[RenderableType] = []
    if q.model_answer:
        parts.append(Markdown(q.model_answer, hyperlinks=False))
    if q.key_points:
        parts.append(Text("key points", style="bold"))
        parts.extend(Text(f"  • {p}") for p in q.key_points)
    for i, step in enumerate(q.explanation, start=1):
        line = Text(f"{i}. ", style="bold")
        line.append(step.text)
        if step.expr:
            line.append(f"\n   {step.expr}", style="cyan")
        parts.append(line)
    if q.answer:
        parts.append(Text.assemble(("answer  ", "dim"), (q.answer, "bold green")))
    return Panel(Group(*parts), title="worked answer", title_align="left", border_style="green")


def render_question(q: Question) -> RenderableType:
    """`bank show`: everything about one question."""
    parts: list[RenderableType] = [render_prompt(q)]
    if q.problem is not None:
        p = q.problem
        rows = [("loss", "", p.loss), ("wrt", "", p.wrt)]
        rows += [("let", "", f"{n} = {t}") for n, t in p.lets]
        rows += [("shape", "", f"{n}: {r}x{c}") for n, (r, c) in p.shapes.items()]
        rows += [("domain", "", f"{n}: {k}") for n, k in p.domains.items()]
        parts.append(render_names(rows))
    if q.numeric is not None:
        n = q.numeric
        parts.append(
            Text(
                f"network {'-'.join(map(str, n.layers))} · {', '.join(n.activations)} · {n.loss} · "
                f"η {n.lr:g} · asks {n.ask} ({n.figures} significant figures)"
            )
        )
    parts.append(Text("hints", style="bold"))
    parts.extend(Text(f"  {i}. {h}") for i, h in enumerate(q.hints, start=1))
    if q.wrong_answers:
        table = Table(title="common mistakes", title_justify="left")
        table.add_column("answer")
        table.add_column("diagnosis")
        table.add_column("feedback")
        for w in q.wrong_answers:
            table.add_row(w.answer, w.diagnosis, w.feedback)
        parts.append(table)
    parts.append(render_explanation(q))
    parts.append(Text.assemble(("source  ", "dim"), q.source, ("\nfile    ", "dim"), str(q.path)))
    return Group(*parts)
