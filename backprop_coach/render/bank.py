"""Rich renderables for bank maintenance."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.bank.coverage import LAYOUTS, Coverage


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


def render_coverage(coverage: Coverage) -> RenderableType:
    """`bank list --coverage`: topics down, derivations by layout, numeric and concept across;
    an empty cell is a dim `·`, so gaps stand out."""
    table = Table(
        title=f"{coverage.total.total} questions", title_justify="left", show_footer=True,
        caption=f"{', '.join(LAYOUTS)}: derivations by layout", caption_justify="left",
    )  # fmt: skip
    table.add_column("topic", "total", no_wrap=True)
    headers = [*LAYOUTS, "numeric", "concept", "total"]
    total = coverage.total
    footers = [*(total.derivation[name] for name in LAYOUTS), total.numeric, total.concept,
               total.total]  # fmt: skip
    for header, footer in zip(headers, footers, strict=True):
        table.add_column(header, str(footer), justify="right")
    for topic, counts in coverage.topics.items():
        cells = [*(counts.derivation[name] for name in LAYOUTS), counts.numeric, counts.concept]
        table.add_row(
            Text(topic), *(_cell(n) for n in cells), Text(str(counts.total), style="bold")
        )
    return table


def _cell(count: int) -> Text:
    return Text(str(count)) if count else Text("·", style="dim")
