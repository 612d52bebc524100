"""Rich renderable for a step-by-step derivation check."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.grading.steps import StepsReport


def render_steps(report: StepsReport) -> RenderableType:
    if report.error:
        return Text(f"! {report.error}", style="bold yellow")
    table = Table(title=f"∂L/∂{report.wrt}, step by step", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("step")
    table.add_column("read as")
    table.add_column("feedback")
    for s in report.steps:
        mark = Text("✓", style="green") if s.correct else Text("✗", style="red")
        feedback = Text(s.message, style="" if s.correct or s.follows else "bold")
        table.add_row(Text.assemble(mark, f" {s.step}"), s.text, s.read_as, feedback)
    first = report.first_wrong_step
    if first is None:
        summary = Text("every step is correct", style="bold green")
    else:
        summary = Text(f"first wrong step: {first}", style="bold red")
        later = [
            s.step
            for s in report.steps
            if s.step > first and s.diagnosis and s.diagnosis != "invalid"
        ]
        if later:
            summary.append(
                f"; new errors after it, against your own previous line: step {', '.join(map(str, later))}",
                style="red",
            )
    return Group(table, summary)
