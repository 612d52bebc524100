"""The one place that prints. Rich decides colour from the terminal and honours NO_COLOR; when
stdout is not a terminal it prints plain text."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console, RenderableType


@cache
def console() -> Console:
    return Console(highlight=False)


@cache
def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def show(*renderables: RenderableType) -> None:
    for r in renderables:
        console().print(r)


def emit_json(data: Any) -> None:
    """One JSON document a line. Text that cannot be written as UTF-8 (a lone surrogate echoed
    from an id) is written with \\u escapes instead, so the line is still valid JSON."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user error to stderr and exit with `code` (never a traceback)."""
    import typer
    from rich.markup import escape

    error_console().print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def finite_seconds(option: str, value: float) -> float:
    """A time limit that is a real number (typer's ranges let nan and inf through)."""
    import math

    if not math.isfinite(value):
        fail(f"{option} {value}: give a number of seconds")
    return value


def read_text(path: Path) -> str:
    """A UTF-8 text file a command was given, or a clear error (exit 2): no such file, a
    directory, no permission, not UTF-8."""
    try:
        return path.read_text(encoding="utf-8").removeprefix("\ufeff")  # a BOM is no text
    except UnicodeDecodeError:
        fail(f"cannot read {path}: it is not UTF-8 text")
    except OSError as err:
        fail(f"cannot read {path}: {(err.strerror or str(err)).lower()}")
