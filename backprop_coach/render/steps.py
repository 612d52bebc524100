"""Rich renderable for a step-by-step derivation check."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.grading.steps import StepsReport
from backprop_coach.untrusted import printable

MAX_SHOWN = 120  # characters of a line shown in the table


def shown(text: str) -> Text:
    """A line from the learner's file as plain text: never markup, no control characters (an
    escape sequence, a right-to-left override is shown as its code), at most MAX_SHOWN long."""
    visible = printable(text[: MAX_SHOWN + 1], visible=True)
    return Text(visible if len(text) <= MAX_SHOWN else visible[:MAX_SHOWN] + "…")


def render_steps(report: StepsReport) -> RenderableType:
    if report.error:
        return Text(f"! {report.error}", style="bold yellow")
    # the file's text is data, never Rich markup: every cell from it is a Text
    table = Table(title=Text(f"∂L/∂{report.wrt}, step by step"), title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("step")
    table.add_column("read as")
    table.add_column("feedback")
    for s in report.steps:
        if s.diagnosis == "invalid":
            mark = Text("!", style="yellow")
        else:
            mark = Text("✓", style="green") if s.correct else Text("✗", style="red")
        feedback = Text(s.message, style="" if s.correct or s.follows else "bold")
        table.add_row(Text.assemble(mark, f" {s.step}"), shown(s.text), shown(s.read_as), feedback)
    first = report.first_wrong_step
    invalid = report.invalid_steps
    if first is None and not invalid and report.unfinished:
        summary = Text(
            "every step is correct, but the last one still has Leibniz terms: work out each "
            "factor (for example ∂a/∂z = σ'(z)) and write the result",
            style="bold yellow",
        )
    elif first is None and not invalid:
        checked = "every step checked" if report.not_checked else "every step"
        summary = Text(f"{checked} is correct", style="bold green")
    else:
        parts = []
        if first is not None:
            parts.append(f"first wrong step: {first}")
            later = [
                s.step
                for s in report.steps
                if s.step > first and s.diagnosis and s.diagnosis != "invalid"
            ]
            if later:
                parts.append(
                    "new errors after it, against your own previous line: step "
                    + ", ".join(map(str, later))
                )
        elif len(invalid) < len(report.steps):
            parts.append("every step that could be read is correct")
        if invalid:
            plural = "s" if len(invalid) > 1 else ""
            parts.append(
                f"could not read step{plural} {', '.join(map(str, invalid))} (see the feedback)"
            )
        summary = Text("; ".join(parts), style="bold red" if first is not None else "bold yellow")
    if report.not_checked:
        done = len(report.steps)
        summary = Text.assemble(
            Text(
                f"time budget ran out: steps 1 to {done} checked, the other "
                f"{report.not_checked} not (--timeout raises the budget)\n",
                style="bold yellow",
            ),
            summary,
        )
    return Group(table, summary)
