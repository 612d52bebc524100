"""Cheat sheets as Rich renderables (terminal, and HTML/SVG through Rich's export) and as
Markdown text for notes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from backprop_coach.sheets.model import Code, Definition, Identity, Note, Sheet

WIDTH = 80


def _drill(sheet: Sheet) -> str:
    first, *rest = sheet.topics
    return f"backprop-coach quiz --topic {first}" + (f"  (also: {', '.join(rest)})" if rest else "")


def render_sheet(sheet: Sheet) -> RenderableType:
    parts: list[RenderableType] = []
    for section in sheet.sections:
        codes = [e for e in section.entries if isinstance(e, Code)]
        table = Table(
            title=Text(section.title, style="bold"),
            title_justify="left",
            title_style="bold",
            box=None,
            show_header=False,
            expand=True,
            padding=(0, 1),
        )
        table.add_column(style="cyan", ratio=1)
        table.add_column(ratio=3)
        for entry in section.entries:
            match entry:
                case Identity():  # data is never markup: Σ [y log a + …] must survive
                    table.add_row(Text(entry.label), Text.assemble(entry.formula, ("  ✓", "green")))
                case Definition():
                    table.add_row(Text(entry.label), Text(entry.formula))
                case Note():
                    table.add_row("•", Text(entry.text, style="italic"))
        parts.append(table)
        for code in codes:
            parts.append(Text(f" {code.title}", style="cyan"))  # Text: no markup
            parts.append(
                Syntax(
                    code.code,
                    "python",
                    theme="ansi_dark",
                    background_color="default",
                    padding=(0, 0, 0, 2),
                )
            )
    if sheet.identities:
        parts.append(Text("✓ proved by backprop-coach's checker", style="dim green"))
    if sheet.topics:
        parts.append(Text.assemble(("drill it: ", "dim"), _drill(sheet)))
    title = Text(sheet.title, style="bold")
    return Panel(Group(*parts), title=title, title_align="left", width=WIDTH)


def render_sheets(sheets: Sequence[Sheet]) -> RenderableType:
    return Group(*(render_sheet(s) for s in sheets))


def sheet_markdown(sheet: Sheet) -> str:
    lines = [f"## {sheet.title}", ""]
    for section in sheet.sections:
        lines += [f"### {section.title}", ""]
        rows = [e for e in section.entries if isinstance(e, Identity | Definition)]
        if rows:
            lines += ["| | |", "| --- | --- |"]
            for e in rows:
                mark = " ✓" if isinstance(e, Identity) else ""
                formula = e.formula.replace("|", r"\|")
                lines.append(f"| {e.label} | {formula}{mark} |")
            lines.append("")
        for e in section.entries:
            if isinstance(e, Note):
                lines.append(f"- {e.text}")
            elif isinstance(e, Code):
                lines += [f"{e.title}:", "", "```python", e.code, "```"]
        lines.append("")
    if sheet.identities:
        lines += ["✓ proved by backprop-coach's checker.", ""]
    if sheet.topics:
        lines += [
            "Drill it: " + ", ".join(f"`backprop-coach quiz --topic {t}`" for t in sheet.topics),
            "",
        ]
    return "\n".join(lines)


def sheets_markdown(sheets: Sequence[Sheet]) -> str:
    return "# backprop-coach cheat sheets\n\n" + "\n".join(sheet_markdown(s) for s in sheets)
