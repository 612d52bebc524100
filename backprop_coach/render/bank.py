"""Rich renderables for bank maintenance."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text


def render_validation(total: int, report: dict[str, list[str]]) -> RenderableType:
    """total: question files seen, loaded or not."""
    if not report:
        shown = "the question is proved" if total == 1 else f"all {total} questions proved"
        return Text(f"✓ {shown}", style="bold green")
    parts: list[RenderableType] = [
        Text(f"✗ {len(report)} of {total} question files failed", style="bold red")
    ]
    for where, failures in report.items():
        parts.append(Text(where, style="bold"))
        parts.extend(Text(f"  - {f}") for f in failures)
    return Group(*parts)
