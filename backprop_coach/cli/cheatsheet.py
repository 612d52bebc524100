"""`backprop-coach cheatsheet`: printable sheets whose every derivative the tool proves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backprop_coach.cli.output import fail, show

TOPICS = ("forward", "backward", "activations", "losses", "update", "pitfalls", "all")
FORMATS = ("text", "markdown", "html", "svg")


def register(app: typer.Typer) -> None:
    app.command("cheatsheet")(cheatsheet)


def cheatsheet(
    topic: Annotated[str, typer.Argument(help=f"One of: {', '.join(TOPICS)}.")] = "all",
    fmt: Annotated[
        str, typer.Option("--format", help="text (terminal), markdown, html or svg.")
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", metavar="FILE", help="Write to FILE instead of the terminal."
        ),
    ] = None,
) -> None:
    """Cheat sheets for backprop: forward, backward (the four equations and the loops),
    activations, losses, update rules and the pitfalls interviewers probe. Every derivative on
    them is proved by the checker in the test suite.

    Examples: `backprop-coach cheatsheet backward`, `backprop-coach cheatsheet all --format html
    -o sheets.html` (a page to print)."""
    from backprop_coach.sheets.content import SHEETS

    if topic not in TOPICS:
        import difflib

        close = difflib.get_close_matches(topic, TOPICS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        fail(f"unknown sheet {topic!r}; {hint}choose from {', '.join(TOPICS)}")
    if fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
    sheets = list(SHEETS.values()) if topic == "all" else [SHEETS[topic]]

    from backprop_coach.render import sheets as render

    title = (
        "backprop-coach cheat sheets" if topic == "all" else f"backprop-coach cheat sheet: {topic}"
    )
    if fmt == "text" and output is None:
        show(render.render_sheets(sheets))
        return
    if fmt == "markdown":
        text = render.sheets_markdown(sheets)
    elif fmt == "html":
        from backprop_coach.render.sheets_html import sheets_html

        text = sheets_html(sheets, title)
    elif fmt == "svg":
        text = render.sheets_svg(sheets, title)
    else:
        text = render.sheets_text(sheets)
    if output is None:
        show_raw(text)
        return
    from backprop_coach.atomic import write_atomic

    try:
        write_atomic(output, text)
    except OSError as err:
        fail(f"cannot write {output}: {(err.strerror or str(err)).lower()}")
    show(f"wrote {output}")


def show_raw(text: str) -> None:
    import sys

    sys.stdout.write(text if text.endswith("\n") else text + "\n")
