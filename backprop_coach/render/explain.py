"""Rich renderables for a worked derivation (grading.explain): its steps, each expression
marked as proved, and the answer; and the same as a LaTeX align* block."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from backprop_coach.grading.explain import Explanation


def render_derivation(explanation: Explanation) -> RenderableType:
    """The derivation as lines of text (never markup: expressions may come from files)."""
    lines: list[RenderableType] = [
        Text(f"derivation of ∂L/∂{explanation.problem.wrt}", style="bold")
    ]
    if explanation.answer is None:
        lines.append(Text(explanation.note, style="yellow"))
        return Group(*lines)
    for number, step in enumerate(explanation.steps, 1):
        line = Text(f"{number:>2}. ")
        line.append(step.text)
        if step.expr is not None and not step.text.endswith(step.expr):
            line.append("\n    = ")
            line.append(step.expr, style="cyan")
        if step.proved:
            line.append("   ✓ proved", style="green")
        for note in step.notes:
            line.append(f"\n    · {note}", style="dim")
        lines.append(line)
    answer = Text("answer  ", style="bold")
    answer.append(explanation.answer, style="bold cyan")
    lines.append(answer)
    return Group(*lines)


def latex_of(explanation: Explanation) -> str:
    """An align* block: one line per step that writes an expression."""
    if explanation.answer is None:
        return f"% {explanation.note}"
    rows = []
    for step in explanation.steps:
        if step.expr is None or step.latex is None:
            continue
        head = _frac(step.text.split(" = ")[0].removeprefix("simplified: "))
        rows.append(f"  {head} &= {step.latex}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _frac(leibniz: str) -> str:
    """∂L/∂w as \\frac{\\partial L}{\\partial w}; anything else unchanged."""
    top, _, bottom = leibniz.partition("/")
    if not (top.startswith("∂") and bottom.startswith("∂")):
        return leibniz
    return rf"\frac{{\partial {top[1:]}}}{{\partial {bottom[1:]}}}"
