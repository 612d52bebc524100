"""Rich renderables for a grading verdict. Renderers return objects; the CLI prints them."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from backprop_coach.grading.verdict import CORRECT, INCORRECT, Counterexample, Verdict

STYLES = {CORRECT: ("✓", "bold green"), INCORRECT: ("✗", "bold red")}


def render_read_as(verdict: Verdict) -> RenderableType:
    line = Text.assemble(("read as  ", "dim"), (verdict.claim, "bold"))
    if verdict.reading is not None and verdict.reading.implicit:
        line.append("   (implicit multiplication made explicit)", style="dim")
    return line


def render_problem(verdict: Verdict) -> RenderableType | None:
    """How the loss and every let were read, so a typo in the problem shows before the verdict;
    and where a row or column was broadcast."""
    reading = verdict.reading
    if reading is None:
        return None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row("loss", Text(f"L = {reading.loss}"))
    for name, text in reading.lets.items():
        grid.add_row("let", Text(f"{name} = {text}"))
    for note in reading.notes:
        grid.add_row("note", Text(note))
    return Padding(grid, (0, 0, 1, 0))


def render_verdict(verdict: Verdict, show_truth: bool = True) -> RenderableType:
    parts: list[RenderableType] = []
    problem = render_problem(verdict) if show_truth else None
    if problem is not None:
        parts.append(problem)
    if verdict.claim:
        parts.append(render_read_as(verdict))
    forms, reading = verdict.forms, verdict.reading
    if show_truth and forms is not None and reading is not None:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        if verdict.claim_shape is not None:
            grid.add_row(
                f"your claim\n{verdict.claim_shape}", Text(forms.claim_pretty or verdict.claim)
            )
        grid.add_row(f"∂L/∂{reading.wrt}\n{reading.wrt_shape}", Text(forms.truth_pretty))
        parts.append(Padding(grid, (1, 0)))
    mark, style = STYLES.get(verdict.verdict, ("!", "bold yellow"))
    head = Text(f"{mark} {verdict.verdict}", style=style)
    if verdict.diagnosis:
        head.append(f" · {verdict.diagnosis}", style="bold")
    parts.append(head)
    parts.append(Text("  " + verdict.message))
    if verdict.counterexample is not None and show_truth:
        parts.append(render_counterexample(verdict.counterexample))
    return Group(*parts)


def render_counterexample(example: Counterexample) -> RenderableType:
    table = Table(title="counterexample", title_justify="left", box=None, pad_edge=False)
    table.add_column("at", style="dim")
    table.add_column("value")
    for name, value in example.point.items():
        table.add_row(name, _short(value))
    for name, value in example.lets.items():  # computed from the point, as the learner would
        table.add_row(f"→ {name}", _short(value), style="italic")
    table.add_row("your claim", _short(example.claim), style="red")
    table.add_row("true gradient", _short(example.truth), style="green")
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
    forms, reading = verdict.forms, verdict.reading
    if forms is None or forms.truth_latex is None or reading is None:
        return Text("")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    table.add_row("claim (LaTeX)", Text(forms.claim_latex or ""))
    entry = " [0,0]" if reading.wrt_shape != "scalar" else ""
    table.add_row(f"∂L/∂{reading.wrt}{entry} (LaTeX)", Text(forms.truth_latex))
    return Padding(table, (1, 0, 0, 0))
