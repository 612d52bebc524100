"""Rich renderables for a grading verdict. Renderers return objects; the CLI prints them."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_coach.grading.verdict import CORRECT, INCORRECT, Verdict, broadcast_notes

STYLES = {CORRECT: ("✓", "bold green"), INCORRECT: ("✗", "bold red")}


def render_read_as(verdict: Verdict) -> RenderableType:
    line = Text.assemble(("read as  ", "dim"), (verdict.claim, "bold"))
    if verdict.details.get("implicit"):
        line.append("   (implicit multiplication made explicit)", style="dim")
    return line


def render_problem(verdict: Verdict) -> RenderableType | None:
    """How the loss and every let were read, so a typo in the problem shows before the verdict;
    and where a row or column was broadcast."""
    d = verdict.details
    if "loss_read_as" not in d:
        return None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row("loss", Text(f"L = {d['loss_read_as']}"))
    for name, text in d["lets_read_as"].items():
        grid.add_row("let", Text(f"{name} = {text}"))
    for note in broadcast_notes(d):
        grid.add_row("note", Text(note))
    return Padding(grid, (0, 0, 1, 0))


def render_verdict(verdict: Verdict, show_truth: bool = True) -> RenderableType:
    parts: list[RenderableType] = []
    problem = render_problem(verdict) if show_truth else None
    if problem is not None:
        parts.append(problem)
    if verdict.claim:
        parts.append(render_read_as(verdict))
    d = verdict.details
    if show_truth and "truth_pretty" in d:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        if "claim_shape" in d:
            grid.add_row(
                f"your claim\n{d['claim_shape']}", Text(d.get("claim_pretty", verdict.claim))
            )
        grid.add_row(f"∂L/∂{d.get('wrt', '')}\n{d.get('wrt_shape', '')}", Text(d["truth_pretty"]))
        parts.append(Padding(grid, (1, 0)))
    mark, style = STYLES.get(verdict.verdict, ("!", "bold yellow"))
    head = Text(f"{mark} {verdict.verdict}", style=style)
    if verdict.diagnosis:
        head.append(f" · {verdict.diagnosis}", style="bold")
    parts.append(head)
    parts.append(Text("  " + verdict.message))
    if "counterexample" in d and show_truth:
        parts.append(render_counterexample(d["counterexample"]))
    return Group(*parts)


def render_counterexample(example: dict[str, object]) -> RenderableType:
    table = Table(title="counterexample", title_justify="left", box=None, pad_edge=False)
    table.add_column("at", style="dim")
    table.add_column("value")
    point = example["point"]
    assert isinstance(point, dict)
    for name, value in point.items():
        table.add_row(name, _short(value))
    lets = example.get("lets") or {}
    assert isinstance(lets, dict)
    for name, value in lets.items():  # computed from the point, as the learner would
        table.add_row(f"→ {name}", _short(value), style="italic")
    table.add_row("your claim", _short(example["claim"]), style="red")
    table.add_row("true gradient", _short(example["truth"]), style="green")
    return Padding(table, (1, 0, 0, 2))


SHOWN_ENTRIES = 12  # a value with more entries shows its first row or first entries only


def _short(value: object) -> str:
    """A value at one point as JSON; a large matrix or vector cut to its first entries, with
    its shape (the whole value is in --json)."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        rows, cols = len(value), len(value[0])
        if rows * cols > SHOWN_ENTRIES:
            first = ", ".join(json.dumps(v) for v in value[0][:SHOWN_ENTRIES])
            more = ", …" if cols > SHOWN_ENTRIES else ""
            return f"{rows}x{cols}, row 0: [{first}{more}], …"
    if isinstance(value, list) and len(value) > SHOWN_ENTRIES:
        first = ", ".join(json.dumps(v) for v in value[:SHOWN_ENTRIES])
        return f"{len(value)} entries: [{first}, …]"
    return json.dumps(value, ensure_ascii=False)


def render_latex(verdict: Verdict) -> RenderableType:
    """The claim and the truth as LaTeX, for pasting into notes."""
    d = verdict.details
    if "truth_latex" not in d:
        return Text("")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    table.add_row("claim (LaTeX)", Text(d.get("claim_latex", "")))
    entry = " [0,0]" if d.get("wrt_shape", "scalar") != "scalar" else ""
    table.add_row(f"∂L/∂{d.get('wrt', '')}{entry} (LaTeX)", Text(d["truth_latex"]))
    return Padding(table, (1, 0, 0, 0))
