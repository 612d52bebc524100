"""The interview's renderables: the chain list, the scored report (Rich) and the same report as
Markdown for `--report FILE.md`. Nothing here prints or writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.bank.chains import Chain
from backprop_coach.bank.load import BankError
from backprop_coach.practice.interview import Report
from backprop_coach.render.quiz import RESULT_STYLE
from backprop_coach.untrusted import printable


def render_problems(problems: Sequence[BankError], what: str) -> RenderableType:
    """Skipped chain files or chains, each naming its file and field (never read as markup)."""
    lines = [Text(f"skipped {len(problems)} {what}(s):", style="bold yellow")]
    lines += [Text(f"  {printable(str(p))}", style="yellow") for p in problems]
    return Group(*lines)


def render_chains(chains: Sequence[Chain]) -> RenderableType:
    table = Table(title="interview chains", title_justify="left")
    table.add_column("chain")
    table.add_column("steps", justify="right")
    table.add_column("title")
    for c in chains:
        table.add_row(Text(printable(c.id)), str(len(c.questions)), Text(printable(c.title)))
    return table


def render_start(chain: Chain, limit: float) -> RenderableType:
    return Text.assemble(
        ("interview: ", "bold"),
        printable(chain.title),
        (f"  ({len(chain.questions)} steps, {limit / 60:g} min; :hint costs 2 points)", "dim"),
    )


def _seconds(seconds: float) -> str:
    return f"{seconds:.0f} s"


def render_report(report: Report) -> RenderableType:
    table = Table(
        title=f"interview report · {printable(report.chain_id)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("question", overflow="fold", ratio=3)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("result", ratio=2)
    for name in ("time", "tries", "hints"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("diagnosis", ratio=3)
    for s in report.steps:
        result = s.result + (f" ({s.rating})" if s.rating else "")
        table.add_row(
            str(s.number),
            Text(printable(s.question_id)),
            f"{s.points}/10",
            Text(result, style=RESULT_STYLE.get(s.result, "dim")),
            _seconds(s.seconds),
            str(s.attempts),
            str(s.hints),
            Text(", ".join(s.diagnoses) or "—"),
        )
    parts: list[RenderableType] = [
        table,
        Text(
            f"score {report.score}/{report.out_of} ({report.percent}%) · "
            f"{_seconds(report.seconds)} of {report.limit / 60:g} min",
            style="bold",
        ),
    ]
    for heading, lines in (("strengths", report.strengths), ("habits to fix", report.habits)):
        parts.append(Text(heading, style="bold"))
        for line in lines or ["none yet"]:
            parts.append(Text(f"  • {printable(line)}"))
    return Group(*parts)


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(report: Report) -> str:
    """The report as a Markdown document (a table per step, then strengths and habits)."""
    lines = [
        f"# Interview report: {_cell(report.title)}",
        "",
        f"Chain `{report.chain_id}` · score **{report.score}/{report.out_of}** "
        f"({report.percent}%) · {_seconds(report.seconds)} of {report.limit / 60:g} min",
        "",
        "| # | question | points | result | time | tries | hints | diagnosis |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for s in report.steps:
        result = s.result + (f" ({s.rating})" if s.rating else "")
        lines.append(
            f"| {s.number} | {_cell(s.question_id)} | {s.points}/10 | {result} | "
            f"{_seconds(s.seconds)} | {s.attempts} | {s.hints} | "
            f"{_cell(', '.join(s.diagnoses)) or '—'} |"
        )
    for heading, items in (("Strengths", report.strengths), ("Habits to fix", report.habits)):
        lines += ["", f"## {heading}", ""]
        lines += [f"- {_cell(item)}" for item in items or ["none yet"]]
    return "\n".join(lines) + "\n"


def render_past(interviews: Sequence[dict[str, Any]]) -> RenderableType:
    """`stats`: the mock interviews so far, newest last."""
    table = Table(title="mock interviews", title_justify="left")
    for name, justify in (("date", "left"), ("chain", "left"), ("steps", "right"),
                          ("score", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in interviews[-10:]:
        table.add_row(
            str(row["started_at"])[:10],
            Text(printable(str(row["chain"]))),
            str(row["steps_answered"]),
            f"{row['score']}/{row['out_of']} ({row['percent']}%)",
        )
    return table
