"""Cheat sheets as Rich renderables (terminal), as plain text and a light SVG page through Rich's
export, and as Markdown text for notes. The HTML page is render/sheets_html.py."""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.terminal_theme import TerminalTheme
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
        for entry in section.entries:
            if isinstance(entry, Note):
                lines.append(f"- {entry.text}")
            elif isinstance(entry, Code):
                lines += [f"{entry.title}:", "", "```python", entry.code, "```"]
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


# Ink on paper: white ground, near-black text, ANSI colours dark enough to read when printed
# ("white" too, which the code highlighter may use).
PAPER = TerminalTheme(
    (255, 255, 255),
    (17, 17, 17),
    [
        (17, 17, 17),
        (163, 21, 21),
        (0, 110, 40),
        (121, 94, 0),
        (0, 81, 168),
        (128, 32, 128),
        (0, 104, 122),
        (85, 85, 85),
    ],
    [
        (85, 85, 85),
        (190, 30, 30),
        (20, 130, 60),
        (140, 110, 0),
        (30, 100, 190),
        (150, 50, 150),
        (10, 120, 140),
        (51, 51, 51),
    ],
)

# Rich's SVG template without the terminal window (no dark frame, no traffic lights) and without
# its web fonts: a white page with the title above the text, drawn with local monospace fonts.
_SVG_PAGE = """\
<svg class="rich-terminal" width="{width}" height="{height}" viewBox="0 0 {width} {height}" \
xmlns="http://www.w3.org/2000/svg">
    <title>@TITLE@</title>
    <style>
    .{unique_id}-matrix {{
        font-family: "Fira Code", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
        font-size: {char_height}px;
        line-height: {line_height}px;
        font-variant-east-asian: full-width;
    }}
    .{unique_id}-title {{
        font-family: "DejaVu Sans", Helvetica, Arial, sans-serif;
        font-size: 20px;
        font-weight: bold;
    }}
    {styles}
    </style>
    <defs>
    <clipPath id="{unique_id}-clip-terminal">
      <rect x="0" y="0" width="{terminal_width}" height="{terminal_height}" />
    </clipPath>
    {lines}
    </defs>
    <rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" />
    <text class="{unique_id}-title" x="{terminal_x}" y="28" fill="#111111">@TITLE@</text>
    <g transform="translate({terminal_x}, {terminal_y})" clip-path="url(#{unique_id}-clip-terminal)">
    {backgrounds}
    <g class="{unique_id}-matrix">
    {matrix}
    </g>
    </g>
</svg>
"""


def _recorded(sheets: Sequence[Sheet], color: bool) -> Console:
    console = Console(
        record=True,
        width=WIDTH,
        file=io.StringIO(),
        force_terminal=color,
        color_system="truecolor" if color else None,
    )
    console.print(render_sheets(sheets))
    return console


def sheets_text(sheets: Sequence[Sheet]) -> str:
    """The terminal sheets as plain text, 80 columns."""
    return _recorded(sheets, color=False).export_text()


def sheets_svg(sheets: Sequence[Sheet], title: str) -> str:
    """The terminal sheets drawn as a white SVG page with `title` on top (data is never markup:
    every text is a Rich Text, and Rich escapes what it writes into the SVG)."""
    safe = escape(title).replace("{", "{{").replace("}", "}}")
    page = _SVG_PAGE.replace("@TITLE@", safe)
    return _recorded(sheets, color=True).export_svg(title=title, theme=PAPER, code_format=page)
